"""A call's outcome through the real kit: the same reports, alerts, tasks and ladder changes as an SMS reply."""

from __future__ import annotations

import pytest

from ivr.calls import CallFacts
from ivr.flows import Outcome
from ivr.outcomes import record_outcome, report_text
from kit import outbox
from kit.checkin import start_round
from kit.config import CheckinSettings
from kit.models import Alert, CheckinAsk, Message, Report, Resident, Task
from kit.volunteers import add_volunteer
from tests.ivr.conftest import STRANGER, WANG


def keys_row(peer: str = WANG) -> Message:
    row, _ = outbox.record_inbound(gateway="twilio-voice", provider_id="CA1:checkin.menu.0", peer=peer, body="1",
                                   channel="voice")  # fmt: skip
    return row


def facts(resident: Resident | None, message: Message, *, language: str = "zh", peer: str = WANG) -> CallFacts:
    return CallFacts("CA1", peer, resident.id if resident else None, language, message.id)


def test_well_is_a_voice_report_that_answers_the_check_in(wang: Resident) -> None:
    start_round(settings=CheckinSettings(), actor="test")
    row = keys_row()
    record_outcome(facts(wang, row), Outcome("well"))
    report = Report.get(Report.resident == wang.id)
    assert (report.channel, report.kind, report.text, report.message_id) == ("voice", "well", "1", row.id)
    ask = CheckinAsk.get(CheckinAsk.resident == wang.id)
    assert (ask.stage, ask.outcome) == ("answered", "well")
    # A voice call confirms on the line: no SMS acknowledgement to a phone that may be a landline.
    assert not Message.select().where((Message.direction == "out") & (Message.kind == "reply")).exists()


def test_a_high_fever_turns_the_resident_red_and_raises_alerts(wang: Resident) -> None:
    record_outcome(facts(wang, keys_row()), Outcome("unwell", temperature_c=38.6, symptoms=("fever",)))
    report = Report.get(Report.resident == wang.id)
    assert (report.kind, report.temperature_c, report.symptoms, report.text) == ("unwell", 38.6, "fever", "2 38.6")
    assert Resident.get_by_id(wang.id).status == "red"
    assert {alert.kind for alert in Alert.select()} == {"fever", "red"}


def test_help_becomes_a_task_saying_what_is_needed_in_the_residents_language(wang: Resident) -> None:
    add_volunteer("李志愿", "+8613700000001", grids=["1号网格"], actor="test")
    record_outcome(facts(wang, keys_row()), Outcome("help", need="medicine"))
    task = Task.get(Task.resident == wang.id)
    assert (task.kind, task.need, task.source, task.state) == ("help", "买药", "voice", "assigned")
    assert Report.get(Report.resident == wang.id).kind == "help"


def test_an_unknown_caller_becomes_a_call_back_task(community: object) -> None:
    need = f"hotline call from {STRANGER}"
    record_outcome(facts(None, keys_row(STRANGER), peer=STRANGER), Outcome("help", need=need))
    task = Task.get()
    assert (task.kind, task.need, task.source, task.resident_id) == ("call_back", need, "voice", None)
    assert task.due_at is not None
    assert not Report.select().exists()


@pytest.mark.parametrize("kind", ["no_input", "hangup", "heard"])
def test_calls_without_an_answer_record_nothing(wang: Resident, kind: str) -> None:
    start_round(settings=CheckinSettings(), actor="test")
    record_outcome(facts(wang, keys_row()), Outcome(kind))  # type: ignore[arg-type]
    assert not Report.select().exists()
    assert not Task.select().exists()
    assert CheckinAsk.get(CheckinAsk.resident == wang.id).stage == "asked"  # the ladder carries on


def test_report_texts() -> None:
    assert report_text(Outcome("well"), "zh") == "1"
    assert report_text(Outcome("unwell"), "zh") == "2"
    assert report_text(Outcome("unwell", temperature_c=38.0), "en") == "2 38.0"
    assert report_text(Outcome("help", need="food"), "en") == "food"
    assert report_text(Outcome("help"), "zh") == "其他帮助"
