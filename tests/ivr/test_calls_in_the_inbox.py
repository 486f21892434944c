"""A voice call in the inbox is one line: the keys pressed and what the call meant, never rows "not understood"."""

from __future__ import annotations

import pytest

from ivr.simulator import SimulatorVoiceGateway
from kit.call_lines import call_id, fold_calls, outcome_words
from kit.models import Resident
from kit.views import MessageLine, inbound_messages
from sms.router import handle
from tests.ivr.conftest import STRANGER, WANG


@pytest.fixture
def simulator(community: object) -> SimulatorVoiceGateway:
    return SimulatorVoiceGateway()


def inbox(language: str = "zh") -> list[MessageLine]:
    return fold_calls(inbound_messages(limit=200), language)


def test_a_fever_by_keypad_is_one_line(wang: Resident, simulator: SimulatorVoiceGateway) -> None:
    call = simulator.call_in(WANG)
    simulator.press(call, "2")
    simulator.press(call, "385")
    assert len(inbound_messages()) == 3  # two key presses and the call's outcome, as stored
    (line,) = inbox()
    assert line.body == "通话：按2，体温38.5"
    assert line.intent == {"intent": "unwell", "temperature_c": 38.5, "symptoms": ["fever"], "text": ""}
    assert (line.resident_name, call_id(line)) == ("王秀英", call.call_id)
    assert inbox("en")[0].body == "Call: pressed 2, temperature 38.5"


def test_calls_and_sms_keep_their_order(wang: Resident, simulator: SimulatorVoiceGateway) -> None:
    handle("simulator", "SIM-1", WANG, "1")
    first = simulator.call_in(WANG)
    simulator.press(first, "3")
    handle("simulator", "SIM-2", WANG, "谢谢")  # an SMS in the middle of the call
    simulator.press(first, "1")  # help: medicine
    second = simulator.call_in(WANG)
    simulator.press(second, "2")  # still on the temperature question
    assert [line.body for line in inbox()] == ["通话中：按2", "通话：按3，按1", "谢谢", "1"]
    assert inbox()[1].intent["text"] == "买药"
    assert inbox()[0].intent == {}  # no outcome yet: shown as waiting, not as "not understood"


def test_a_call_hung_up_without_a_key(wang: Resident, simulator: SimulatorVoiceGateway) -> None:
    call = simulator.call_in(WANG)
    simulator.hang_up(call)
    (line,) = inbox()
    assert line.body == "通话：未按键"
    assert line.intent["intent"] == "hangup"
    assert outcome_words({"kind": "hangup"}, "zh") == "挂断"


def test_silence_and_an_unknown_caller(community: object, simulator: SimulatorVoiceGateway) -> None:
    call = simulator.call_in(STRANGER)
    simulator.press(call, None)
    simulator.press(call, "1")
    (line,) = inbox()
    assert line.body.startswith("通话") and "未按键" in line.body and "按1" in line.body


@pytest.mark.parametrize(
    ("outcome", "zh", "en"),
    [
        ({"kind": "unwell", "temperature_c": 38.5, "symptoms": ["fever"], "need": ""}, "不适 38.5°C", "unwell 38.5°C"),
        ({"kind": "help", "temperature_c": None, "symptoms": [], "need": "food"}, "求助 买菜", "help food"),
        ({"kind": "no_input", "temperature_c": None, "symptoms": [], "need": ""}, "没有按键", "no answer"),
        ({}, "", ""),
    ],
)
def test_outcome_words(outcome: dict[str, object], zh: str, en: str) -> None:
    assert outcome_words(outcome, "zh") == zh
    assert outcome_words(outcome, "en") == en
