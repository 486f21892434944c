"""The call state travels in URLs: it must survive the round trip exactly, and refuse what it cannot be."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from ivr.state import BadState, CallState, caller_number, speakable_language
from tests.ivr.menus import explore


def parsed(query: str) -> CallState:
    return CallState.from_query(dict(parse_qsl(query)))


def test_the_documented_form() -> None:
    state = CallState("checkin", "temp", "zh", tries=1, resident_id=42)
    assert state.to_query() == "flow=checkin&s=temp&n=1&rid=42&lang=zh"
    assert parsed("flow=checkin&s=temp&n=1&rid=42&lang=zh") == state


def test_every_field_round_trips() -> None:
    state = CallState("notice", "play", "en", tries=1, resident_id=3, message_id=99, plays=2)
    assert state.to_query() == "flow=notice&s=play&n=1&rid=3&mid=99&p=2&lang=en"
    assert parsed(state.to_query()) == state
    caller = CallState("hotline", "ask", "zh", caller="+8613800000001")
    assert caller.to_query() == "flow=hotline&s=ask&n=0&c=%2B8613800000001&lang=zh"
    assert parsed(caller.to_query()) == caller


def test_every_state_the_menus_reach_round_trips() -> None:
    states, _ = explore()
    assert len(states) > 15
    for state in states:
        assert parsed(state.to_query()) == state


def test_parameters_that_are_not_state_are_ignored() -> None:
    assert parsed("flow=checkin&s=menu&n=0&lang=zh&utm=x") == CallState("checkin", "menu", "zh")


@pytest.mark.parametrize(
    "query",
    [
        "s=menu&n=0&lang=zh",  # no flow
        "flow=checkin&n=0&lang=zh",  # no step
        "flow=checkin&s=menu&n=0",  # no language
        "flow=checkin&s=play&n=0&lang=zh",  # a step of another flow
        "flow=survey&s=menu&n=0&lang=zh",
        "flow=checkin&s=menu&n=2&lang=zh",  # asked three times
        "flow=checkin&s=menu&n=-1&lang=zh",
        "flow=checkin&s=menu&n=x&lang=zh",
        "flow=checkin&s=menu&n=0&rid=4a&lang=zh",
        "flow=checkin&s=menu&n=0&rid=-4&lang=zh",
        "flow=checkin&s=menu&n=0&lang=../../etc",
        "flow=hotline&s=ask&n=0&c=anonymous&lang=zh",
        "flow=notice&s=play&n=0&p=6&lang=zh",
    ],
)
def test_what_is_not_a_state_is_refused(query: str) -> None:
    with pytest.raises(BadState):
        parsed(query)


def test_step_keys_tell_apart_every_point_of_a_call() -> None:
    states, _ = explore()
    by_key: dict[tuple[int | None, str, str], CallState] = {}
    for state in states:
        # Within one call, the resident, caller and message are fixed: the step key alone must differ.
        ident = (state.resident_id, state.caller, state.step_key)
        assert by_key.setdefault(ident, state) == state or by_key[ident].language != state.language
    assert CallState("checkin", "menu", "zh").step_key == "checkin.menu.0"
    assert CallState("checkin", "menu", "zh", tries=1).step_key == "checkin.menu.1"
    assert CallState("notice", "play", "zh", plays=3).step_key == "notice.play.0.p3"


def test_withheld_callers_have_no_number() -> None:
    assert caller_number("+8613800000001") == "+8613800000001"
    for withheld in ("", None, "anonymous", "Restricted", "+266696687", "+86282452253", "client:alice"):
        assert caller_number(withheld) == ""


def test_a_language_from_the_register_is_only_used_if_a_url_can_carry_it() -> None:
    assert speakable_language("en") == "en"
    assert speakable_language("zh-Hant") == "zh-Hant"
    assert speakable_language("") == "zh"
    assert speakable_language("中文", "en") == "en"
