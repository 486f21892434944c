"""Benchmark: starting a check-in round for a large community, and one step of the ladder over all of its asks.

Targets: `start_round` for 100,000 residents and one `advance_ladder` with every ask due (every prompt went out
three hours ago: each resident gets a reminder) take under 2 s each, and neither holds the write lock for more
than 200 ms at a time. The community is the demo one (`kit.demo.generate_demo`), made once in a temporary folder;
generating it is not timed.

The lock is measured from outside, as the webhook feels it: a second thread with a connection of its own takes the
write lock (BEGIN IMMEDIATE, then ROLLBACK) every few milliseconds and records how long it had to wait. It waits
with SQLite's own busy handler, as every Linli connection does (a busy timeout): sleeping longer the longer it has
waited, so short transactions that follow each other at once can keep it out for the whole write.

    python -m tests.bench.bench_rounds [--residents 100000]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from kit import clock, db
from kit.checkin import advance_ladder, start_round
from kit.config import CheckinSettings
from kit.demo import generate_demo
from kit.models import CheckinAsk, Message

TARGET_SECONDS = 2.0
TARGET_LOCK_MS = 200.0
PROBE_EVERY = 0.005  # seconds between two attempts of the probe to take the write lock
START = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai, outside quiet hours

T = TypeVar("T")


class LockProbe:
    """Takes the write lock on its own connection every `PROBE_EVERY` and keeps the longest wait."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.longest = 0.0
        self.tries = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        while not self._stop.wait(PROBE_EVERY):
            started = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            self.longest = max(self.longest, time.perf_counter() - started)
            connection.execute("ROLLBACK")
            self.tries += 1
        connection.close()


class HeldLock:
    """Times every write transaction of Linli's own connection, from BEGIN to COMMIT or ROLLBACK."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.count = 0
        self._began = 0.0

    def __enter__(self) -> HeldLock:
        handle = db.database.obj
        begin, commit, rollback = handle.begin, handle.commit, handle.rollback

        def timed_begin(*args: Any, **kwargs: Any) -> Any:
            result = begin(*args, **kwargs)
            self._began = time.perf_counter()
            return result

        def ended(end: Callable[[], Any]) -> Callable[[], Any]:
            def timed_end() -> Any:
                try:
                    return end()
                finally:
                    self.longest = max(self.longest, time.perf_counter() - self._began)
                    self.count += 1

            return timed_end

        handle.begin, handle.commit, handle.rollback = timed_begin, ended(commit), ended(rollback)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in ("begin", "commit", "rollback"):
            delattr(db.database.obj, name)


class Timing(NamedTuple):
    seconds: float
    cpu: float
    held: float  # the longest write transaction
    transactions: int
    waited: float  # the longest wait of another writer

    def line(self) -> str:
        ok = self.seconds < TARGET_SECONDS and max(self.held, self.waited) * 1000 < TARGET_LOCK_MS
        return (
            f"  {self.seconds:6.2f} s wall ({self.cpu:.2f} s CPU); write lock held at most {self.held * 1000:4.0f} ms"
            f" ({self.transactions} transactions), another writer waited at most {self.waited * 1000:4.0f} ms"
            f"  (targets < {TARGET_SECONDS:.0f} s, < {TARGET_LOCK_MS:.0f} ms)  {'ok' if ok else 'MISSED'}"
        )


def timed(path: Path, work: Callable[[], T]) -> tuple[T, Timing]:
    """`work`'s result, with its wall and CPU seconds and how long it kept other writers waiting."""
    with LockProbe(path) as probe, HeldLock() as held:
        started, cpu = time.perf_counter(), time.process_time()
        result = work()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return result, Timing(seconds, cpu_seconds, held.longest, held.count, probe.longest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=100_000)
    args = parser.parse_args()
    fixed = clock.FixedClock(START)
    previous = clock.use(fixed)
    settings = CheckinSettings()
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.sqlite3"
            db.connect(path)
            started = time.perf_counter()
            generate_demo(args.residents, seed=7)
            print(f"demo community of {args.residents:,} residents made in {time.perf_counter() - started:.1f} s")

            round_, start = timed(path, lambda: start_round(settings=settings))
            prompts = Message.select().where((Message.round == round_.id) & (Message.kind == "checkin")).count()

            sent_at = fixed.now().replace(tzinfo=None)  # every prompt went out at the start (untimed)
            Message.update(status="delivered", sent_at=sent_at).where(Message.kind == "checkin").execute()
            fixed.advance(hours=settings.reminder_after_hours, minutes=1)
            due = CheckinAsk.select().where(CheckinAsk.next_step_at <= fixed.now().replace(tzinfo=None)).count()
            report, step = timed(path, lambda: advance_ladder(settings=settings))
            db.close()
    finally:
        clock.use(previous)

    print(f"start_round: {round_.asked:,} asked, {prompts:,} prompts queued")
    print(start.line())
    print(f"advance_ladder: {due:,} asks due, {report.reminded:,} reminded, {report.door_knock:,} door-knocks")
    print(step.line())


if __name__ == "__main__":
    main()
