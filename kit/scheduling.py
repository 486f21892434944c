"""The jobs that run when they are due: the daily check-in round, the ladder, overdue tasks, monitoring that ended.

`run_due` does everything that is due at one moment and is idempotent: run it every minute (the server does, with
`InProcessScheduler`), from cron, or by hand with `linli run-due`; running it twice at the same time does nothing the
second time. The round starts once a day (a `JobRun` row per local date says it did); the ladder and the task
escalation only act on what is due and mark what they did, so they are idempotent by construction.

Processing inbound messages is not here: that belongs to the server, which owns the gateways.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import schedule

from kit import audit, clock, needs_reading, ui_words
from kit.community import community_zone
from kit.config import Settings
from kit.db import transaction
from kit.errors import LinliError
from kit.localtime import at_local, parse_hhmm, to_local
from kit.models import CheckinRound, JobRun, Resident
from kit.retention import PurgeReport, purge

log = logging.getLogger(__name__)

CHECKIN_JOB = "checkin"
PURGE_JOB = "purge"
NOT_ACTIONS = ("waiting",)  # ladder figures that count what is held back, not what was done
TICK_SECONDS = 60


@dataclass
class RoundOutcome:
    """What happened to today's check-in round at this run."""

    state: str  # started, already-started, not-yet, too-late, done-today
    local_date: date
    audience: str
    round_id: int | None = None
    asked: int = 0
    due_at: datetime | None = None  # naive UTC of today's round time

    def describe(self, zone: ZoneInfo, language: str = "en") -> str:
        """One line in `language` (data/ui/<language>/cli_notices.toml, [round]): "the check-in round for 2026-11-20
        starts at 09:00"."""
        when = to_local(self.due_at, zone).strftime("%H:%M") if self.due_at else ""
        state = self.state.replace("-", "_")  # started, already_started, not_yet, too_late, done_today
        values = {"date": self.local_date.isoformat(), "audience": self.audience, "id": self.round_id}
        return ui_words.text(language, f"round.{state}", time=when, asked=f"{self.asked:,}", **values)


@dataclass
class DueReport:
    """What one `run_due` did."""

    at: datetime  # aware UTC
    zone: ZoneInfo
    round: RoundOutcome
    ladder: dict[str, Any] = field(default_factory=dict)  # the ladder's report, as plain values
    tasks_escalated: int = 0
    monitoring_ended: list[int] = field(default_factory=list)  # resident ids
    purged: PurgeReport | None = None  # the day's purge, when it ran at this run
    tasks_moved_on: int = 0  # offers not accepted in time, gone to the next volunteer (kit.task_offers)
    unread_alerted: int = 0  # replies nobody read in time, alerted now (kit.needs_reading)

    @property
    def did_something(self) -> bool:
        ladder_moved = any(_count(value) for name, value in self.ladder.items() if name not in NOT_ACTIONS)
        purged = self.purged is not None and self.purged.total
        return bool(
            self.round.state == "started"
            or ladder_moved
            or self.tasks_escalated
            or self.monitoring_ended
            or purged
            or self.tasks_moved_on
            or self.unread_alerted
        )

    def lines(self, language: str = "en") -> list[str]:
        """What was done, in plain words in `language` (English for the log), one line each ([run_due])."""

        def said(key: str, **values: object) -> str:
            return ui_words.text(language, f"run_due.{key}", **values)

        def step(name: str) -> str:
            return said(f"step.{name}") if ui_words.has(f"run_due.step.{name}") else name.replace("_", " ")

        steps = said("comma").join(
            said("step_count", step=step(name), count=f"{value:,}")
            for name, value in self.ladder.items()
            if _count(value)
        )
        return [
            self.round.describe(self.zone, language),
            said("ladder", steps=steps) if steps else said("ladder_nothing_due"),
            said("escalated", count=f"{self.tasks_escalated:,}"),
            *([said("moved_on", count=f"{self.tasks_moved_on:,}")] if self.tasks_moved_on else []),
            *([said("unread_alerted", count=f"{self.unread_alerted:,}")] if self.unread_alerted else []),
            ui_words.text_count(language, "run_due.monitoring_ended", len(self.monitoring_ended)),
            *([said("retention", purged=self.purged.describe())] if self.purged is not None else []),
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(timespec="seconds"),
            "local_time": to_local(self.at, self.zone).isoformat(timespec="seconds"),
            "round": {
                "state": self.round.state,
                "local_date": self.round.local_date.isoformat(),
                "audience": self.round.audience,
                "round_id": self.round.round_id,
                "asked": self.round.asked,
            },
            "ladder": self.ladder,
            "tasks_escalated": self.tasks_escalated,
            "tasks_moved_on": self.tasks_moved_on,
            "unread_alerted": self.unread_alerted,
            "monitoring_ended": list(self.monitoring_ended),
            "purged": self.purged.as_dict() if self.purged is not None else None,
        }


@contextmanager
def clock_at(at: datetime | None) -> Iterator[None]:
    """Run the block with the kit's clock fixed at `at` (aware, or naive UTC), then put the previous clock back.
    The clock is process-wide: for the CLI's `run-due --at`, not for a server with other threads running."""
    if at is None:
        yield
        return
    previous = clock.use(clock.FixedClock(at))
    try:
        yield
    finally:
        clock.use(previous)


def run_due(*, settings: Settings, at: datetime | None = None) -> DueReport:
    """Do what is due now (or at `at`): start today's check-in round once it is time, move the ladder on, give the
    offers nobody accepted in time to the next volunteer, escalate overdue tasks, alert on replies nobody read in
    time, end monitoring whose end date has passed, and once a day purge what is kept too long. Running it again at
    the same time does nothing new."""
    with clock_at(at):
        now = clock.now()
        zone = community_zone()
        outcome = _start_round_if_due(settings, now, zone)
        ladder = _advance_ladder(settings)
        moved_on = _move_on_unaccepted(settings)
        escalated = _escalate_overdue()
        ended = end_finished_monitoring(to_local(now, zone).date())
        purged = _purge_if_due(settings, now, zone)
        unread = needs_reading.alert_unread(settings.inbox.read_within_minutes)
        return DueReport(
            now, zone, outcome, ladder, escalated, ended, purged, tasks_moved_on=moved_on, unread_alerted=unread
        )


def _purge_if_due(settings: Settings, now: datetime, zone: ZoneInfo) -> PurgeReport | None:
    """Once a local day, from `retention.purge_at` on: purge and anonymise (kit.retention). Two processes purging
    at the same moment do no harm (each row goes once), so the day's `JobRun` row is written after the purge."""
    today = to_local(now, zone).date()
    naive_now = now.astimezone(timezone.utc).replace(tzinfo=None)
    if naive_now < at_local(today, parse_hhmm(settings.retention.purge_at, "retention.purge_at"), zone):
        return None
    key = today.isoformat()
    if JobRun.select().where((JobRun.job == PURGE_JOB) & (JobRun.key == key)).exists():
        return None
    report = purge(settings.retention, actor="scheduler")
    with transaction():
        JobRun.insert(job=PURGE_JOB, key=key, at=naive_now).on_conflict_ignore().execute()
    return report


def checkin_due_at(settings: Settings, day: date, zone: ZoneInfo) -> datetime:
    """Naive UTC at which the round of local `day` is due."""
    return at_local(day, parse_hhmm(settings.checkin.time, "checkin.time"), zone)


def _start_round_if_due(settings: Settings, now: datetime, zone: ZoneInfo) -> RoundOutcome:
    from kit.checkin import audience_condition, start_round

    today = to_local(now, zone).date()
    audience, _ = audience_condition(settings.checkin.audience, today)  # its stored form: tag:elderly-alone
    due_at = checkin_due_at(settings, today, zone)
    outcome = RoundOutcome("not-yet", today, audience, due_at=due_at)
    naive_now = now.astimezone(timezone.utc).replace(tzinfo=None)
    if naive_now < due_at:
        return outcome
    key = today.isoformat()
    if JobRun.select().where((JobRun.job == CHECKIN_JOB) & (JobRun.key == key)).exists():
        outcome.state = "done-today"
        return outcome
    expires = at_local(today, parse_hhmm(settings.checkin.expire_at, "checkin.expire_at"), zone)
    if due_at < expires <= naive_now:
        outcome.state = "too-late"
        return outcome
    existing = CheckinRound.get_or_none((CheckinRound.local_date == today) & (CheckinRound.audience == audience))
    # Not inside one transaction: the round commits its asks in chunks, and starting it again completes it.
    round_ = start_round(today, audience, settings=settings.checkin, actor="scheduler")
    with transaction():
        if JobRun.select().where((JobRun.job == CHECKIN_JOB) & (JobRun.key == key)).exists():
            outcome.state = "done-today"  # another process got here first
            return outcome
        JobRun.create(job=CHECKIN_JOB, key=key, at=naive_now)
    outcome.state = "already-started" if existing is not None else "started"
    outcome.round_id = round_.id
    outcome.asked = round_.asked
    return outcome


def _advance_ladder(settings: Settings) -> dict[str, Any]:
    from kit.checkin import advance_ladder

    return _plain(advance_ladder(settings=settings.checkin, dispatch=settings.dispatch))


def _move_on_unaccepted(settings: Settings) -> int:
    from kit.task_offers import move_on_unaccepted

    return move_on_unaccepted(settings.tasks.accept_within_minutes)


def _escalate_overdue() -> int:
    from kit.escalation import escalate_overdue

    return int(escalate_overdue())


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _plain(report: Any) -> dict[str, Any]:
    if report is None:
        return {}
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        return {key: value for key, value in dataclasses.asdict(report).items() if _is_plain(value)}
    if isinstance(report, dict):
        return {str(key): value for key, value in report.items() if _is_plain(value)}
    if isinstance(report, int):
        return {"moved": report}
    return {"report": str(report)}


def _is_plain(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, list, dict))


def end_finished_monitoring(today: date, *, actor: str = "scheduler") -> list[int]:
    """Residents whose monitoring ended before local `today` go back to 'none'; each change is audited."""
    finished = (
        (Resident.monitoring != "none") & Resident.monitoring_until.is_null(False) & (Resident.monitoring_until < today)
    )
    with transaction():
        rows = list(
            Resident.select(Resident.id, Resident.monitoring, Resident.monitoring_until)
            .where(finished)
            .order_by(Resident.id)
            .tuples()
        )
        if not rows:
            return []
        ids = [row[0] for row in rows]
        now = clock.utcnow()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            Resident.update(monitoring="none", monitoring_until=None, updated_at=now).where(
                Resident.id.in_(chunk)
            ).execute()
        for resident_id, category, until in rows:
            audit.record(actor, "monitoring-ended", "resident", resident_id, old=[category, until], new=["none", None])
    return ids


# --- in the server's process ----------------------------------------------------------------------------------


class InProcessScheduler:
    """Runs `run_due` every minute inside the server: the server's loop calls `run_pending()` often (say every
    second); a failure is logged and kept in `last_error`, and the next tick tries again."""

    def __init__(
        self,
        settings: Settings,
        *,
        every_seconds: int = TICK_SECONDS,
        run: Callable[..., DueReport] = run_due,
    ) -> None:
        self.settings = settings
        self._run = run
        self.scheduler = schedule.Scheduler()
        self.scheduler.every(every_seconds).seconds.do(self._tick).tag("run-due")
        self.last_report: DueReport | None = None
        self.last_error: str = ""

    def add_job(self, name: str, job: Callable[[], object], *, every_seconds: int = TICK_SECONDS) -> None:
        """Also run `job` every `every_seconds` (e.g. the district push, which the composition root hands in so
        that the kit does no HTTP); a failure is logged and kept in `last_error`, and the next tick tries again."""

        def guarded() -> None:
            try:
                job()
            except Exception as error:  # the loop must go on; the error stays visible in last_error and the log
                log.exception("%s failed", name)
                self.last_error = f"{name}: {type(error).__name__}: {error}"

        self.scheduler.every(every_seconds).seconds.do(guarded).tag(name)

    def run_pending(self) -> None:
        self.scheduler.run_pending()

    def run_now(self) -> DueReport | None:
        """Run every job at once (at start-up, so nothing waits a minute)."""
        self.scheduler.run_all()
        return self.last_report

    def _tick(self) -> None:
        try:
            report = self._run(settings=self.settings)
        except Exception as error:  # the loop must go on; the error stays visible in last_error and the log
            log.exception("run-due failed")
            self.last_error = f"{type(error).__name__}: {error}"
            return
        self.last_report = report
        self.last_error = ""
        if report.did_something:
            for line in report.lines():
                log.info("run-due: %s", line)

    def next_runs(self) -> list[tuple[str, datetime]]:
        """What the scheduler will do next, soonest first, as (what, aware UTC time): the next tick, and the next
        check-in round."""
        runs: list[tuple[str, datetime]] = []
        for job in self.scheduler.get_jobs():
            if job.next_run is not None:
                name = next(iter(job.tags), "job")
                runs.append((str(name), job.next_run.astimezone(timezone.utc)))  # schedule keeps naive local time
        runs.append(("check-in round", next_round_at(self.settings)))
        return sorted(runs, key=lambda run: run[1])


def next_round_at(settings: Settings, *, now: datetime | None = None) -> datetime:
    """When the next daily round starts (aware UTC): today at the round time (now, if that time has passed but the
    round has not started yet), or tomorrow if today's round already ran (by the scheduler or by hand) or the day's
    expiry time has passed."""
    zone = community_zone()
    now = now or clock.now()
    today = to_local(now, zone).date()
    naive_now = now.astimezone(timezone.utc).replace(tzinfo=None)
    due = checkin_due_at(settings, today, zone)
    expires = at_local(today, parse_hhmm(settings.checkin.expire_at, "checkin.expire_at"), zone)
    if _round_ran(settings, today) or due < expires <= naive_now:
        due = checkin_due_at(settings, today + timedelta(days=1), zone)
    else:
        due = max(due, naive_now)
    return due.replace(tzinfo=timezone.utc)


def _round_ran(settings: Settings, today: date) -> bool:
    if JobRun.select().where((JobRun.job == CHECKIN_JOB) & (JobRun.key == today.isoformat())).exists():
        return True
    from kit.checkin import audience_condition

    try:
        audience, _ = audience_condition(settings.checkin.audience, today)
    except LinliError:  # e.g. a grid that is gone: run_due will say so; here the round simply has not run
        return False
    return bool(
        CheckinRound.select().where((CheckinRound.local_date == today) & (CheckinRound.audience == audience)).exists()
    )
