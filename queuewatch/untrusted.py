"""Text from outside, made safe on its way in: the one place it is cleaned.

Queue and division names, a server's error messages, anything else read from a reply (or a
stream, or a file someone else wrote) may hold bytes that a terminal obeys: ESC and C1 sequences
that retitle the window, write the clipboard (OSC 52), clear the screen or ask the terminal a
question whose answer comes back as keystrokes; bidi overrides that reverse what follows;
zero-width characters that make two names look the same. Pure: no textual, no rich.

- ``clean(text)`` keeps every printable character and shows the rest visibly: C0 controls as
  their Unicode control pictures (ESC as ``␛``, BEL as ``␇``), DEL as ``␡``, C1 controls, bidi
  controls, zero-width and other invisible format characters, line separators and lone
  surrogates as ``<U+202E>``. A zero-width joiner between two pictographs (an emoji sequence)
  stays. The result can be written to a terminal, a log, JSON or CSV and obey nothing.
- ``distinguish(names)`` tells apart names that would look the same on screen (differing only by
  spacing, compatibility forms or look-alike letters from other scripts): each of them
  gets the first characters of its queue id (``Sales ⌗3f2a``).
- ``csv_cell(text)`` neutralises a spreadsheet formula (OWASP: a cell beginning with ``=``, ``+``,
  ``-``, ``@``, tab or CR gets a leading ``'``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

#: Longest name or message kept; longer text is cut with an ellipsis (a reply can be megabytes).
MAX_TEXT = 256

#: Shown instead of an empty or all-blank name.
NO_NAME = "(no name)"

#: Put between a look-alike name and the start of its id.
ID_MARK = "⌗"

_BIDI = frozenset(
    [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)],
)
_ZERO_WIDTH = frozenset([0x00AD, 0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x200B, 0x200C, 0x2060])
_ZWJ = 0x200D
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _pictograph(char: str) -> bool:
    code = ord(char)
    return code >= 0x1F000 or 0x2600 <= code <= 0x27BF or 0xFE00 <= code <= 0xFE0F or char == "\u20e3"


def _visible(code: int) -> str:
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "␡"
    return f"<U+{code:04X}>"


def _unsafe(char: str) -> bool:
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return True
    if code in _BIDI or code in _ZERO_WIDTH or code == 0xFEFF:
        return True
    # Cf: other invisible format characters (tags, interlinear annotation ...); Zl/Zp: line and
    # paragraph separators; Cs: lone surrogates, which cannot even be encoded for output.
    return unicodedata.category(char) in ("Cf", "Zl", "Zp", "Cs") and code != _ZWJ


def clean(text: object, limit: int = MAX_TEXT) -> str:
    """``text`` (any value; not a string is shown by its ``str``) with nothing a terminal obeys.

    See the module's docstring for what is shown how. At most ``limit`` characters are kept.
    """
    raw = text if isinstance(text, str) else str(text)
    if len(raw) > limit * 4:
        raw = raw[: limit * 4]
    if raw.isascii() and raw.isprintable():
        return raw if len(raw) <= limit else raw[: limit - 1] + "…"
    out: list[str] = []
    for index, char in enumerate(raw):
        code = ord(char)
        if code == _ZWJ:
            between = 0 < index < len(raw) - 1 and _pictograph(raw[index - 1]) and _pictograph(raw[index + 1])
            out.append(char if between else _visible(code))
        elif _unsafe(char):
            out.append(_visible(code))
        else:
            out.append(char)
    result = "".join(out)
    return result if len(result) <= limit else result[: limit - 1] + "…"


def clean_name(text: object) -> str:
    """A queue or division name: cleaned, and never blank."""
    name = clean(text if text is not None else "")
    return name if name.strip() else NO_NAME


# Letters of other scripts drawn like Latin ones (Cyrillic and Greek), folded for comparison only.
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁһԛԝАВЕКМНОРСТХІЈЅαεορτυνικχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhqwABEKMHOPCTXIJSaeoptuvikxABEZHIKMNOPTYX",
)


def skeleton(name: str) -> str:
    """What a (cleaned) name looks like: compatibility forms folded (``Ｓａｌｅｓ`` is ``Sales``),
    look-alike letters of other scripts mapped to Latin, spacing collapsed and trimmed. Two names
    with one skeleton look alike on screen. (Invisible characters need no folding: ``clean`` has
    already made them visible.)"""
    folded = unicodedata.normalize("NFKC", name).translate(_LOOKALIKES)
    return " ".join(folded.split())


def distinguish(names: Mapping[str, str], id_chars: int = 4) -> dict[str, str]:
    """Names (by id) with those that look alike told apart by the start of their id.

    ``names`` maps queue id to cleaned name; the result maps each id to the name to show. Names
    with a skeleton of their own are unchanged.
    """
    by_look: dict[str, list[str]] = {}
    for queue_id, name in names.items():
        by_look.setdefault(skeleton(name), []).append(queue_id)
    shown = dict(names)
    for ids in by_look.values():
        if len(ids) < 2:
            continue
        width = id_chars
        while width < 36 and len({clean(i)[:width] for i in ids}) < len(ids):
            width += 4
        for queue_id in ids:
            shown[queue_id] = f"{names[queue_id]} {ID_MARK}{clean(queue_id)[:width]}"
    return shown


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def clean_lines(text: str, limit: int = 100_000) -> str:
    """Several lines (a log record with a traceback): each line cleaned, the line breaks kept."""
    return "\n".join(clean(line, limit) for line in text.split("\n"))
