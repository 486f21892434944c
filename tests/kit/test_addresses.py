"""Splitting an address in one cell into building, unit and room: the shapes registers use, and nothing guessed."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kit.addresses import Address, split_address

FULL_WIDTH = str.maketrans(
    "0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "０１２３４５６７８９－ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3栋2单元401", ("3", "2", "401")),
        ("3-2-401", ("3", "2", "401")),
        ("3号楼2单元401室", ("3", "2", "401")),
        ("Block 3, 2-401", ("3", "2", "401")),
        ("３栋２单元４０１", ("3", "2", "401")),
        ("３－２－４０１", ("3", "2", "401")),
        ("3 栋 2 单元 401 室", ("3", "2", "401")),
        ("12幢3单元1502", ("12", "3", "1502")),
        ("A座2单元1201号", ("A", "2", "1201")),
        ("a-2-401", ("A", "2", "401")),
        ("3-2-401室", ("3", "2", "401")),
        ("3栋401", ("3", "", "401")),
        ("block 3, 2-401", ("3", "2", "401")),
        ("Blk 3 Unit 2 Room 401", ("3", "2", "401")),
        ("Bldg. 3, Room 401", ("3", "", "401")),
        ("Building 12, 1-1502B", ("12", "1", "1502B")),
        ("03-2-401", ("03", "2", "401")),
    ],
)
def test_addresses_in_the_shapes_registers_use(text: str, expected: tuple[str, str, str]) -> None:
    assert split_address(text) == Address(*expected)


@pytest.mark.parametrize(
    "text",
    [
        "3-401",  # building and room, or unit and room?
        "3楼401",  # the third floor?
        "幸福里3栋2单元401",  # an estate in front
        "朝阳区建国路88号",  # a street address
        "3栋2单元",  # no room
        "Block 3",
        "2单元401",  # no building
        "三栋二单元401",  # numbers in words
        "3-2-401-5",
        "",
        "   ",
    ],
)
def test_anything_else_is_not_split(text: str) -> None:
    assert split_address(text) is None


buildings = st.one_of(
    st.integers(1, 9999).map(str),
    st.tuples(st.sampled_from("ABCDEFGH"), st.integers(0, 99)).map(lambda p: f"{p[0]}{p[1] or ''}"),
)
units = st.integers(1, 99).map(str)
rooms = st.tuples(st.integers(1, 99999), st.sampled_from(["", "A", "B"])).map(lambda p: f"{p[0]}{p[1]}")
SHAPES = [
    "{b}栋{u}单元{r}",
    "{b}号楼{u}单元{r}室",
    "{b}幢 {u}单元 {r}",
    "{b}-{u}-{r}",
    "{b} - {u} - {r}室",
    "Block {b}, {u}-{r}",
    "Bldg {b} Unit {u} Room {r}",
]


@given(building=buildings, unit=units, room=rooms, shape=st.sampled_from(SHAPES), full_width=st.booleans())
def test_every_shape_gives_back_its_parts(building: str, unit: str, room: str, shape: str, full_width: bool) -> None:
    text = shape.format(b=building, u=unit, r=room)
    if full_width:
        text = text.translate(FULL_WIDTH)
    assert split_address(text) == Address(building, unit, room)


@given(st.text(alphabet=st.sampled_from("0123456789０１２-－ 栋单元室号楼幢座ABlockRm,，#"), max_size=24))
def test_a_split_never_invents_a_part(text: str) -> None:
    parts = split_address(text)
    if parts is not None:
        folded = unicodedata.normalize("NFKC", text).upper()
        assert parts.building and parts.room
        position = 0
        for part in (p for p in parts if p):  # each part is in the text, in order
            found = folded.find(part, position)
            assert found >= 0, (text, parts)
            position = found + len(part)


@given(st.text(max_size=40))
def test_any_text_is_either_split_or_not_without_an_error(text: str) -> None:
    parts = split_address(text)
    assert parts is None or all(isinstance(part, str) for part in parts)
