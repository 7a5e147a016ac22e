"""Where --region points, and that the table stays in step with the SDK's."""

import pytest

from queuewatch.errors import ConfigError
from queuewatch.regions import REGIONS, resolve_region


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("us-east-1", "https://api.mypurecloud.com"),
        ("eu_west_1", "https://api.mypurecloud.ie"),
        ("EU-WEST-2", "https://api.euw2.pure.cloud"),
        ("mypurecloud.ie", "https://api.mypurecloud.ie"),
        ("api.mypurecloud.de", "https://api.mypurecloud.de"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("https://gateway.example.com/genesys/", "https://gateway.example.com/genesys"),
    ],
)
def test_region_forms(value: str, url: str) -> None:
    assert resolve_region(value)[1] == url


def test_unknown_region_lists_the_valid_names() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_region("moon-base-1")
    message = str(caught.value)
    assert "moon-base-1" in message
    assert "eu-west-1" in message and "us-east-1" in message
    assert "\n" not in message


def test_plain_http_only_to_loopback() -> None:
    assert resolve_region("http://localhost:9000")[1] == "http://localhost:9000"
    with pytest.raises(ConfigError, match="https"):
        resolve_region("http://api.mypurecloud.com")


def test_table_matches_the_sdk() -> None:
    from PureCloudPlatformClientV2 import PureCloudRegionHosts

    sdk = {member.name: member.get_api_host() for member in PureCloudRegionHosts}
    assert sdk == REGIONS
