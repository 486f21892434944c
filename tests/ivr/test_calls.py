"""One call's turns against the database: recorded once per (call, step), one outcome per call, nothing in memory."""

from __future__ import annotations

import pytest

from ivr import flows
from ivr.calls import VoiceCalls
from ivr.flows import Outcome
from ivr.state import CallState
from kit.models import Message, Resident
from kit.voice import Register
from tests.ivr.conftest import STRANGER, WANG, Recorder, placed_call, rows_of_call


def voice(recorder: Recorder) -> VoiceCalls:
    return VoiceCalls("twilio", record_outcome=recorder, directory=Register())


def test_keys_are_recorded_once_per_call_and_step(wang: Resident, recorder: Recorder) -> None:
    calls, state = voice(recorder), flows.checkin_call("zh", wang.id)
    first = calls.gather(call_sid="CA1", peer=WANG, state=state, digits="1")
    again = calls.gather(call_sid="CA1", peer=WANG, state=state, digits="1")
    assert not first.replayed and again.replayed
    assert again.step == first.step
    assert recorder.outcomes == [Outcome("well")]
    rows = rows_of_call("CA1")
    assert [(row.provider_id, row.body, row.status) for row in rows] == [
        ("CA1:checkin.menu.0", "1", "handled"),
        ("CA1:outcome", "well", "handled"),
    ]
    assert all(row.channel == "voice" and row.resident_id == wang.id for row in rows)
    facts = recorder.seen[0][0]
    assert (facts.call_sid, facts.peer, facts.resident_id, facts.language) == ("CA1", WANG, wang.id, "zh")
    assert facts.message_id == rows[0].id


def test_a_replay_is_answered_from_the_keys_stored_the_first_time(wang: Resident, recorder: Recorder) -> None:
    calls, state = voice(recorder), flows.checkin_call("zh", wang.id)
    first = calls.gather(call_sid="CA1", peer=WANG, state=state, digits="2")
    replay = calls.gather(call_sid="CA1", peer=WANG, state=state, digits="1")
    assert replay.step == first.step  # still the temperature question
    assert recorder.outcomes == []


def test_a_call_ends_with_one_outcome(wang: Resident, recorder: Recorder) -> None:
    calls, state = voice(recorder), flows.checkin_call("zh", wang.id)
    calls.gather(call_sid="CA1", peer=WANG, state=state, digits="1")
    calls.gather(call_sid="CA1", peer=WANG, state=state.at("menu", tries=1), digits="3")
    calls.status_changed(call_sid="CA1", status="completed", peer=WANG)
    assert recorder.outcomes == [Outcome("well")]


def test_hanging_up_after_choosing_keeps_the_choice(wang: Resident, recorder: Recorder) -> None:
    calls = voice(recorder)
    calls.gather(call_sid="CA1", peer=WANG, state=flows.checkin_call("zh", wang.id), digits="2")
    assert recorder.outcomes == []  # waiting for the temperature
    assert calls.status_changed(call_sid="CA1", status="completed", peer=WANG) == Outcome("unwell")
    assert calls.status_changed(call_sid="CA1", status="completed", peer=WANG) is None
    assert recorder.outcomes == [Outcome("unwell")]
    assert recorder.seen[0][0].resident_id == wang.id


def test_hanging_up_before_any_key(wang: Resident, recorder: Recorder) -> None:
    sent = placed_call(wang, sid="CA2")
    assert voice(recorder).status_changed(call_sid="CA2", status="completed") == Outcome("hangup")
    assert recorder.outcomes == [Outcome("hangup")]
    facts = recorder.seen[0][0]
    assert (facts.resident_id, facts.peer, facts.outbox_id) == (wang.id, WANG, sent.id)
    assert Message.get_by_id(sent.id).status == "completed"


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_an_unanswered_call_gives_the_outbox_its_status_and_has_no_outcome(
    wang: Resident, recorder: Recorder, status: str
) -> None:
    sent = placed_call(wang, sid="CA3")
    assert voice(recorder).status_changed(call_sid="CA3", status=status) is None
    assert Message.get_by_id(sent.id).status == ("cancelled" if status == "canceled" else status)
    assert recorder.outcomes == []
    assert rows_of_call("CA3") == []


def test_answered_then_completed(wang: Resident, recorder: Recorder) -> None:
    sent = placed_call(wang, sid="CA4")
    calls = voice(recorder)
    calls.status_changed(call_sid="CA4", status="in-progress")
    assert Message.get_by_id(sent.id).status == "sent"
    calls.gather(call_sid="CA4", peer=WANG, state=flows.checkin_call("zh", wang.id, sent.id), digits="1")
    calls.status_changed(call_sid="CA4", status="completed")
    assert Message.get_by_id(sent.id).status == "completed"
    assert recorder.outcomes == [Outcome("well")]
    assert recorder.seen[0][0].outbox_id == sent.id


def test_nothing_is_kept_in_memory_between_turns(wang: Resident, recorder: Recorder) -> None:
    voice(recorder).gather(call_sid="CA5", peer=WANG, state=flows.checkin_call("zh", wang.id), digits="2")
    after_restart = voice(recorder)
    waiting = after_restart.current_state("CA5")
    assert waiting == CallState("checkin", "temp", "zh", resident_id=wang.id)
    after_restart.gather(call_sid="CA5", peer=WANG, state=waiting, digits="385")
    assert recorder.outcomes == [Outcome("unwell", temperature_c=38.5, symptoms=("fever",))]


def test_a_failing_recorder_leaves_nothing_behind_so_a_retry_records(wang: Resident, recorder: Recorder) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("database is locked")

    state = flows.checkin_call("zh", wang.id)
    failing = VoiceCalls("twilio", record_outcome=broken, directory=Register())
    with pytest.raises(RuntimeError):
        failing.gather(call_sid="CA6", peer=WANG, state=state, digits="1")
    assert rows_of_call("CA6") == []
    voice(recorder).gather(call_sid="CA6", peer=WANG, state=state, digits="1")
    assert recorder.outcomes == [Outcome("well")]


def test_what_the_prompts_are_told(wang: Resident, recorder: Recorder) -> None:
    calls = voice(recorder)
    assert calls.facts(flows.checkin_call("zh", wang.id)) == {"community": "幸福里社区", "name": "王秀英"}
    notice = placed_call(wang, sid="CA7", kind="voice_notice", body="明天停水。")
    assert calls.facts(flows.notice_call("zh", wang.id, notice.id))["notice"] == "明天停水。"


def test_the_hotline_knows_residents_by_their_number(wang: Resident, chen: Resident, recorder: Recorder) -> None:
    calls = voice(recorder)
    assert calls.hotline_state(WANG) == CallState("checkin", "menu", "zh", resident_id=wang.id, caller=WANG)
    assert calls.hotline_state(chen.phone).language == "en"
    assert calls.hotline_state(STRANGER) == CallState("hotline", "ask", "zh", caller=STRANGER)
    assert calls.hotline_state("+266696687") == CallState("hotline", "ask", "zh")


def test_an_unknown_caller_leaves_a_help_request(community: object, recorder: Recorder) -> None:
    calls = voice(recorder)
    turn = calls.answer(call_sid="CA8", peer=STRANGER, state=None)
    assert turn.step.gather is not None
    calls.gather(call_sid="CA8", peer=STRANGER, state=turn.step.gather.state, digits="1")
    assert recorder.outcomes == [Outcome("help", need=f"hotline call from {STRANGER}")]
    assert recorder.seen[0][0].resident_id is None
