"""A couple on one mobile: the prompt once, and an answer counted for the one it is about (asked when unclear)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kit import shared_phones
from kit.clock import FixedClock
from kit.config import CheckinSettings
from kit.errors import ValidationError
from kit.inbox import correct_intent
from kit.models import Alert, CheckinAsk, Community, Message, Report, Resident
from kit.residents import ResidentInput, add_resident
from sms.router import handle
from tests.conversation import Conversation

pytestmark = pytest.mark.each_database  # storage code: runs on SQLite and PostgreSQL

HOME = "+8613800000001"  # 黄倩 and 王明, 3-2-201, share this mobile
SMITH = "+8613800000003"  # a neighbour with a phone of her own

PROMPT = "今日健康打卡：回复1 身体好，回复2 发烧或咳嗽，回复3 需要帮助。"
WHICH = "这个号码登记了：黄倩、王明。请回复 姓名+答复，例如：黄倩 1"


@pytest.fixture
def couple(community: Community) -> tuple[Resident, Resident]:
    at_home = {"phone": HOME, "grid": "东区", "building": "3", "unit": "2", "room": "201"}
    huang = add_resident(ResidentInput(name="黄倩", **at_home))
    wang = add_resident(ResidentInput(name="王明", **at_home))
    add_resident(ResidentInput(name="Ann Smith", phone=SMITH, language="en", grid="东区", room="202"))
    return huang, wang


@pytest.fixture
def convo(fixed_clock: FixedClock, couple: tuple[Resident, Resident]) -> Conversation:
    return Conversation(fixed_clock)


@pytest.fixture(autouse=True)
def default_choice() -> Iterator[None]:
    shared_phones.use_settings(CheckinSettings())  # the default: "1" alone asks which
    yield
    shared_phones.use_settings(None)


def outcomes() -> dict[str, str]:
    """Each resident's check-in outcome today ("" while unanswered)."""
    return {ask.resident.name: ask.outcome for ask in CheckinAsk.select().join(Resident)}


def test_one_prompt_for_the_phone_and_1_asks_which_of_them(convo: Conversation) -> None:
    convo.start_round()
    convo.advance(minutes=5)
    reply = convo.say(HOME, "1")
    convo.expect(f"""
        09:00 {HOME} < {PROMPT}
        09:05 {HOME} > 1
        09:05 {HOME} < {WHICH}
    """)
    assert outcomes() == {"黄倩": "", "王明": "", "Ann Smith": ""}
    assert Report.select().count() == 0
    assert Alert.select().count() == 0  # "well" can wait for the answer
    assert Message.get_by_id(reply.id).resident_id is None  # about one of them: not known which
    with pytest.raises(ValidationError) as caught:
        correct_intent(reply.id, {"intent": "well"}, actor="test")
    assert caught.value.message == (
        f"The message from {HOME} does not say which of 黄倩, 王明 (who share that phone) it is about. Reply to ask "
        "them, then record it for that resident."
    )


def test_a_reply_naming_her_answers_for_her_only(convo: Conversation) -> None:
    convo.start_round()
    convo.advance(minutes=5)
    convo.say(HOME, "1")
    reply = convo.say(HOME, "黄倩 1")
    convo.expect(f"""
        {HOME} < {PROMPT}
        {HOME} > 1
        {HOME} < {WHICH}
        {HOME} > 黄倩 1
        {HOME} < 已记录：身体好。谢谢！
    """)
    assert outcomes() == {"黄倩": "well", "王明": "", "Ann Smith": ""}
    huang = Resident.get(Resident.name == "黄倩")
    assert [(r.resident_id, r.kind, r.text) for r in Report.select()] == [(huang.id, "well", "黄倩 1")]
    assert Message.get_by_id(reply.id).resident_id == huang.id  # the inbox shows whom it was about


def test_a_reply_naming_him_with_a_fever_reads_the_temperature(convo: Conversation) -> None:
    convo.start_round()
    convo.say(HOME, "王明 发烧38.5")
    convo.expect(f"""
        {HOME} < {PROMPT}
        {HOME} > 王明 发烧38.5
        {HOME} < 已记录：发烧38.5度。网格员会尽快联系您，请在家休息。
    """)
    wang = Resident.get(Resident.name == "王明")
    assert (wang.status, outcomes()["王明"], outcomes()["黄倩"]) == ("red", "unwell", "")
    assert Report.get().temperature_c == 38.5


def test_when_one_of_them_has_answered_1_is_the_other_s(convo: Conversation) -> None:
    convo.start_round()
    convo.say(HOME, "王明 1")
    convo.advance(minutes=30)
    convo.say(HOME, "1")
    convo.expect(f"""
        {HOME} < {PROMPT}
        {HOME} > 王明 1
        {HOME} < 已记录：身体好。谢谢！
        {HOME} > 1
        {HOME} < 已记录：身体好。谢谢！
    """)
    assert outcomes() == {"黄倩": "well", "王明": "well", "Ann Smith": ""}


def test_the_community_can_let_1_count_for_both(convo: Conversation) -> None:
    shared_phones.use_settings(CheckinSettings(shared_phone_answers_for_all=True))
    convo.start_round()
    convo.say(HOME, "好")
    convo.expect(f"""
        {HOME} < {PROMPT}
        {HOME} > 好
        {HOME} < 谢谢，已记录：黄倩、王明身体好。
    """)
    assert outcomes() == {"黄倩": "well", "王明": "well", "Ann Smith": ""}
    assert Report.select().count() == 2


def test_the_setting_never_counts_a_fever_for_both(convo: Conversation) -> None:
    shared_phones.use_settings(CheckinSettings(shared_phone_answers_for_all=True))
    convo.start_round()
    convo.say(HOME, "2 38.5")
    convo.expect(f"""
        {HOME} < {PROMPT}
        {HOME} > 2 38.5
        {HOME} < {WHICH}
    """)
    assert Report.select().count() == 0
    assert [(a.kind, a.text) for a in Alert.select()] == [
        ("shared_phone", f"{HOME}（黄倩、王明共用的电话）回复：“2 38.5”。已问TA说的是谁；事情急的话请打电话。"),
    ]  # fmt: skip


def test_a_neighbour_with_her_own_phone_is_unchanged(convo: Conversation) -> None:
    convo.start_round()
    convo.say(SMITH, "1")
    assert outcomes()["Ann Smith"] == "well"
    assert convo.lines(SMITH)[-1] == f"{SMITH} < Thank you, noted: you are well."


def test_the_question_is_in_english_for_an_english_household(community: Community) -> None:
    at_home = {"phone": HOME, "language": "en", "building": "5", "room": "101"}
    add_resident(ResidentInput(name="Ann Lee", **at_home))
    add_resident(ResidentInput(name="Bob Lee", **at_home))
    handle("simulator", "SM1", HOME, "1")
    handle("simulator", "SM2", HOME, "bob lee 1")
    bodies = [m.body for m in Message.select().where(Message.direction == "out").order_by(Message.id)]
    assert bodies == [
        "This number is registered for Ann Lee, Bob Lee. Reply with the name and your answer, e.g.: Ann Lee 1",
        "Thank you, noted: you are well.",
    ]
    assert [r.resident.name for r in Report.select()] == ["Bob Lee"]
