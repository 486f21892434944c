"""Health reports: what a resident (or their family, a volunteer at the door, an operator) says about their health.

`record_report` stores the report, takes the resident off today's check-in ladder, turns them yellow or red,
raises the alerts an operator must see, turns a help request into a task, and queues the acknowledgement: all in
one transaction. `kit.report_batch` records many at once (a burst of replies) by the same rules, found below
`record_report`.

Decisions
- Status only goes up: unwell or any symptom -> yellow; 38.5 °C or more, or breathing trouble -> red. A report of
  feeling well never clears yellow or red: an operator does that (`kit.residents.set_status`), after a call.
- Alerts are raised once per resident per local day: "fever" (37.3 °C or more, or a fever symptom; urgent when
  high) and "red" (when this report turned the resident red).
- Only reports by SMS are acknowledged by SMS; a voice call confirms on the line, an operator or a volunteer at the
  door needs no text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from kit import audit
from kit.alerts import NewAlert, alert_text, alert_who, alert_word, raise_alert
from kit.checkin import record_answer, todays_round_id
from kit.clock import utcnow
from kit.community import community_zone
from kit.db import transaction
from kit.errors import NotFound, ValidationError
from kit.escalation import help_due_at
from kit.health import FEVER_C, HIGH_FEVER_C, KINDS, SYMPTOMS, is_fever
from kit.localtime import local_date
from kit.models import Alert, Report, Resident
from kit.outbox import PRIORITY_REPLY, Draft, queue
from kit.people import Person, people
from kit.tasks import create_task
from kit.templates import render, word

_RANK = {"green": 0, "yellow": 1, "red": 2}


@dataclass(frozen=True)
class ReportOutcome:
    """What one report did."""

    report_id: int
    status_before: str
    status: str
    alerts: tuple[str, ...]  # kinds of the alerts this report raised (not those already raised today)
    task_id: int | None  # the help task it created
    ack_id: int | None  # the acknowledgement queued
    answered: int  # check-in asks it answered

    @property
    def status_changed(self) -> bool:
        return self.status != self.status_before


def status_for(current: str, kind: str, temperature_c: float | None, symptoms: Iterable[str]) -> str:
    """The resident's status after a report: never lower than `current`."""
    found = set(symptoms)
    severe = (temperature_c is not None and temperature_c >= HIGH_FEVER_C) or "breathing" in found
    fever = (temperature_c is not None and temperature_c >= FEVER_C) or "fever" in found
    target = "red" if severe else "yellow" if (kind == "unwell" or fever or found) else "green"
    return max(current, target, key=lambda status: _RANK.get(status, 0))


def record_report(
    resident_id: int,
    kind: str,
    *,
    temperature_c: float | None = None,
    symptoms: Iterable[str] = (),
    text: str = "",
    need: str | None = None,
    channel: str = "sms",
    message_id: int | None = None,
    at: datetime | None = None,
    acknowledge: bool | None = None,
    actor: str | None = None,
) -> ReportOutcome:
    """Store one report from `resident_id` and act on it (see the module's doc). `text`: the raw reply; `need`: what
    a help request asks for (default: `text`); `at`: when it was made (default now); `acknowledge`: queue the SMS
    acknowledgement (default: when the report came by SMS)."""
    check_kind(kind)
    found = symptoms_of(symptoms)
    at = at or utcnow()
    with transaction():
        resident = Resident.get_or_none(Resident.id == resident_id)
        if resident is None:
            raise NotFound("residents.no_resident", resident=resident_id)
        actor = actor or actor_for(resident, channel)
        report = Report.create(
            resident=resident.id,
            at=at,
            channel=channel,
            kind=kind,
            temperature_c=temperature_c,
            symptoms=",".join(found),
            text=text,
            message=message_id,
            round=todays_round_id(resident.id, at),
        )
        answered = record_answer(resident.id, kind, at=at, channel=channel)
        before = resident.status
        after = status_for(before, kind, temperature_c, found)
        if after != before:
            Resident.update(status=after, updated_at=utcnow()).where(Resident.id == resident.id).execute()
            audit.record(actor, "status", "resident", resident.id, old=before, new=after, reason=f"report {report.id}")
        due = alerts_due(resident.id, temperature_c, found, at, turned_red=after == "red" != before)
        alerts = _raise_alerts(due, people([resident.id])[resident.id] if due else None)
        task_id = help_task(resident.id, text if need is None else need, channel, at, actor) if kind == "help" else None
        ack_id = None
        if acknowledges(channel, acknowledge) and resident.phone:
            ack = queue(ack_draft(resident, kind, temperature_c, found, task_id, ack_key(message_id, report.id)))
            ack_id = ack.id
    return ReportOutcome(report.id, before, after, alerts, task_id, ack_id, answered)


# --- the parts of a report, shared with kit.report_batch -----------------------------------------------------


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValidationError("reports.not_a_kind", kind=kind, kinds=", ".join(KINDS), field="kind")


def symptoms_of(symptoms: Iterable[str]) -> tuple[str, ...]:
    """The known symptoms among `symptoms`, in the order of `kit.health.SYMPTOMS`."""
    given = set(symptoms)
    return tuple(name for name in SYMPTOMS if name in given)


def actor_for(resident: Resident, channel: str) -> str:
    """Who the audit trail says made a report nobody else is named for: the channel and the resident's number."""
    return f"{channel}:{resident.phone or resident.id}"


def acknowledges(channel: str, acknowledge: bool | None) -> bool:
    """Whether a report is acknowledged by SMS: as asked, else when it came by SMS."""
    return channel == "sms" if acknowledge is None else acknowledge


def ack_key(message_id: int | None, report_id: int) -> str:
    """The outbox key of a report's acknowledgement: one per inbound message (or per report without one)."""
    return f"ack:{message_id}" if message_id is not None else f"ack:report:{report_id}"


def ack_draft(
    resident: Resident, kind: str, temperature_c: float | None, found: tuple[str, ...], task_id: int | None, key: str
) -> Draft:
    """The acknowledgement of a report to the resident, in their language."""
    template, values = acknowledgement_of(resident.language, kind, temperature_c, found, task_id)
    return Draft(
        peer=resident.phone,
        body=render(template, resident.language, **values),
        kind="reply",
        template=template,
        params=values,
        key=key,
        language=resident.language,
        resident_id=resident.id,
        task_id=task_id,
        priority=PRIORITY_REPLY,
    )


def help_task(resident_id: int, need: str, channel: str, at: datetime, actor: str) -> int:
    """The task a help request becomes (given to a volunteer of the resident's grid); its id."""
    return int(
        create_task("help", resident_id=resident_id, need=need, source=channel, due_at=help_due_at(at), actor=actor).id
    )


@dataclass(frozen=True)
class AlertDue:
    """An alert a report calls for, before it is known whether it was raised today already."""

    kind: str
    key: str
    severity: str
    resident_id: int
    temperature_c: float | None
    symptoms: tuple[str, ...]

    def text(self, person: Person) -> str:
        who = alert_who(person)
        if self.kind == "fever":
            reading = (
                alert_text("alert_fever_reading", temperature=f"{self.temperature_c:g}")
                if self.temperature_c is not None
                else ""
            )
            return alert_text("alert_fever", who=who, reading=reading)
        words = [alert_word(symptom) for symptom in self.symptoms]
        what = alert_word("name_separator").join(words) if words else alert_text("alert_high_fever")
        return alert_text("alert_red", who=who, what=what)

    def new_alert(self, person: Person) -> NewAlert:
        return NewAlert(self.kind, self.text(person), self.key, self.severity, resident_id=self.resident_id)


def alerts_due(
    resident_id: int,
    temperature_c: float | None,
    found: tuple[str, ...],
    at: datetime,
    *,
    turned_red: bool,
    zone: ZoneInfo | None = None,
) -> list[AlertDue]:
    """The alerts a report calls for: "fever" (37.3 °C or more, or a fever symptom; urgent when high) and "red"
    (when the report turned the resident red), each once per resident per local day."""
    due: list[AlertDue] = []
    if is_fever(temperature_c) or "fever" in found:
        high = temperature_c is not None and temperature_c >= HIGH_FEVER_C
        key = f"fever:{resident_id}:{_day(at, zone)}"
        due.append(AlertDue("fever", key, "urgent" if high else "warning", resident_id, temperature_c, found))
    if turned_red:
        key = f"red:{resident_id}:{_day(at, zone)}"
        due.append(AlertDue("red", key, "urgent", resident_id, temperature_c, found))
    return due


def _day(at: datetime, zone: ZoneInfo | None) -> str:
    return local_date(at, zone or community_zone()).isoformat()


def _raise_alerts(due: list[AlertDue], person: Person | None) -> tuple[str, ...]:
    raised: list[str] = []
    for alert in due:
        if person is not None and not Alert.select().where(Alert.key == alert.key).exists():
            new = alert.new_alert(person)
            raise_alert(new.kind, new.text, key=new.key, severity=new.severity, resident_id=new.resident_id)
            raised.append(alert.kind)
    return tuple(raised)


def acknowledgement(
    language: str, kind: str, temperature_c: float | None, symptoms: tuple[str, ...], task_id: int | None
) -> str:
    """The text that acknowledges a report, in `language`."""
    template, values = acknowledgement_of(language, kind, temperature_c, symptoms, task_id)
    return render(template, language, **values)


def acknowledgement_of(
    language: str, kind: str, temperature_c: float | None, symptoms: tuple[str, ...], task_id: int | None
) -> tuple[str, dict[str, object]]:
    """The message kind (kit.message_kinds) that acknowledges a report, and its parameters."""
    if kind == "help":
        return "ack_help", {"task": task_id}
    if kind == "well":
        return "ack_well", {}
    if is_fever(temperature_c):
        return "ack_fever", {"temperature": f"{temperature_c:g}"}
    separator = "、" if language.startswith("zh") else ", "
    what = separator.join(word(name, language) for name in symptoms) or word("unwell", language)
    return "ack_unwell", {"what": what}
