"""Text from outside, made safe to show: every character that would act on a terminal instead of showing is shown.

Residents' names and replies, volunteers' names, spreadsheet cells and providers' error fields can hold anything,
terminal escape sequences included (ESC ]0; renames the operator's window, ESC ]52; writes their clipboard, ESC [2J
clears the screen) and Unicode controls that reorder or hide text (a right-to-left override, a zero-width space).
`visible` is the one rule for showing such text, in the operators' UI and on a terminal. Rich markup is not this
module's business: the UI hands what `visible` returns to Rich as `Text`, never as markup.

Decisions:
- A control character becomes a symbol a volunteer can read, not nothing: the C0 controls and DEL become their
  Unicode control pictures (ESC → ␛, NUL → ␀, BEL → ␇, DEL → ␡). Dropping them would hide that the text is odd.
- Every other character that would act instead of showing (the C1 controls, bidirectional embeddings, overrides,
  isolates and marks, zero-width spaces, the invisible tag characters, lone surrogates) becomes ␦ (SYMBOL FOR
  SUBSTITUTE FORM TWO). One cell wide in every terminal, where U+FFFD is two in many Chinese ones.
- Each such character becomes exactly one symbol, so a cell keeps its width and a `Text`'s styles their places.
- A one-line value (a name in a table, an alert in a list) shows a line break as ⏎ (a CRLF pair is one break), so a
  row stays one row; `multiline=True` (a message in a detail pane) keeps line breaks as line breaks, and a lone CR
  becomes one too (a bare CR would let the rest of the line overwrite the start). A tab is a space in both.
- The zero-width joiner and non-joiner stay: scripts and emoji need them, and they neither reorder nor hide text.
- Only what is shown changes: stored data keeps every character, and an export to a file is exact.
"""

from __future__ import annotations

import re
from typing import Final

LINE_BREAK: Final = "⏎"
SUBSTITUTE: Final = "␦"

# Characters that act instead of showing, besides the C0 controls and DEL (which have pictures of their own).
_SUBSTITUTED: Final = (
    (0x80, 0x9F),  # C1 controls (CSI, OSC, NEL, ...)
    (0x61C, 0x61C),  # Arabic letter mark
    (0x180E, 0x180E),  # Mongolian vowel separator (invisible)
    (0x200B, 0x200B),  # zero-width space
    (0x200E, 0x200F),  # left-to-right and right-to-left marks
    (0x202A, 0x202E),  # bidirectional embeddings and overrides
    (0x2060, 0x2064),  # word joiner and invisible operators
    (0x2066, 0x2069),  # bidirectional isolates
    (0x206A, 0x206F),  # deprecated format characters
    (0xD800, 0xDFFF),  # lone surrogates (undecodable bytes): they cannot even be written to a terminal
    (0xFEFF, 0xFEFF),  # byte order mark, zero-width no-break space
    (0xFFF9, 0xFFFB),  # interlinear annotation
    (0xE0000, 0xE007F),  # tag characters (invisible ASCII)
)
_BREAKS: Final = (0x2028, 0x2029)  # line and paragraph separators

_RANGES: Final = "".join(f"{chr(low)}-{chr(high)}" for low, high in _SUBSTITUTED) + "".join(map(chr, _BREAKS))
UNSAFE: Final = re.compile(f"[\x00-\x1f\x7f{_RANGES}]")
"""Any character `visible` changes in a one-line value."""

UNSAFE_MULTILINE: Final = re.compile(f"[\x00-\x09\x0b-\x1f\x7f{_RANGES}]")
"""Any character `visible(..., multiline=True)` changes: the same but the line feed."""


def _table(line_break: str) -> dict[int, str]:
    table = {code: chr(0x2400 + code) for code in range(0x20)}  # ␀ ␁ ... ␟
    table[0x7F] = "␡"
    table[ord("\t")] = " "
    for code in (ord("\n"), ord("\r"), *_BREAKS):
        table[code] = line_break
    for low, high in _SUBSTITUTED:
        table.update(dict.fromkeys(range(low, high + 1), SUBSTITUTE))
    return table


_ONE_LINE: Final = _table(LINE_BREAK)
_LINES: Final = _table("\n")


def visible(text: str | None, *, multiline: bool = False) -> str:
    """`text` with every control character shown as a symbol (see the module docstring); None is ""."""
    if not text:
        return ""
    if (UNSAFE_MULTILINE if multiline else UNSAFE).search(text) is None:
        return text  # nearly every name and message: nothing to do
    return text.replace("\r\n", "\n").translate(_LINES if multiline else _ONE_LINE)


def is_plain(text: str) -> bool:
    """True when `text` shows as it is on one line (nothing for `visible` to change)."""
    return UNSAFE.search(text) is None


# A terminal escape sequence as a whole: CSI (ESC [ ... final byte), OSC/DCS/APC/PM/SOS strings up to BEL or ST,
# or ESC and one character. Each alternative scans forward only, so removing them stays linear in the text.
_ESCAPE_SEQUENCE: Final = re.compile(
    "\x1b\\[[0-?]*[ -/]*[@-~]?|\x1b[\\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\\\)?|\x1b[\\s\\S]?|\x9b[0-?]*[ -/]*[@-~]?"
)
_OTHER_CONTROLS: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def without_controls(text: str) -> str:
    """`text` with whole terminal escape sequences and other control characters taken out (line breaks and tabs
    stay): for reading what a message says, e.g. the need a volunteer is sent. What is shown still goes through
    `visible`; what is stored keeps every character."""
    if "\x1b" not in text and "\x9b" not in text and _OTHER_CONTROLS.search(text) is None:
        return text
    return _OTHER_CONTROLS.sub("", _ESCAPE_SEQUENCE.sub("", text))
