"""Health reports: status rules, alerts once a day, help becoming a task, the acknowledgement."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kit.checkin import start_round
from kit.clock import FixedClock, utcnow
from kit.config import CheckinSettings
from kit.errors import NotFound, ValidationError
from kit.models import Alert, AuditEntry, CheckinAsk, Community, Message, Report, Resident, Task
from kit.reports import record_report, status_for
from kit.residents import ResidentInput, add_resident, set_status
from kit.volunteers import add_volunteer


@pytest.fixture
def wang(community: Community) -> Resident:
    add_volunteer("张三", "+8613900000009", grids=["东区"])
    return add_resident(ResidentInput(name="王芳", phone="+8613800000001", grid="东区", room="201"))


def status(resident: Resident) -> str:
    return str(Resident.get_by_id(resident.id).status)


def alert_kinds() -> list[tuple[str, str]]:
    return [(a.kind, a.severity) for a in Alert.select().order_by(Alert.id)]


@pytest.mark.parametrize(
    ("current", "kind", "temperature", "symptoms", "after"),
    [
        ("green", "well", None, (), "green"),
        ("green", "well", 36.6, (), "green"),
        ("green", "unwell", None, (), "yellow"),
        ("green", "unwell", None, ("cough",), "yellow"),
        ("green", "unwell", 37.3, ("fever",), "yellow"),
        ("green", "unwell", 38.4, ("fever",), "yellow"),
        ("green", "unwell", 38.5, ("fever",), "red"),
        ("green", "unwell", None, ("breathing",), "red"),
        ("green", "help", None, (), "green"),
        ("green", "help", None, ("fever",), "yellow"),
        ("yellow", "well", None, (), "yellow"),  # feeling well does not clear yellow: an operator does
        ("red", "well", None, (), "red"),
        ("red", "unwell", None, ("cough",), "red"),  # never lower
    ],
)
def test_status_rules(
    current: str, kind: str, temperature: float | None, symptoms: tuple[str, ...], after: str
) -> None:
    assert status_for(current, kind, temperature, symptoms) == after


def test_a_fever_alerts_once_a_day(wang: Resident, fixed_clock: FixedClock) -> None:
    first = record_report(wang.id, "unwell", temperature_c=37.8, symptoms=["fever"], text="2 37.8")
    assert (first.status_before, first.status, first.alerts) == ("green", "yellow", ("fever",))
    assert alert_kinds() == [("fever", "warning")]
    second = record_report(wang.id, "unwell", temperature_c=39.0, symptoms=["fever"], text="2 39")
    assert (second.status, second.alerts) == ("red", ("red",))  # the fever alert is already up today
    assert alert_kinds() == [("fever", "warning"), ("red", "urgent")]
    record_report(wang.id, "unwell", temperature_c=39.2, symptoms=["fever"])
    assert len(alert_kinds()) == 2
    fixed_clock.advance(days=1)
    assert record_report(wang.id, "unwell", temperature_c=38.0, symptoms=["fever"]).alerts == ("fever",)


def test_the_red_alert_says_who_and_what(wang: Resident) -> None:
    record_report(wang.id, "unwell", symptoms=["breathing"], text="喘不上气")
    [alert] = Alert.select()
    assert (alert.kind, alert.resident_id) == ("red", wang.id)
    assert alert.text.startswith("王芳（201, +8613800000001）报告呼吸困难，已标红。")


def test_well_does_not_clear_and_only_operators_do(wang: Resident) -> None:
    record_report(wang.id, "unwell", symptoms=["cough"])
    assert record_report(wang.id, "well").status == "yellow"
    set_status(wang.id, "green", reason="called her, fine", actor="operator")
    assert status(wang) == "green"


def test_status_changes_are_audited(wang: Resident) -> None:
    outcome = record_report(wang.id, "unwell", temperature_c=38.6, symptoms=["fever"], message_id=None)
    [entry] = AuditEntry.select().where(AuditEntry.action == "status")
    assert (entry.actor, entry.entity, entry.entity_id) == ("sms:+8613800000001", "resident", wang.id)
    assert entry.detail == f'{{"new": "red", "old": "green", "reason": "report {outcome.report_id}"}}'


def test_help_becomes_a_task_and_the_ack_names_it(wang: Resident) -> None:
    outcome = record_report(wang.id, "help", text="买药", message_id=None)
    task = Task.get_by_id(outcome.task_id)
    assert (task.kind, task.need, task.source, task.state) == ("help", "买药", "sms", "assigned")
    assert task.due_at == utcnow() + timedelta(hours=4)
    ack = Message.get_by_id(outcome.ack_id)
    assert (ack.body, ack.priority, ack.key) == (
        f"已收到求助（编号{task.id}），志愿者会联系您。",
        0,
        f"ack:report:{outcome.report_id}",
    )


@pytest.mark.parametrize(
    ("kind", "temperature", "symptoms", "language", "body"),
    [
        ("well", None, (), "zh", "已记录：身体好。谢谢！"),
        ("unwell", None, (), "zh", "已记录：身体不适。网格员会联系您。"),
        ("unwell", None, ("cough", "breathing"), "zh", "已记录：咳嗽、呼吸困难。网格员会联系您。"),
        ("unwell", None, ("fever",), "zh", "已记录：发烧。网格员会联系您。"),
        ("unwell", 38.0, ("fever",), "zh", "已记录：发烧38度。网格员会尽快联系您，请在家休息。"),
        ("unwell", None, ("fever", "cough"), "en", "Noted: fever, cough. Your grid worker will contact you."),
        (
            "unwell",
            37.5,
            ("fever",),
            "en",
            "Noted: fever 37.5 C. Your grid worker will contact you soon; please rest at home.",
        ),
    ],
)
def test_acknowledgements(
    wang: Resident, kind: str, temperature: float | None, symptoms: tuple[str, ...], language: str, body: str
) -> None:
    Resident.update(language=language).where(Resident.id == wang.id).execute()
    outcome = record_report(wang.id, kind, temperature_c=temperature, symptoms=symptoms)
    assert Message.get_by_id(outcome.ack_id).body == body


def test_only_sms_reports_are_acknowledged_by_sms(wang: Resident) -> None:
    assert record_report(wang.id, "well", channel="voice").ack_id is None
    assert record_report(wang.id, "well", channel="door").ack_id is None
    assert record_report(wang.id, "well", acknowledge=False).ack_id is None
    assert Message.select().count() == 0


def test_the_ack_key_comes_from_the_message(wang: Resident) -> None:
    inbound = Message.create(direction="in", peer=wang.phone, body="1", status="received", created_at=utcnow())
    first = record_report(wang.id, "well", message_id=inbound.id)
    second = record_report(wang.id, "well", message_id=inbound.id)
    assert first.ack_id == second.ack_id
    assert Message.get_by_id(first.ack_id).key == f"ack:{inbound.id}"


def test_a_report_answers_todays_ask(wang: Resident) -> None:
    round_ = start_round(settings=CheckinSettings())
    outcome = record_report(wang.id, "unwell", symptoms=["cough"])
    assert outcome.answered == 1
    ask = CheckinAsk.get()
    assert (ask.stage, ask.outcome) == ("answered", "unwell")
    assert Report.get_by_id(outcome.report_id).round_id == round_.id


def test_a_report_at_a_given_time(wang: Resident) -> None:
    at = datetime(2026, 11, 20, 0, 30)
    outcome = record_report(wang.id, "well", at=at)
    assert Report.get_by_id(outcome.report_id).at == at


def test_bad_reports(wang: Resident) -> None:
    with pytest.raises(ValidationError, match="'fine' is not a kind of report"):
        record_report(wang.id, "fine")
    with pytest.raises(NotFound, match="No resident 999"):
        record_report(999, "well")
