"""A keypad call to a phone a household shares asks about each of them by name, one after another."""

from __future__ import annotations

import pytest

from ivr import flows
from ivr.flows import Outcome
from ivr.simulator import SimulatorVoiceGateway
from ivr.state import CallState
from kit.clock import FixedClock
from kit.models import CheckinAsk, Community, Report, Resident
from kit.residents import ResidentInput, add_resident
from tests.conversation import Conversation
from tests.ivr.menus import SILENCE, drive, said

HOME = "+8613800000001"  # 黄倩 and 王明, 3-2-201, share this mobile

GREETING = "您好，这里是幸福里社区的健康问候电话。这个号码登记了几位居民，我们一位一位地问。"
ASK_HUANG = "黄倩，身体好请按1；发烧或咳嗽请按2；需要帮助请按3。"
ASK_WANG = "王明，身体好请按1；发烧或咳嗽请按2；需要帮助请按3。"


@pytest.fixture
def couple(community: Community) -> tuple[Resident, Resident]:
    at_home = {"phone": HOME, "grid": "东区", "building": "3", "unit": "2", "room": "201"}
    return add_resident(ResidentInput(name="黄倩", **at_home)), add_resident(ResidentInput(name="王明", **at_home))


def test_the_menu_asks_each_resident_in_turn() -> None:
    state = flows.ask_each(flows.checkin_call("zh", 1, 7), (1, 2, 3))
    assert (state.shared, state.then) == (True, (2, 3))
    steps = drive(state, "1", "2", "385", SILENCE, SILENCE)
    assert said(steps[0]) == ["greeting_shared", "person_menu"]
    assert (said(steps[1]), steps[1].outcome) == (["recorded_well", "person_menu"], Outcome("well"))
    assert steps[1].gather is not None and steps[1].gather.state.resident_id == 2
    assert said(steps[2]) == ["temperature"]
    assert steps[3].outcome == Outcome("unwell", temperature_c=38.5, symptoms=("fever",))
    assert said(steps[3]) == ["recorded_temperature", "person_menu"]
    assert steps[3].gather is not None and steps[3].gather.state.resident_id == 3
    assert said(steps[5]) == ["goodbye_no_answer"] and steps[5].outcome == Outcome("no_input")
    assert steps[5].hangs_up


def test_a_phone_of_ones_own_is_asked_as_before() -> None:
    state = flows.checkin_call("zh", 1, 7)
    assert flows.ask_each(state, (1,)) == state
    assert flows.ask_each(state, ()) == state


def test_the_state_travels_in_the_url_and_keys_are_told_apart_per_resident() -> None:
    state = flows.ask_each(flows.checkin_call("zh", 1, 7), (1, 2, 3))
    assert CallState.from_query(dict(pair.split("=") for pair in state.to_query().split("&"))) == state
    following = flows.advance(state, "1").gather
    assert following is not None
    assert (state.step_key, following.state.step_key) == ("checkin.menu.0.r1", "checkin.menu.0.r2")


def test_a_hotline_call_from_the_shared_phone_records_each_answer(couple: tuple[Resident, Resident]) -> None:
    voice = SimulatorVoiceGateway()
    call = voice.call_in(HOME)
    voice.press(call, "1")
    voice.press(call, "2")
    voice.press(call, "385")
    assert call.said[:2] == [GREETING, ASK_HUANG]
    assert ASK_WANG in call.said
    assert call.status == "completed"
    reports = [(r.resident.name, r.kind, r.temperature_c, r.channel) for r in Report.select().order_by(Report.id)]
    assert reports == [("黄倩", "well", None, "voice"), ("王明", "unwell", 38.5, "voice")]
    assert Resident.get(Resident.name == "王明").status == "red"


def test_the_check_in_call_asks_about_both_of_them(fixed_clock: FixedClock, couple: tuple[Resident, Resident]) -> None:
    convo = Conversation(fixed_clock, voice=SimulatorVoiceGateway())
    voice = convo.dispatcher.gateways["voice"]
    assert isinstance(voice, SimulatorVoiceGateway)
    convo.start_round()
    convo.until("14:00")
    calls = [c for c in voice._registry.values() if c.peer == HOME]
    assert calls, "the ladder called the shared phone"
    first = calls[0]
    voice.press(first, "1")
    voice.press(first, "1")
    assert first.said[:2] == [GREETING, ASK_HUANG] and ASK_WANG in first.said and first.status == "completed"
    assert sorted((a.resident.name, a.stage, a.outcome) for a in CheckinAsk.select()) == [
        ("王明", "answered", "well"),
        ("黄倩", "answered", "well"),
    ]
