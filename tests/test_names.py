"""The name filter: substring, `*` glob, everything else literal."""

import pytest

from queuewatch.names import name_matcher


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("", "anything", True),
        ("sales", "Sales - New Business", True),
        ("SALES", "sales", True),
        ("bill", "Sales", False),
        ("[vip]", "[VIP] Sales", True),
        ("[vip]", "VIP Sales", False),
        ("(.*)", "Billing", False),
        ("sa*ss", "Sales - New Business", True),
        ("sa*zz", "Sales - New Business", False),
        ("b?ll", "Billing", False),
        ("?", "Any questions?", True),
        ("sal*emea", "Inbound Sales - EMEA", True),
        ("sal*emea", "EMEA Sales", False),
        ("*", "x", True),
        ("a.c", "abc", False),
        ("a.c", "a.c queue", True),
        ("(vip", "(VIP) line", True),
        ("  sales ", "Sales", True),
        ("サポート", "お客様サポート 🎧", True),
        ("🎧", "お客様サポート 🎧", True),
    ],
)
def test_match(pattern: str, name: str, expected: bool) -> None:
    assert name_matcher(pattern)(name) is expected
