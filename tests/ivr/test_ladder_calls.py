"""The check-in call on the ladder, as people live it: a busy or unanswered call is placed once more, then the
second contact, then the door-knock (README, "The daily loop")."""

from __future__ import annotations

import pytest

from ivr.simulator import SimulatorVoiceGateway
from kit.checkin import advance_ladder
from kit.clock import FixedClock
from kit.models import CheckinAsk, Community, Message, Report, Resident, Task
from kit.residents import ResidentInput, add_resident
from kit.volunteers import add_volunteer
from tests.conversation import Conversation

WANG = "+8613800000001"  # 王芳, 3-2-201, grid 东区; her daughter is her second contact
DAUGHTER = "+8613800000002"
LI = "+8613800000003"  # 李伯, 3-1-101, grid 东区; nobody to call for him
ZHANG = "+8613900000009"  # the volunteer for grid 东区

CALL = "[call] 您好，这里是社区健康打卡。身体好请按1，发烧或咳嗽请按2，需要帮助请按3。"


@pytest.fixture
def convo(fixed_clock: FixedClock, community: Community) -> Conversation:
    add_resident(
        ResidentInput(name="王芳", phone=WANG, second_phone=DAUGHTER, grid="东区", building="3", unit="2", room="201")
    )
    add_volunteer("张三", ZHANG, grids=["东区"])
    return Conversation(fixed_clock, voice=SimulatorVoiceGateway())


@pytest.fixture
def voice(convo: Conversation) -> SimulatorVoiceGateway:
    gateway = convo.dispatcher.gateways["voice"]
    assert isinstance(gateway, SimulatorVoiceGateway)
    return gateway


def ask_of(phone: str) -> CheckinAsk:
    ask: CheckinAsk = CheckinAsk.select().join(Resident).where(Resident.phone == phone).get()
    return ask


def calls_to(phone: str) -> list[tuple[str | None, str]]:
    return [
        (m.key.rsplit(":", 1)[-1] if m.key else None, m.status)
        for m in Message.select().where((Message.kind == "checkin_call") & (Message.peer == phone)).order_by(Message.id)
    ]


def test_busy_then_the_retry_is_answered(convo: Conversation, voice: SimulatorVoiceGateway) -> None:
    convo.start_round()
    convo.until("14:00")
    voice.busy(WANG)
    convo.until("14:20")
    voice.press(WANG, "1")
    convo.skip_before("14:00")
    convo.expect(f"""
        14:00 {WANG} < {CALL}
        14:00 {WANG} - [busy]
        14:20 {WANG} < {CALL}
        14:20 {WANG} > [keys] 1
    """)
    ask = ask_of(WANG)
    assert (ask.stage, ask.outcome) == ("answered", "well")
    assert Report.get().channel == "voice"
    assert calls_to(WANG) == [("call", "busy"), ("call2", "completed")]
    convo.until("21:00")
    convo.nothing_new(WANG, DAUGHTER, ZHANG)
    assert Task.select().count() == 0


def test_the_retry_is_queued_once(convo: Conversation, voice: SimulatorVoiceGateway) -> None:
    convo.start_round()
    convo.until("14:00")
    voice.no_answer(WANG)
    convo.until("14:20", dispatch=False)
    again = advance_ladder(settings=convo.checkin, dispatch=convo.dispatch)
    assert (again.retried, again.called, again.second_contact) == (0, 0, 0)
    assert calls_to(WANG) == [("call", "no-answer"), ("call2", "queued")]


def test_no_answer_twice_then_the_second_contact(convo: Conversation, voice: SimulatorVoiceGateway) -> None:
    convo.start_round()
    convo.until("14:00")
    voice.no_answer(WANG)
    convo.until("14:20")
    voice.no_answer(WANG)
    convo.until("16:00")
    convo.skip_before("14:00")
    convo.expect(f"""
        14:00 {WANG} < {CALL}
        14:00 {WANG} - [no-answer]
        14:20 {WANG} < {CALL}
        14:20 {WANG} - [no-answer]
        15:20 {DAUGHTER} < 您好，王芳（3-2-201）今天没有回复健康打卡，也没接电话。请联系TA，或回复1 TA平安。
    """)
    assert ask_of(WANG).stage == "second_contact"
    assert calls_to(WANG) == [("call", "no-answer"), ("call2", "no-answer")]


def test_failed_twice_without_a_second_contact_is_a_door_knock(
    convo: Conversation, voice: SimulatorVoiceGateway
) -> None:
    add_resident(ResidentInput(name="李伯", phone=LI, grid="东区", building="3", unit="1", room="101"))
    convo.start_round()
    convo.until("14:00")
    voice.fail(LI)
    convo.until("14:20")
    voice.fail(LI)
    convo.until("15:30")
    convo.skip_before("14:00")
    convo.expect(f"""
        14:00 {LI} < {CALL}
        14:00 {LI} - [failed]
        14:20 {LI} < {CALL}
        14:20 {LI} - [failed]
        15:20 {ZHANG} < 任务1：上门查看 李伯 3-1-101，今天联系不上。请在18:20前完成。接单回复：接 1，完成后回复：完成 1
    """)
    ask = ask_of(LI)
    assert ask.stage == "door_knock"
    assert Task.get_by_id(ask.task).kind == "door_knock"


def test_a_call_picked_up_without_a_key_is_not_an_answer(convo: Conversation, voice: SimulatorVoiceGateway) -> None:
    convo.start_round()
    convo.until("14:00")
    voice.answer(WANG)
    voice.hang_up(WANG)
    convo.until("15:00")
    assert calls_to(WANG) == [("call", "completed")]  # picked up: not placed again
    assert ask_of(WANG).stage == "second_contact"
    assert Message.select().where(Message.kind == "second_contact").count() == 1
    assert Report.select().count() == 0


def test_a_resident_who_opted_out_of_sms_is_called_and_answers(
    convo: Conversation, voice: SimulatorVoiceGateway
) -> None:
    convo.say(WANG, "退订")  # before the round: never texted, called as the round starts
    convo.start_round()
    convo.advance(minutes=1)
    voice.press(WANG, "1")
    convo.expect(f"""
        09:00 {WANG} > 退订
        09:01 {WANG} < {CALL}
        09:01 {WANG} > [keys] 1
    """)
    assert (ask_of(WANG).stage, ask_of(WANG).outcome) == ("answered", "well")
    assert Message.select().where((Message.peer == WANG) & (Message.channel == "sms")).count() == 1  # the TD only
    convo.until("21:00")
    convo.nothing_new(WANG, DAUGHTER, ZHANG)
