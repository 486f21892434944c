"""Numbers that cannot take an SMS: told apart from mobiles, and checked on by a call or a knock, never texted."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kit.checkin import advance_ladder, start_round
from kit.config import CheckinSettings
from kit.importer import import_residents
from kit.landlines import takes_sms
from kit.models import CheckinAsk, Community, Message, Resident, ResidentTag

pytestmark = pytest.mark.each_database  # storage code: runs on SQLite and PostgreSQL


@pytest.mark.parametrize(
    ("e164", "sms"),
    [
        ("+8613800138000", True),  # mobile
        ("+8619912345678", True),
        ("+861065529988", False),  # Beijing landline, 010-6552 9988
        ("+862158881234", False),  # Shanghai landline, 021 5888 1234
        ("+8675588881234", False),  # Shenzhen landline
        ("+864008108888", False),  # a 400 service number
        ("+868008108888", False),  # an 800 free call number
        ("+12025550123", True),  # North America: fixed line or mobile, cannot tell: SMS is tried
        ("+447911123456", True),  # UK mobile
        ("+442071838750", False),  # London landline
        ("+85291234567", True),  # Hong Kong mobile
    ],
)
def test_which_numbers_take_sms(e164: str, sms: bool) -> None:
    assert takes_sms(e164) is sms


@pytest.fixture
def imported(community: Community, tmp_path: Path) -> dict[str, int]:
    """Two mobiles and two landlines, imported from a sheet: name -> resident id."""
    path = tmp_path / "register.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(
            [
                ("姓名", "电话", "网格"),
                ("王秀英", "138 0013 8000", "东区"),
                ("李建国", "010-6552 9988", "东区"),
                ("张桂兰", "021 5888 1234", "西区"),
                ("赵六", "13900139000", "西区"),
            ]
        )
    import_residents(path)
    return {r.name: r.id for r in Resident.select()}


def stages() -> dict[str, str]:
    return {ask.resident.name: ask.stage for ask in CheckinAsk.select(CheckinAsk, Resident).join(Resident)}


def test_a_round_texts_mobiles_and_calls_landlines_at_once(imported: dict[str, int]) -> None:
    settings = CheckinSettings()
    start_round(settings=settings)
    assert stages() == {"王秀英": "asked", "李建国": "reminded", "张桂兰": "reminded", "赵六": "asked"}
    texts = Message.select(Message.peer).where(Message.channel == "sms").order_by(Message.peer).tuples()
    assert [peer for (peer,) in texts] == ["+8613800138000", "+8613900139000"]
    report = advance_ladder(settings=settings)
    calls = Message.select(Message.peer).where(Message.kind == "checkin_call").order_by(Message.peer).tuples()
    assert [peer for (peer,) in calls] == ["+861065529988", "+862158881234"]
    assert report.called == 2
    landlines = ["+861065529988", "+862158881234"]
    assert Message.select().where(Message.peer.in_(landlines) & (Message.channel == "sms")).count() == 0


def test_landlines_go_to_the_door_when_the_community_places_no_calls(imported: dict[str, int]) -> None:
    start_round(settings=CheckinSettings(call_opted_out=False))
    assert stages() == {"王秀英": "asked", "李建国": "door_knock", "张桂兰": "door_knock", "赵六": "asked"}
    assert Message.select().where(Message.peer.in_(["+861065529988", "+862158881234"])).count() == 0


def test_a_landline_typed_in_by_hand_is_tagged_too_and_untagged_when_it_becomes_a_mobile(community: Community) -> None:
    from kit.residents import ResidentInput, add_resident, edit_resident

    resident = add_resident(ResidentInput(name="刘大爷", phone="010-6552 9988"), actor="test")
    tags = {row.tag for row in ResidentTag.select().where(ResidentTag.resident == resident.id)}
    assert "landline" in tags
    edit_resident(resident.id, {"phone": "13800138000"}, actor="test")
    tags = {row.tag for row in ResidentTag.select().where(ResidentTag.resident == resident.id)}
    assert "landline" not in tags
