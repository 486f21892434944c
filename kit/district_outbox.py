"""The days this community still has to push to its district, and pushing them.

A day is queued (a `DistrictPush` row) by `linli report push` or at `district.push_at` each day, and stays
pending until the district has taken it: a laptop that is offline, or a district server that is down, pushes when
it is back. The HTTP request itself is the composition root's (`linli.district_push`): kit hands it the payload
through a `Sender` and never speaks HTTP.

Decisions:
- The payload is `kit.figures.day_figures(day).as_dict()`, counted at the moment of the push: counts per grid,
  never a name, phone or address.
- A failure to reach the district (offline, a timeout, a 5xx) keeps the day pending and waits
  `district.retry_minutes` before the next try, so an offline laptop tries now and then, not every tick; the
  pending days after it wait too (they would fail the same way).
- A refusal (a 4xx) is the district saying no. A wrong or revoked token (401) stays pending: the operator fixes the
  token and the next try goes through. Any other refusal (a day too old, a body it cannot take) is marked
  "refused" with the district's reason and not tried again until pushed by hand.
- The daily push is recorded as a `JobRun` per local date, like the check-in round, so it runs once a day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from kit import clock
from kit.community import community_zone
from kit.config import DistrictSettings
from kit.db import transaction
from kit.district_models import DistrictPush
from kit.errors import ConfigError, LinliError
from kit.figures import day_figures
from kit.localtime import at_local, parse_hhmm, to_local
from kit.models import JobRun

PUSH_JOB = "district-push"
UNAUTHORIZED = 401


class DistrictUnreachable(LinliError):
    """The district's server could not be reached or failed: the day stays pending and is tried again."""

    title_key = "district_unreachable"


class DistrictRefused(LinliError):
    """The district's server answered no (HTTP `status`), with its reason."""

    title_key = "district_refused"

    def __init__(self, key: str, /, *, status: int, title: str | None = None, **values: Any) -> None:
        super().__init__(key, title=title, **values)
        self.status = status


Sender = Callable[[dict[str, Any]], dict[str, Any]]  # the day's payload -> the district's receipt


@dataclass
class PushRun:
    """What one pass over the pending days did."""

    pushed: list[date] = field(default_factory=list)
    failed: list[tuple[date, str]] = field(default_factory=list)  # (day, why)
    queued_today: bool = False


def check_configured(settings: DistrictSettings) -> None:
    if not settings.url:
        raise ConfigError("push.no_url")
    if not settings.token:
        raise ConfigError("push.no_token")


def queue_day(day: date) -> None:
    """Make `day` pending (again), to be tried at once."""
    now = clock.utcnow()
    DistrictPush.insert(day=day, state="pending", next_try_at=None, updated_at=now).on_conflict(
        conflict_target=[DistrictPush.day],
        update={DistrictPush.state: "pending", DistrictPush.next_try_at: None, DistrictPush.updated_at: now},
    ).execute()


def push_day(day: date, send: Sender, *, retry_minutes: int) -> dict[str, Any]:
    """Push `day` now and return the district's receipt; on failure the day stays queued (or refused) and the
    error is raised for the caller to show."""
    with transaction():
        queue_day(day)
    return _attempt(day, send, retry_minutes)


def push_pending(send: Sender, *, retry_minutes: int) -> PushRun:
    """Try every pending day whose wait is over, oldest first; stop at the first that cannot reach the district."""
    run = PushRun()
    now = clock.utcnow()
    due = (DistrictPush.state == "pending") & (DistrictPush.next_try_at.is_null() | (DistrictPush.next_try_at <= now))
    days = [row.day for row in DistrictPush.select(DistrictPush.day).where(due).order_by(DistrictPush.day)]
    for day in days:
        try:
            _attempt(day, send, retry_minutes)
        except DistrictUnreachable as error:
            run.failed.append((day, error.message))
            break
        except DistrictRefused as error:
            run.failed.append((day, error.message))
            if error.status == UNAUTHORIZED:
                break  # every day would be refused the same way
            continue
        run.pushed.append(day)
    return run


def push_due(settings: DistrictSettings, send: Sender) -> PushRun:
    """The scheduler's job: once `district.push_at` has come today, queue today (once a day); then push what is
    pending. Does nothing when no district is configured."""
    if not settings.url:
        return PushRun()
    queued = _queue_today_if_due(settings)
    run = push_pending(send, retry_minutes=settings.retry_minutes)
    run.queued_today = queued
    return run


def _queue_today_if_due(settings: DistrictSettings) -> bool:
    zone = community_zone()
    now = clock.now()
    today = to_local(now, zone).date()
    naive_now = now.astimezone(timezone.utc).replace(tzinfo=None)
    if naive_now < at_local(today, parse_hhmm(settings.push_at, "district.push_at"), zone):
        return False
    key = today.isoformat()
    with transaction():
        if JobRun.select().where((JobRun.job == PUSH_JOB) & (JobRun.key == key)).exists():
            return False
        queue_day(today)
        JobRun.create(job=PUSH_JOB, key=key, at=naive_now)
    return True


def _attempt(day: date, send: Sender, retry_minutes: int) -> dict[str, Any]:
    payload = day_figures(day).as_dict()
    try:
        receipt = send(payload)
    except DistrictUnreachable as error:
        _failed(day, error.message, "pending", retry_minutes)
        raise
    except DistrictRefused as error:
        _failed(day, error.message, "pending" if error.status == UNAUTHORIZED else "refused", retry_minutes)
        raise
    now = clock.utcnow()
    with transaction():
        DistrictPush.update(
            state="pushed",
            attempts=DistrictPush.attempts + 1,
            pushed_at=now,
            next_try_at=None,
            last_error="",
            updated_at=now,
        ).where(DistrictPush.day == day).execute()
    return receipt


def _failed(day: date, why: str, state: str, retry_minutes: int) -> None:
    now = clock.utcnow()
    with transaction():
        DistrictPush.update(
            state=state,
            attempts=DistrictPush.attempts + 1,
            next_try_at=now + timedelta(minutes=max(retry_minutes, 0)),
            last_error=why[:500],
            updated_at=now,
        ).where(DistrictPush.day == day).execute()


@dataclass(frozen=True)
class PushLine:
    day: date
    state: str
    attempts: int
    pushed_at: datetime | None
    next_try_at: datetime | None
    last_error: str


def push_lines(limit: int = 30) -> list[PushLine]:
    """The latest days queued for the district, newest first (for `linli report push --list`)."""
    query = DistrictPush.select().order_by(DistrictPush.day.desc()).limit(limit)
    return [PushLine(r.day, r.state, r.attempts, r.pushed_at, r.next_try_at, r.last_error) for r in query]
