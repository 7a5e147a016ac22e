"""Matching queue names against what a supervisor types in the filter.

Case-insensitive substring; ``*`` matches any run of characters. Every other character is
literal: ``[VIP]``, ``?`` or ``(.*)`` mean exactly those characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache


@lru_cache(maxsize=64)
def name_matcher(pattern: str) -> Callable[[str], bool]:
    """A predicate for queue names; the empty pattern matches everything."""
    text = pattern.strip().casefold()
    if not text:
        return lambda _name: True
    if "*" not in text:
        return lambda name: text in name.casefold()
    regex = re.compile(".*".join(re.escape(part) for part in text.split("*")), re.DOTALL)
    return lambda name: regex.search(name.casefold()) is not None
