"""Answers by hand: what a resident said on the phone to an operator or at the door to a volunteer, recorded by an
operator (`record_by_hand`), and how a door-knock ended (`close_door_knock`).

Decisions
- An answer by hand is a report like an SMS answer (`kit.reports.record_report`): the same status, ladder, alerts
  and help task, for today's round (a resident not asked today still gets a report for today). Its channel says how
  it came ("phone", "door", "operator"); the audit trail names who recorded it (`actor`). No SMS acknowledges it:
  the resident heard the answer from a person.
- What an operator types as a temperature is read by the SMS parser (`sms.parser.read_temperature`: "38度5" is
  38.5) before it comes here; here it must be a body temperature (`kit.health`). A fever makes the answer "unwell"
  with the fever symptom, as the parser makes of an SMS "38.6".
- An answer by phone, or recorded by an operator, makes the day's door-knock needless as an SMS answer does (it is
  cancelled: `kit.checkin.answers.REACHABLE_CHANNELS`). An answer at the door is the door-knock done.
- A door-knock closes only with its outcome (`KNOCK_OUTCOMES`). "Nobody home" is not an answer: no report is
  stored, the visit counts (the task is done), an alert says nobody opened, and a second door-knock with a new
  deadline keeps the resident on the ladder. "Moved away" marks the resident moved out
  (`kit.retention.set_moved_out`) and ends their ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kit import audit
from kit.alerts import alert_text, raise_alert
from kit.assignment import OPEN_STATES
from kit.checkin.answers import answered_by, open_asks
from kit.checkin.rounds import hours
from kit.clock import utcnow
from kit.community import community_zone
from kit.config import CheckinSettings
from kit.db import transaction
from kit.errors import Conflict, NotFound, ValidationError
from kit.health import CELSIUS_RANGE, KINDS, is_body_temperature, is_fever
from kit.localtime import local_date
from kit.models import CheckinAsk, Resident, Task, Volunteer
from kit.people import deadline_text, people
from kit.reports import ReportOutcome, check_kind, record_report
from kit.retention import set_moved_out
from kit.task_views import state_word
from kit.tasks import Visit, complete_task, create_door_knocks

CHANNELS = ("phone", "door", "operator")  # how an answer by hand came
KNOCK_OUTCOMES = (*KINDS, "nobody_home", "moved_away")  # how a door-knock ends


@dataclass(frozen=True)
class KnockResult:
    """What closing a door-knock did."""

    task_id: int
    outcome: str
    report: ReportOutcome | None  # the answer at the door, if there was one
    second_knock: int | None  # the door-knock task made when nobody was home
    alert_id: int | None  # the alert that says nobody was home


def not_a_temperature(given: str) -> ValidationError:
    """The error for a temperature that is not one (a typo, a room number, a reading outside the body range)."""
    low, high = CELSIUS_RANGE
    return ValidationError(
        "answer.not_a_temperature", given=given, low=f"{low:g}", high=f"{high:g}", field="temperature_c"
    )


def body_temperature(celsius: float | None) -> float | None:
    """`celsius` rounded to a tenth, refused when it cannot be a person's temperature; None stays None."""
    if celsius is None:
        return None
    if not is_body_temperature(celsius):
        raise not_a_temperature(f"{celsius:g}")
    return round(celsius, 1)


def record_by_hand(
    resident_id: int,
    kind: str,
    *,
    channel: str,
    actor: str,
    temperature_c: float | None = None,
    need: str = "",
    at: datetime | None = None,
) -> ReportOutcome:
    """Record what `resident_id` answered (well, unwell, help) by `channel`, as `actor` heard it: a report for today
    that acts as an SMS answer would (see the module's doc). `need`: what a help request asks for."""
    check_kind(kind)
    if channel not in CHANNELS:
        raise ValidationError("answer.not_a_way", channel=channel, channels=", ".join(CHANNELS), field="channel")
    celsius = body_temperature(temperature_c)
    symptoms = ("fever",) if is_fever(celsius) else ()
    kind = "unwell" if kind == "well" and symptoms else kind
    need = need.strip() if kind == "help" else ""
    at = at or utcnow()
    with transaction():
        knocks = _open_knocks(resident_id, at) if channel == "door" else []
        outcome = record_report(
            resident_id, kind, temperature_c=celsius, symptoms=symptoms, text=need, need=need, channel=channel,
            at=at, acknowledge=False, actor=actor,
        )  # fmt: skip
        audit.record(actor, "answer", "report", outcome.report_id, resident=resident_id, channel=channel, kind=kind)
        for task_id in knocks:
            complete_task(task_id, actor=actor)
    return outcome


def _open_knocks(resident_id: int, at: datetime) -> list[int]:
    """The open door-knocks of the asks an answer at `at` answers."""
    asks = answered_by(open_asks([resident_id], [local_date(at, community_zone())]).get(resident_id, []), at)
    return [ask.task_id for ask in asks if ask.task_id is not None and ask.task_state in OPEN_STATES]


def close_door_knock(
    task_id: int,
    outcome: str,
    *,
    actor: str,
    temperature_c: float | None = None,
    need: str = "",
    settings: CheckinSettings | None = None,
) -> KnockResult:
    """Close door-knock `task_id` with what the volunteer found (`KNOCK_OUTCOMES`, see the module's doc).
    `settings` give the second door-knock's deadline (default: the default settings)."""
    if outcome not in KNOCK_OUTCOMES:
        raise ValidationError(
            "answer.not_an_outcome", outcome=outcome, outcomes=", ".join(KNOCK_OUTCOMES), field="outcome"
        )
    with transaction():
        task = _open_knock(task_id)
        resident_id: int = task.resident_id
        audit.record(actor, "door-knock", "task", task.id, outcome=outcome, volunteer=task.volunteer_id)
        report = second = alert_id = None
        if outcome in KINDS:
            report = record_by_hand(
                resident_id, outcome, channel="door", actor=actor, temperature_c=temperature_c, need=need
            )
        elif outcome == "nobody_home":
            second, alert_id = _knock_again(task, settings or CheckinSettings(), actor)
        else:
            _moved_away(task, actor)
        complete_task(task.id, actor=actor)
    return KnockResult(task_id, outcome, report, second, alert_id)


def _open_knock(task_id: int) -> Task:
    task = Task.get_or_none(Task.id == task_id)
    if task is None:
        raise NotFound("tasks.no_task", task=task_id)
    if task.kind != "door_knock" or task.resident_id is None:
        raise ValidationError("answer.not_a_knock", task=task_id)
    if task.state not in OPEN_STATES:
        raise Conflict("answer.knock_finished", task=task_id, state=state_word(task.state))
    return task


def _knock_again(task: Task, settings: CheckinSettings, actor: str) -> tuple[int, int]:
    """Nobody home: a second door-knock takes over the first one's ask (back on the ladder with a new deadline), and
    an alert says so. Returns the new task's id and the alert's."""
    now = utcnow()
    due = now + hours(settings.door_knock_deadline_hours)
    resident = Resident.get_by_id(task.resident_id)
    second = create_door_knocks([Visit(resident.id, resident.grid_id)], due_at=due, round_id=task.round_id, actor=actor)
    second_id = second[resident.id]
    CheckinAsk.update(task=second_id, stage="door_knock", next_step_at=due, outcome="", updated_at=now).where(
        (CheckinAsk.task == task.id) & (CheckinAsk.stage != "answered")
    ).execute()
    person = people([resident.id])[resident.id]
    volunteer = Volunteer.get_or_none(Volunteer.id == task.volunteer_id) if task.volunteer_id else None
    text = alert_text(
        "alert_nobody_home",
        name=person.name,
        address=person.address or "-",
        task=task.id,
        volunteer=volunteer.name if volunteer is not None else "-",
        second=second_id,
        deadline=deadline_text(due, community_zone()),
    )
    alert = raise_alert(
        "nobody_home", text, key=f"nobody_home:{task.id}", severity="urgent", resident_id=resident.id, task_id=second_id
    )
    return second_id, int(alert.id)


def _moved_away(task: Task, actor: str) -> None:
    """Moved away: the resident is marked moved out, and their asks of today (and the knock's) end."""
    now = utcnow()
    resident_id: int = task.resident_id
    today = answered_by(open_asks([resident_id], [local_date(now, community_zone())]).get(resident_id, []), now)
    CheckinAsk.update(stage="answered", outcome="moved_out", answered_at=now, next_step_at=None, updated_at=now).where(
        ((CheckinAsk.task == task.id) | CheckinAsk.id.in_([ask.id for ask in today])) & (CheckinAsk.stage != "answered")
    ).execute()
    set_moved_out(resident_id, actor=actor)
