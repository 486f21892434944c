"""One audience type for check-in rounds and notices: typed as text for a round, picked field by field for a
notice, and the same residents and the same refusals either way."""

from __future__ import annotations

from datetime import date

import pytest

from kit import ui_words
from kit.audience import Audience, residents_in
from kit.checkin import audience_condition
from kit.errors import ValidationError
from kit.models import Community, Resident
from kit.notices import preview_notice
from kit.residents import ResidentInput, add_resident

DAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("text", "audience", "stored"),
    [
        (" ALL ", Audience(), "all"),
        ("Monitored", Audience(monitored=True), "monitored"),
        ("grid: 第1网格", Audience(grids=("第1网格",)), "grid:第1网格"),
        ("grid:第 1  网格", Audience(grids=("第 1 网格",)), "grid:第 1 网格"),
        ("tag:独居老人", Audience(tags=("elderly-alone",)), "tag:elderly-alone"),
    ],
)
def test_a_round_audience_is_parsed_and_stored_as_before(text: str, audience: Audience, stored: str) -> None:
    assert Audience.parse(text) == audience
    assert audience.as_text() == stored
    assert Audience.parse(stored) == audience


@pytest.mark.parametrize("text", ["everyone", "grid:", "tag", "all:x", ""])
def test_an_audience_a_round_cannot_have_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="should be all, monitored, grid:NAME or tag:NAME"):
        Audience.parse(text)


def test_a_notice_audience_with_two_fields_has_no_round_form() -> None:
    with pytest.raises(ValidationError, match="one of all, monitored, grid:NAME or tag:NAME"):
        Audience.of(grids=["第1网格"], statuses=["red"]).as_text()


def test_monitored_survives_the_stored_json() -> None:
    audience = Audience(grids=("第1网格",), monitored=True)
    assert audience.as_json() == '{"grids":["第1网格"],"monitored":true}'
    assert Audience.from_json(audience.as_json()) == audience
    assert Audience.from_dict(audience.as_dict()) == audience
    assert audience.describe() == "monitored; grid 第1网格"


def test_an_audience_is_described_in_the_readers_language() -> None:
    audience = Audience.of(grids=["第1网格", "第2网格"], tags=["独居老人"], statuses=["red"])
    assert audience.describe("en") == "grid 第1网格 or 第2网格; tag elderly alone; status RED"
    ui_words.use_language("zh")
    assert audience.describe() == "网格 第1网格 或 第2网格；标签 独居老人；健康状态 红"  # tags and statuses in words
    assert Audience().describe() == "所有人"
    with pytest.raises(ValidationError) as caught:
        Audience.parse("everyone")
    assert caught.value.message == "对象“everyone”应写成 all、monitored、grid:网格名 或 tag:标签。"


def test_an_unknown_grid_is_one_error_for_rounds_and_notices(community: Community) -> None:
    add_resident(ResidentInput(name="王芳", phone="13800138000", grid="第1网格"), actor="test")
    expected = r"^No grid named 第9网格; grids are: 第1网格\.$"
    with pytest.raises(ValidationError, match=expected) as by_round:
        audience_condition("grid:第9网格", DAY)
    with pytest.raises(ValidationError, match=expected) as by_notice:
        preview_notice("Hello", Audience.of(grids=["第9网格"]))
    assert by_round.value.field == by_notice.value.field == "grid"


def test_both_pick_the_same_residents(community: Community) -> None:
    for name, phone, grid in (("王芳", "13800138000", "第1网格"), ("李伯", "13700137000", "第2网格")):
        add_resident(ResidentInput(name=name, phone=phone, grid=grid), actor="test")
    stored, condition = audience_condition("grid:第2网格", DAY)
    assert stored == "grid:第2网格"
    picked = residents_in(Audience.of(grids=["第2网格"]), DAY)
    assert condition is not None and picked is not None
    assert [r.name for r in Resident.select().where(condition)] == ["李伯"]
    assert [r.name for r in Resident.select().where(picked)] == ["李伯"]
    assert preview_notice("Hello", Audience.of(grids=["第2网格"])).in_audience == 1
