"""Matching queue names against what a supervisor types in the filter.

Case-insensitive substring; ``*`` matches any run of characters. Every other character is
literal: ``[VIP]``, ``?`` or ``(.*)`` mean exactly those characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache


def normalize(pattern: str) -> str:
    """The pattern as it is matched: without surrounding blanks, case-folded."""
    return pattern.strip().casefold()


def narrows(pattern: str, before: str) -> bool:
    """True when every name ``pattern`` matches is also matched by ``before``.

    So it is when ``pattern`` only adds characters at the end of ``before`` (typing on): the
    match of the longer pattern contains a match of the shorter. A filter can then look only
    among what ``before`` matched.
    """
    text, old = normalize(pattern), normalize(before)
    return text.startswith(old)


@lru_cache(maxsize=64)
def folded_matcher(pattern: str) -> Callable[[str], bool]:
    """A predicate for queue names already case-folded (``str.casefold``), as a long list keeps them."""
    text = normalize(pattern)
    if not text:
        return lambda _folded: True
    if "*" not in text:
        return lambda folded: text in folded
    regex = re.compile(".*".join(re.escape(part) for part in text.split("*")), re.DOTALL)
    return lambda folded: regex.search(folded) is not None


@lru_cache(maxsize=64)
def name_matcher(pattern: str) -> Callable[[str], bool]:
    """A predicate for queue names; the empty pattern matches everything."""
    matches = folded_matcher(pattern)
    return lambda name: matches(name.casefold())
