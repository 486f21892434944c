"""The keypad menus, driven key by key as a resident would: right keys, wrong keys, silence and hang-ups."""

from __future__ import annotations

import pytest

from ivr import flows
from ivr.flows import Outcome, temperature_from_keys
from ivr.state import MAX_PLAYS, CallState
from tests.ivr.menus import SILENCE, drive, explore, outcome, said

CHECKIN = flows.checkin_call("zh", 42, 7)
NOTICE = flows.notice_call("zh", 42, 8)
STRANGER = flows.hotline_call("zh", "+8613900000009", None)
WITHHELD = flows.hotline_call("zh", "", None)


def test_the_check_in_call_greets_then_asks() -> None:
    first = flows.answer(CHECKIN)
    assert said(first) == ["greeting", "checkin_menu"]
    assert first.gather == flows.Gather(CHECKIN, num_digits=1, timeout=flows.MENU_TIMEOUT)
    assert first.outcome is None


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (("1",), Outcome("well")),
        (("2", "385"), Outcome("unwell", temperature_c=38.5, symptoms=("fever",))),
        (("2", "373"), Outcome("unwell", temperature_c=37.3, symptoms=("fever",))),
        (("2", "365"), Outcome("unwell", temperature_c=36.5)),
        (("2", "101"), Outcome("unwell", temperature_c=38.3, symptoms=("fever",))),  # Fahrenheit
        (("2", SILENCE), Outcome("unwell")),  # skipped by waiting
        (("2", ""), Outcome("unwell")),  # skipped with #
        (("2", "12", "38"), Outcome("unwell", temperature_c=38.0, symptoms=("fever",))),
        (("2", "12", "555"), Outcome("unwell")),  # two wrong temperatures: the 2 still counts
        (("3", "1"), Outcome("help", need="medicine")),
        (("3", "2"), Outcome("help", need="food")),
        (("3", "3"), Outcome("help", need="other")),
        (("3", "8", "2"), Outcome("help", need="food")),
        (("3", SILENCE, SILENCE), Outcome("help")),  # asked for help, never said what: still help
        (("7", "1"), Outcome("well")),
        (("*", "3", "1"), Outcome("help", need="medicine")),
        ((SILENCE, "2", "390"), Outcome("unwell", temperature_c=39.0, symptoms=("fever",))),
        (("7", "9"), Outcome("no_input")),
        ((SILENCE, SILENCE), Outcome("no_input")),
        (("0", SILENCE), Outcome("no_input")),
    ],
)
def test_check_in_menu(keys: tuple[str | None, ...], expected: Outcome) -> None:
    assert outcome(CHECKIN, *keys) == expected


def test_a_wrong_key_repeats_the_menu_once() -> None:
    steps = drive(CHECKIN, "7", "8")
    assert said(steps[1]) == ["invalid_key", "checkin_menu"]
    assert steps[1].gather is not None and steps[1].gather.state == CHECKIN.at("menu", tries=1)
    assert steps[1].outcome is None
    assert said(steps[2]) == ["goodbye_no_answer"]
    assert steps[2].hangs_up


def test_silence_repeats_the_menu_once_then_says_goodbye_politely() -> None:
    steps = drive(CHECKIN, SILENCE, SILENCE)
    assert said(steps[1]) == ["no_input", "checkin_menu"]
    assert said(steps[2]) == ["goodbye_no_answer"]
    assert steps[2].outcome == Outcome("no_input")


def test_fever_asks_the_temperature_and_confirms_it() -> None:
    steps = drive(CHECKIN, "2", "385")
    assert said(steps[1]) == ["temperature"]
    assert steps[1].gather == flows.Gather(CHECKIN.at("temp"), num_digits=3, timeout=flows.TEMPERATURE_TIMEOUT)
    assert steps[2].say == (flows.prompt("recorded_temperature", temperature="38.5"), flows.prompt("goodbye"))
    assert steps[2].hangs_up


def test_a_wrong_temperature_is_asked_again_once() -> None:
    steps = drive(CHECKIN, "2", "5")
    assert said(steps[2]) == ["invalid_temperature", "temperature"]
    assert said(drive(CHECKIN, "2", "5", "5")[-1]) == ["recorded_unwell", "goodbye"]


def test_help_asks_what_kind_and_confirms_it() -> None:
    steps = drive(CHECKIN, "3", "1")
    assert said(steps[1]) == ["help_menu"]
    assert said(steps[2]) == ["recorded_help_medicine", "goodbye"]
    assert said(drive(CHECKIN, "3", "9", "9")[-1]) == ["recorded_help_general", "goodbye"]


def test_well_confirms() -> None:
    assert said(drive(CHECKIN, "1")[-1]) == ["recorded_well", "goodbye"]
    assert said(drive(CHECKIN, "2", SILENCE)[-1]) == ["recorded_unwell", "goodbye"]


def test_hanging_up_keeps_the_choice_already_made() -> None:
    assert flows.hang_up(None) == Outcome("hangup")
    assert flows.hang_up(CHECKIN) == Outcome("hangup")
    assert flows.hang_up(drive(CHECKIN, "2")[-1].gather.state) == Outcome("unwell")  # type: ignore[union-attr]
    assert flows.hang_up(drive(CHECKIN, "3")[-1].gather.state) == Outcome("help")  # type: ignore[union-attr]
    assert flows.hang_up(drive(CHECKIN, "7")[-1].gather.state) == Outcome("hangup")  # type: ignore[union-attr]
    assert flows.hang_up(NOTICE) == Outcome("heard")
    withheld_number = drive(WITHHELD, "1")[-1].gather.state  # type: ignore[union-attr]
    assert flows.hang_up(withheld_number).kind == "help"
    assert "no number to call back" in flows.hang_up(withheld_number).need


# --- the hotline -------------------------------------------------------------------------------------------------


def test_a_known_caller_gets_the_check_in_menu() -> None:
    known = flows.hotline_call("en", "+8613800000001", 5)
    assert known == CallState("checkin", "menu", "en", resident_id=5, caller="+8613800000001")
    assert said(flows.answer(known)) == ["greeting", "checkin_menu"]
    assert outcome(known, "2", "380") == Outcome("unwell", temperature_c=38.0, symptoms=("fever",))


def test_an_unknown_caller_can_ask_to_be_called_back() -> None:
    assert said(flows.answer(STRANGER)) == ["hotline_welcome", "hotline_menu"]
    steps = drive(STRANGER, "1")
    assert steps[-1].outcome == Outcome("help", need="hotline call from +8613900000009")
    assert said(steps[-1]) == ["hotline_recorded", "goodbye"]


def test_an_unknown_caller_who_presses_nothing_useful_is_let_go() -> None:
    assert outcome(STRANGER, "5", SILENCE) == Outcome("no_input")
    assert outcome(STRANGER, SILENCE, "1") == Outcome("help", need="hotline call from +8613900000009")


def test_a_withheld_number_is_asked_for_a_number_to_call_back() -> None:
    steps = drive(WITHHELD, "1", "13800138000")
    assert said(steps[1]) == ["hotline_number"]
    assert steps[1].gather is not None and steps[1].gather.num_digits == 15
    assert steps[2].outcome == Outcome("help", need="hotline call from a withheld number; call back on 13800138000")
    assert said(steps[2]) == ["hotline_recorded", "goodbye"]


def test_a_withheld_number_that_leaves_no_number_is_told_so_and_still_noted() -> None:
    steps = drive(WITHHELD, "1", "12", SILENCE)
    assert said(steps[2]) == ["invalid_number", "hotline_number"]
    assert said(steps[3]) == ["hotline_no_number", "goodbye"]
    assert steps[3].outcome == Outcome("help", need="hotline call from a withheld number; no number to call back")


# --- notices -----------------------------------------------------------------------------------------------------


def test_a_notice_is_read_then_offers_a_repeat_and_help() -> None:
    first = flows.answer(NOTICE)
    assert said(first) == ["notice", "notice_menu"]
    again = flows.advance(NOTICE, "1")
    assert said(again) == ["notice", "notice_menu"]
    assert again.gather is not None and again.gather.state.plays == 2
    assert outcome(NOTICE, SILENCE) == Outcome("heard")
    assert outcome(NOTICE, "1", "1", SILENCE) == Outcome("heard")


def test_a_notice_is_read_at_most_five_times() -> None:
    keys = ["1"] * (MAX_PLAYS - 1)
    assert drive(NOTICE, *keys)[-1].gather.state.plays == MAX_PLAYS  # type: ignore[union-attr]
    assert outcome(NOTICE, *keys, "1") == Outcome("heard")


def test_nine_during_a_notice_asks_what_help_is_needed() -> None:
    steps = drive(NOTICE, "9", "2")
    assert said(steps[1]) == ["help_menu"]
    assert steps[-1].outcome == Outcome("help", need="food")
    stranger = flows.notice_call("zh", None, 8)
    assert outcome(stranger, "9") == Outcome("help", need="asked for help after a voice notice")


def test_a_wrong_key_during_a_notice_repeats_only_the_choices() -> None:
    steps = drive(NOTICE, "4")
    assert said(steps[1]) == ["invalid_key", "notice_menu"]
    assert outcome(NOTICE, "4", "4") == Outcome("heard")


# --- every path ----------------------------------------------------------------------------------------------------


def test_every_path_ends_and_every_end_has_an_outcome() -> None:
    states, steps = explore()
    for step in steps:
        if step.hangs_up:
            assert step.outcome is not None, step
            assert said(step)[-1] in ("goodbye", "goodbye_no_answer")
        elif step.outcome is not None:  # an outcome is recorded when the call ends, or hands over to the next
            assert step.gather is not None and step.gather.state.shared, step  # resident of a shared phone
            assert said(step)[-1] == "person_menu", step
    for state in states:
        # Silence, asked again at most once, always ends the call (after each resident of a shared phone in turn).
        step = flows.advance(state, SILENCE)
        for _ in range(2 * len(state.then) + 1):
            if step.gather is not None:
                step = flows.advance(step.gather.state, SILENCE)
        assert step.hangs_up, state


def test_outbound_calls_start_by_kind() -> None:
    assert flows.outbound_call("checkin_call", "zh", 4, 9) == CallState(
        "checkin", "menu", "zh", resident_id=4, message_id=9
    )
    assert flows.outbound_call("voice_notice", "en", 4, 9) == CallState(
        "notice", "play", "en", resident_id=4, message_id=9, plays=1
    )
    with pytest.raises(ValueError):
        flows.outbound_call("checkin", "zh", 4, 9)


@pytest.mark.parametrize(
    ("keys", "celsius"),
    [
        ("385", 38.5),
        ("370", 37.0),
        ("38", 38.0),
        ("40", 40.0),
        ("345", 34.5),
        ("430", 43.0),
        ("38*5", 38.5),
        ("101", 38.3),  # °F
        ("99", 37.2),  # °F
        ("1004", 38.0),  # °F with a tenth
        ("3", None),
        ("12", None),
        ("999", 37.7),  # °F 99.9
        ("555", None),
        ("500", None),
        ("*", None),
        ("3*8*5", None),
        ("", None),
    ],
)
def test_temperature_from_keys(keys: str, celsius: float | None) -> None:
    assert temperature_from_keys(keys) == celsius
