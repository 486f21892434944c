"""The door-knock sheet's content: a page per volunteer, one visit per flat, walking order, the community's words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kit.errors import NotFound
from kit.knock_sheet import flat_order, knock_sheet, natural_key
from kit.knock_sheet_render import person_lines
from kit.models import Community
from tests.door_knocks import ESCAPING, SCRIPT, door_knock_street

# --- natural order ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [("301", "1002"), ("1-1-301", "1-1-1002"), ("B2", "B10"), ("b2", "B3"), ("12", "12A"), ("３01", "1002")],
)
def test_numbers_compare_as_numbers(before: str, after: str) -> None:
    assert natural_key(before) < natural_key(after)


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**9))
def test_room_numbers_sort_as_numbers(a: int, b: int) -> None:
    assert (natural_key(str(a)) < natural_key(str(b))) == (a < b)


addresses = st.tuples(*(st.integers(min_value=1, max_value=3000) for _ in range(3)))


@given(st.lists(addresses, max_size=30))
def test_addresses_sort_by_building_unit_then_room_as_numbers(homes: list[tuple[int, int, int]]) -> None:
    walked = sorted(homes, key=lambda home: flat_order(*map(str, home)))
    assert walked == sorted(homes)


@given(st.text(), st.text())
def test_the_order_is_total_and_only_equal_for_equal_text(a: str, b: str) -> None:
    assert sorted([a, b], key=natural_key) == sorted([b, a], key=natural_key)  # never raises, never depends on input
    assert (natural_key(a) == natural_key(b)) == (a == b)


# --- the sheet ----------------------------------------------------------------------------------------------


def test_a_page_per_volunteer_a_visit_per_flat_in_walking_order(community: Community) -> None:
    door_knock_street()
    sheet = knock_sheet()
    assert [page.volunteer for page in sheet.pages] == ["张志愿", "未分配志愿者"]  # nobody covers 西区: last
    mine, nobodys = sheet.pages
    assert [flat.address for flat in mine.flats] == ["1-1-301", "1-1-1001", "1-1-1002", "1-2-201"]
    assert [person.name for person in mine.flats[0].people] == ["李伯", "李婶"]  # one flat, one knock
    assert (mine.grids, mine.deadline, mine.people) == (("东区",), "12:00", 5)
    assert [flat.address for flat in nobodys.flats] == ["2-1-101"]
    wang = mine.flats[2]
    assert person_lines(sheet, wang) == [["王芳", "无电话", "第二联系人：+86 138 0000 0009", "任务 #1"]]
    assert sheet.result_words() == ("平安", "不适", "体温 ___", "无人", "需帮助")
    assert str(sheet.day) == "2026-11-20"


def test_names_from_outside_are_plain_text(community: Community) -> None:
    door_knock_street()
    names = [person.name for page in knock_sheet().pages for flat in page.flats for person in flat.people]
    assert "刘␛]0;owned␇叔" in names and ESCAPING not in names
    assert SCRIPT in names  # escaping markup is each renderer's business (HTML), not the content's


def test_one_grid_and_another_language(community: Community) -> None:
    door_knock_street()
    sheet = knock_sheet(grid="西区", language="en")
    assert [page.volunteer for page in sheet.pages] == ["No volunteer yet"]
    assert sheet.result_words() == ("Well", "Unwell", "Temp ___", "Nobody home", "Needs help")
    assert sheet.labelled("grid", "西区") == "Grid: 西区"


def test_a_grid_that_does_not_exist_is_named_with_those_that_do(community: Community) -> None:
    door_knock_street()
    with pytest.raises(NotFound) as refused:
        knock_sheet(grid="北区")
    assert refused.value.message == "没有叫 北区 的网格：可选 东区, 西区。"
