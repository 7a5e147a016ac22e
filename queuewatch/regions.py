"""Where Genesys Cloud lives: region names, domains and base URLs.

Pure, so a wrong ``--region`` is reported at once, before the SDK's slow import. The table mirrors
the SDK's ``PureCloudRegionHosts`` (a test keeps the two in step).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from queuewatch.errors import ConfigError
from queuewatch.redact import one_line

#: Region name (as the SDK spells it) -> API base URL.
REGIONS: dict[str, str] = {
    "us_east_1": "https://api.mypurecloud.com",
    "eu_west_1": "https://api.mypurecloud.ie",
    "ap_southeast_2": "https://api.mypurecloud.com.au",
    "ap_northeast_1": "https://api.mypurecloud.jp",
    "eu_central_1": "https://api.mypurecloud.de",
    "us_west_2": "https://api.usw2.pure.cloud",
    "ca_central_1": "https://api.cac1.pure.cloud",
    "ap_northeast_2": "https://api.apne2.pure.cloud",
    "eu_west_2": "https://api.euw2.pure.cloud",
    "ap_south_1": "https://api.aps1.pure.cloud",
    "us_east_2": "https://api.use2.us-gov-pure.cloud",
    "sa_east_1": "https://api.sae1.pure.cloud",
    "me_central_1": "https://api.mec1.pure.cloud",
    "ap_northeast_3": "https://api.apne3.pure.cloud",
    "ap_southeast_1": "https://api.apse1.pure.cloud",
    "eu_central_2": "https://api.euc2.pure.cloud",
    "mx_central_1": "https://api.mxc1.pure.cloud",
    "eusc_de_east_1": "https://api.edee1.eusc-pure.cloud",
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_region(value: str) -> tuple[str, str]:
    """Turn ``--region`` into ``(label, base_url)``.

    Accepts a region name (``us-east-1`` or ``us_east_1``), a domain (``mypurecloud.ie``,
    ``api.mypurecloud.ie``) or a full base URL (``https://api.mypurecloud.ie``,
    ``http://127.0.0.1:8765``). Plain ``http`` is allowed only to a loopback address, so a client
    secret never crosses a network unencrypted. A user name or password in the URL
    (``https://user:pass@host``) is refused without being repeated: it would be shown in the status
    bar and by ``doctor``, and credentials come only from the environment.
    """
    text = value.strip()
    if not text:
        raise ConfigError("the region is empty: set --region or GENESYSCLOUD_REGION (e.g. us-east-1)")
    if "@" in text.split("://", 1)[-1].split("/", 1)[0]:
        raise ConfigError(
            "the region holds a user name or password (user:password@host): remove it; the OAuth "
            "client's credentials go in GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET"
        )
    shown = one_line(text, 100)
    name = text.lower().replace("-", "_")
    if name in REGIONS:
        return name.replace("_", "-"), REGIONS[name]
    if "://" in text:
        try:
            parts = urlsplit(text)
            hostname = parts.hostname
            parts.port  # noqa: B018 - validates the port (ValueError when out of range)
        except ValueError:
            raise ConfigError(f"region URL {shown!r} is not a valid URL") from None
        if parts.scheme not in ("http", "https") or not hostname:
            raise ConfigError(f"region URL {shown!r} is not an http(s) URL with a host")
        if parts.scheme == "http" and not is_loopback(hostname):
            raise ConfigError(
                f"refusing plain http to {one_line(hostname, 100)}: "
                "use https (http is allowed only to loopback)"
            )
        return parts.netloc, f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    domain = text.lower().rstrip("/")
    domain = domain.removeprefix("api.").removeprefix("login.")
    for region, url in REGIONS.items():
        if url == f"https://api.{domain}":
            return region.replace("_", "-"), url
    if "." in domain and " " not in domain:
        return domain, f"https://api.{domain}"
    valid = ", ".join(sorted(r.replace("_", "-") for r in REGIONS))
    raise ConfigError(f"unknown region {shown!r}: use one of {valid}, a domain, or a base URL")
