"""Health reports: what a resident (or their family, a volunteer at the door, an operator) says about their health.

`record_report` stores the report, takes the resident off today's check-in ladder, turns them yellow or red,
raises the alerts an operator must see, turns a help request into a task, and queues the acknowledgement: all in
one transaction.

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

from kit import audit
from kit.alerts import raise_alert
from kit.checkin import record_answer, todays_round_id
from kit.clock import utcnow
from kit.community import community_zone
from kit.db import transaction
from kit.errors import NotFound, ValidationError
from kit.escalation import help_due_at
from kit.health import FEVER_C, HIGH_FEVER_C, KINDS, SYMPTOMS
from kit.localtime import local_date
from kit.models import Alert, Household, Report, Resident, format_address
from kit.outbox import PRIORITY_REPLY, Draft, queue
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
    if kind not in KINDS:
        raise ValidationError(f"'{kind}' is not a kind of report; use one of: {', '.join(KINDS)}.", field="kind")
    found = tuple(name for name in SYMPTOMS if name in set(symptoms))
    fever = (temperature_c is not None and temperature_c >= FEVER_C) or "fever" in found
    at = at or utcnow()
    day = local_date(at, community_zone()).isoformat()
    with transaction():
        resident = Resident.get_or_none(Resident.id == resident_id)
        if resident is None:
            raise NotFound(f"No resident {resident_id}.")
        actor = actor or f"{channel}:{resident.phone or resident.id}"
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
        alerts = _raise_alerts(resident, report, day, fever=fever, turned_red=after == "red" != before)
        task_id = None
        if kind == "help":
            task = create_task(
                "help",
                resident_id=resident.id,
                need=text if need is None else need,
                source=channel,
                due_at=help_due_at(at),
                actor=actor,
            )
            task_id = task.id
        ack_id = None
        if (channel == "sms" if acknowledge is None else acknowledge) and resident.phone:
            body = _acknowledgement(resident.language, kind, temperature_c, found, task_id)
            ack = queue(
                Draft(
                    peer=resident.phone,
                    body=body,
                    kind="reply",
                    key=f"ack:{message_id}" if message_id is not None else f"ack:report:{report.id}",
                    language=resident.language,
                    resident_id=resident.id,
                    task_id=task_id,
                    priority=PRIORITY_REPLY,
                )
            )
            ack_id = ack.id
    return ReportOutcome(report.id, before, after, alerts, task_id, ack_id, answered)


def _describe(resident: Resident) -> str:
    household = Household.get_or_none(Household.id == resident.household_id) if resident.household_id else None
    address = format_address(household.building, household.unit, household.room) if household else ""
    parts = [resident.name, address, resident.phone or "no phone"]
    return f"{parts[0]} ({', '.join(p for p in parts[1:] if p)})"


def _raise_alerts(resident: Resident, report: Report, day: str, *, fever: bool, turned_red: bool) -> tuple[str, ...]:
    raised: list[str] = []
    who = _describe(resident)
    temperature = report.temperature_c
    if fever:
        reading = f" of {temperature:g} °C" if temperature is not None else ""
        key = f"fever:{resident.id}:{day}"
        if not Alert.select().where(Alert.key == key).exists():
            raise_alert(
                "fever",
                f"{who} reports a fever{reading}. Call them, and arrange a check with the health station.",
                key=key,
                severity="urgent" if temperature is not None and temperature >= HIGH_FEVER_C else "warning",
                resident_id=resident.id,
            )
            raised.append("fever")
    if turned_red:
        key = f"red:{resident.id}:{day}"
        if not Alert.select().where(Alert.key == key).exists():
            what = ", ".join(s for s in report.symptoms.split(",") if s) or "a high fever"
            raise_alert(
                "red",
                f"{who} is now RED after reporting {what}. Call them now and follow the protocol for a suspected case.",
                key=key,
                severity="urgent",
                resident_id=resident.id,
            )
            raised.append("red")
    return tuple(raised)


def _acknowledgement(
    language: str, kind: str, temperature_c: float | None, symptoms: tuple[str, ...], task_id: int | None
) -> str:
    if kind == "help":
        return render("ack_help", language, task=task_id)
    if kind == "well":
        return render("ack_well", language)
    if temperature_c is not None and temperature_c >= FEVER_C:
        return render("ack_fever", language, temperature=f"{temperature_c:g}")
    separator = "、" if language.startswith("zh") else ", "
    what = separator.join(word(name, language) for name in symptoms) or word("unwell", language)
    return render("ack_unwell", language, what=what)
