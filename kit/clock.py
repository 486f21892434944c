"""The one clock Linli reads the time from, so tests can fix it.

All stored times are UTC (naive datetimes in the database, aware in code at the edges); the community's time
zone turns them into local times for quiet hours, round times and display.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that only moves when told to (tests, `run-due --at`)."""

    def __init__(self, at: datetime) -> None:
        self._lock = threading.Lock()
        self._at = _aware(at)

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        with self._lock:
            self._at = _aware(at)

    def advance(self, **delta: float) -> datetime:
        from datetime import timedelta

        with self._lock:
            self._at = self._at + timedelta(**delta)
            return self._at


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


_clock: Clock = SystemClock()


def now() -> datetime:
    """The current time (aware, UTC) from the installed clock."""
    return _clock.now()


def utcnow() -> datetime:
    """The current UTC time as a naive datetime, the form the database stores."""
    return _clock.now().replace(tzinfo=None)


def use(clock: Clock) -> Clock:
    """Install `clock` for the whole process; returns the previous one."""
    global _clock
    previous, _clock = _clock, clock
    return previous
