"""kit.plaintext: whatever comes in, what is shown has no character that acts on a terminal, and every other
character is shown as it was, in its place."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kit.plaintext import LINE_BREAK, SUBSTITUTE, is_plain, visible, without_controls

# What an attacker, a careless spreadsheet or a broken provider sends.
SEQUENCES = [
    "\x1b]0;pwned\x07",  # window title
    "\x1b]52;c;ZWNobyBoYWNrZWQ=\x07",  # clipboard
    "\x1b[2J",  # clear screen
    "\x1b[31m",  # colour
    "\x9b2J",  # the same as a C1 control
    "\x1bP+q\x1b\\",  # device control string
    "\u202eabc\u202c",  # right-to-left override
    "\u2066x\u2069",  # isolate
    "\u200b",  # zero-width space
    "\U000e0041\U000e0042",  # tag characters
    "\r\n",
    "\r",
    "\x00",
    "\x7f",
    "\udcff",  # an undecodable byte
    "\u2028",
]
MARKUP = ["[/]", "[bold]", "[/bold]", "[red]x[/red]", "[link=http://x]", "[@click=app.quit]", "\\[", "[", "]"]

BIDI_CONTROLS = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
INVISIBLE_MARKS = {"\u200e", "\u200f", "\u061c", "\u200b", "\ufeff"}


def acts_on_a_terminal(ch: str, *, multiline: bool = False) -> bool:
    """Told from the Unicode database itself, not from the module's own list."""
    if multiline and ch == "\n":
        return False
    return (
        unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")
        or unicodedata.bidirectional(ch) in BIDI_CONTROLS
        or ch in INVISIBLE_MARKS
        or 0xE0000 <= ord(ch) <= 0xE007F
    )


hostile_text: st.SearchStrategy[str] = st.lists(
    st.one_of(st.sampled_from(SEQUENCES), st.sampled_from(MARKUP), st.text(max_size=8)), max_size=12
).map("".join)


@given(hostile_text)
def test_nothing_that_acts_on_a_terminal_survives(text: str) -> None:
    shown = visible(text)
    assert not [ch for ch in shown if acts_on_a_terminal(ch)]
    assert is_plain(shown)
    shown_lines = visible(text, multiline=True)
    assert not [ch for ch in shown_lines if acts_on_a_terminal(ch, multiline=True)]


@given(hostile_text)
def test_every_other_character_is_shown_as_it_was_in_its_place(text: str) -> None:
    shown = visible(text)
    text = text.replace("\r\n", "\n")  # one line break, shown as one symbol (once, as visible does: \r\r\n is two)
    assert len(shown) == len(text)
    for before, after in zip(text, shown):
        if acts_on_a_terminal(before) or before == "\t":
            assert after in (LINE_BREAK, SUBSTITUTE, " ") or 0x2400 <= ord(after) <= 0x2421
        elif unicodedata.category(before) == "Cf":  # other invisible formatting may be shown as a substitute
            assert after in (before, SUBSTITUTE)
        else:
            assert after == before


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Cf"))))
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert visible(text) == text
    assert visible(text, multiline=True) == text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b]0;pwned\x07王", "␛]0;pwned␇王"),
        ("[/] 张", "[/] 张"),
        ("一\r\n二\n三\r四", "一⏎二⏎三⏎四"),
        ("a\tb", "a b"),
        ("\u202eevil", "␦evil"),
        ("x\x7f\x9by", "x␡␦y"),
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # the joiner stays: emoji and scripts need it
        (None, ""),
    ],
)
def test_one_line(text: str | None, shown: str) -> None:
    assert visible(text) == shown


def test_several_lines_keep_their_breaks_and_a_lone_carriage_return_cannot_overwrite() -> None:
    assert visible("一\r\n二\n三\r四\x1b[2J", multiline=True) == "一\n二\n三\n四␛[2J"


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("\x1b]0;title\x07名字", "名字"),
        ("a\x1b[2Jb\x1b]52;c;aGk=\x1b\\c", "abc"),
        ("x\x9b31my\x00z\x7f", "xyz"),
        ("两行\n\t文字", "两行\n\t文字"),
        ("\x1b", ""),
    ],
)
def test_without_controls_takes_whole_escape_sequences_out(text: str, read: str) -> None:
    assert without_controls(text) == read
