"""The voice simulator as the resident uses it: calls placed by the dispatcher, keys pressed, the kit recording.

Everything below runs the real kit (reports, tasks, the ladder, the outbox): the simulator is a real gateway.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from ivr.flows import Outcome
from ivr.simulator import SimulatedCallError, SimulatorVoiceGateway
from kit import outbox
from kit.checkin import advance_ladder, start_round
from kit.clock import FixedClock
from kit.config import CheckinSettings, DispatchSettings
from kit.dispatcher import Dispatcher
from kit.models import CheckinAsk, Message, Report, Resident, Task
from sms.simulator import SimulatorGateway
from tests.ivr.conftest import STRANGER, WANG, rows_of_call

ZONE = ZoneInfo("Asia/Shanghai")
GREETING = "王秀英您好，这里是幸福里社区的健康问候电话。"
MENU = "身体好，请按1；发烧或咳嗽，请按2；需要帮助，请按3。"


def queue_call(resident: Resident, kind: str = "checkin_call", body: str = "") -> Message:
    return outbox.queue(
        outbox.Draft(peer=resident.phone, body=body, kind=kind, channel="voice", language=resident.language,
                     resident_id=resident.id)
    )  # fmt: skip


def dispatch(voice: SimulatorVoiceGateway) -> None:
    Dispatcher({"sms": SimulatorGateway(), "voice": voice}, DispatchSettings(rate_per_second=0), ZONE).run_once()


@pytest.fixture
def simulator(community: object) -> SimulatorVoiceGateway:
    return SimulatorVoiceGateway()


def test_a_check_in_call_with_a_fever(wang: Resident, simulator: SimulatorVoiceGateway) -> None:
    message = queue_call(wang)
    dispatch(simulator)
    call = simulator.find(WANG)
    assert call.status == "ringing" and Message.get_by_id(message.id).status == "sent"
    simulator.press(WANG, "2")
    simulator.press(WANG, "385")
    assert call.said == [
        GREETING,
        MENU,
        "如果量了体温，请输入体温，例如三十八度五，就按3、8、5。不知道体温，请按井号键。",
        "已记录：体温38.5度。网格员会尽快联系您，请在家休息。",
        "再见。",
    ]
    assert call.status == "completed" and call.outcome == Outcome("unwell", temperature_c=38.5, symptoms=("fever",))
    assert Message.get_by_id(message.id).status == "completed"
    report = Report.get(Report.resident == wang.id)
    assert (report.channel, report.kind, report.temperature_c) == ("voice", "unwell", 38.5)
    assert Resident.get_by_id(wang.id).status == "red"
    assert simulator.active_calls() == []


def test_answering_and_pressing_one(wang: Resident, simulator: SimulatorVoiceGateway) -> None:
    queue_call(wang)
    dispatch(simulator)
    call = simulator.answer(WANG)
    assert call.said == [GREETING, MENU]
    simulator.press(call, "1")
    assert call.said[-2:] == ["已记录：您身体好。谢谢！", "再见。"]
    assert Report.get(Report.resident == wang.id).kind == "well"


@pytest.mark.parametrize(("act", "status"), [("no_answer", "no-answer"), ("busy", "busy"), ("fail", "failed"),
                                             ("hang_up", "busy")])  # fmt: skip
def test_calls_nobody_answers(wang: Resident, simulator: SimulatorVoiceGateway, act: str, status: str) -> None:
    message = queue_call(wang)
    dispatch(simulator)
    call = getattr(simulator, act)(WANG)
    assert call.status == status and call.outcome is None
    assert Message.get_by_id(message.id).status == status
    assert not Report.select().exists()
    with pytest.raises(SimulatedCallError):
        simulator.press(call, "1")


def test_hanging_up_after_asking_for_help_still_asks_for_help(wang: Resident, simulator: SimulatorVoiceGateway) -> None:
    queue_call(wang)
    dispatch(simulator)
    simulator.press(WANG, "3")
    call = simulator.hang_up(WANG)
    assert call.status == "completed" and call.outcome == Outcome("help")
    task = Task.get(Task.resident == wang.id)
    assert (task.kind, task.need, task.source) == ("help", "其他帮助", "voice")


def test_silence_ends_the_call_politely_and_records_no_report(wang: Resident, simulator: SimulatorVoiceGateway) -> None:
    message = queue_call(wang)
    dispatch(simulator)
    call = simulator.press(WANG, None)
    assert call.said[-2:] == ["没有听到您按键。", MENU]
    simulator.press(WANG, None)
    assert call.said[-1] == "没有收到您的回答，社区工作人员会再联系您。再见。"
    assert call.outcome == Outcome("no_input")
    assert Message.get_by_id(message.id).status == "completed"
    assert not Report.select().exists()


def test_a_restart_mid_call_loses_nothing(wang: Resident, simulator: SimulatorVoiceGateway) -> None:
    queue_call(wang)
    dispatch(simulator)
    simulator.press(WANG, "2")
    restarted = SimulatorVoiceGateway()  # a new process: its registry is empty
    call = restarted.press(WANG, "373")
    assert call.outcome == Outcome("unwell", temperature_c=37.3, symptoms=("fever",))
    assert Report.get(Report.resident == wang.id).temperature_c == 37.3


def test_a_call_placed_by_another_process_can_be_answered(wang: Resident, simulator: SimulatorVoiceGateway) -> None:
    message = queue_call(wang)
    dispatch(simulator)
    elsewhere = SimulatorVoiceGateway()
    call = elsewhere.find(Message.get_by_id(message.id).provider_id)
    assert call.status == "ringing"
    elsewhere.press(call, "1")
    assert Report.get(Report.resident == wang.id).kind == "well"


def test_a_voice_notice_heard_twice(wang: Resident, simulator: SimulatorVoiceGateway) -> None:
    queue_call(wang, kind="voice_notice", body="明天上午停水，请提前储水。")
    dispatch(simulator)
    simulator.press(WANG, "1")
    call = simulator.press(WANG, None)
    notice = "下面是社区通知。明天上午停水，请提前储水。"
    assert call.said.count(notice) == 2
    assert call.outcome == Outcome("heard")
    assert not Report.select().exists()


def test_nine_during_a_notice_asks_for_help(wang: Resident, simulator: SimulatorVoiceGateway) -> None:
    queue_call(wang, kind="voice_notice", body="明天上午停水。")
    dispatch(simulator)
    simulator.press(WANG, "9")
    call = simulator.press(WANG, "2")
    assert call.said[-2] == "已记录：您需要买菜或送饭。志愿者会联系您。"
    assert Task.get(Task.resident == wang.id).need == "买菜或送饭"


def test_a_stranger_calls_the_hotline(simulator: SimulatorVoiceGateway) -> None:
    call = simulator.call_in(STRANGER)
    assert call.said == ["您好，这里是幸福里社区求助热线。", "需要帮助，请按1，志愿者会给您回电话。"]
    simulator.press(call, "1")
    task = Task.get()
    assert (task.kind, task.need, task.resident_id) == ("call_back", f"hotline call from {STRANGER}", None)
    assert [row.provider_id.split(":")[1] for row in rows_of_call(call.call_id, "simulator-voice")] == [
        "hotline.ask.0",
        "outcome",
    ]


def test_a_resident_calls_the_hotline(wang: Resident, simulator: SimulatorVoiceGateway) -> None:
    call = simulator.call_in(WANG)
    assert call.said == [GREETING, MENU]
    simulator.press(call, "1")
    assert Report.get(Report.resident == wang.id).channel == "voice"


def test_only_calls_can_be_placed(wang: Resident, simulator: SimulatorVoiceGateway) -> None:
    message = queue_call(wang, kind="checkin")
    dispatch(simulator)
    failed = Message.get_by_id(message.id)
    assert failed.status == "failed" and "cannot be placed as a call" in failed.error


def test_a_call_that_does_not_exist(simulator: SimulatorVoiceGateway) -> None:
    with pytest.raises(SimulatedCallError):
        simulator.press("+8613811112222", "1")


def test_the_ladder_calls_and_the_answer_takes_the_resident_off_it(
    wang: Resident, simulator: SimulatorVoiceGateway, fixed_clock: FixedClock
) -> None:
    settings = CheckinSettings()
    start_round(settings=settings, actor="test")
    dispatch(simulator)
    fixed_clock.advance(hours=settings.reminder_after_hours)
    advance_ladder(settings=settings)
    dispatch(simulator)
    fixed_clock.advance(hours=settings.call_after_hours)
    advance_ladder(settings=settings)
    dispatch(simulator)
    assert CheckinAsk.get(CheckinAsk.resident == wang.id).stage == "called"
    simulator.press(WANG, "1")
    ask = CheckinAsk.get(CheckinAsk.resident == wang.id)
    assert (ask.stage, ask.outcome) == ("answered", "well")
