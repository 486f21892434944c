"""The landing: inbound messages stored by the webhook process in a SQLite file of their own, until the inbound
worker moves them into the database.

`linli serve` on a SQLite file runs its webhooks in a process of their own (linli.webhook_process). Each message a
provider posts is made durable there, in the landing (`Landing.receive`), and answered; the inbound worker, in the
other process, moves what landed into the database (`sms.batch.take_landed`, through `kit.outbox.record_inbound`,
idempotent on the provider's id) and then acts on it.

Decisions
- Why a file of its own: SQLite has one writer at a time per file. In the nine o'clock burst the inbound worker
  writes the answers of the replies already stored (reports, statuses, alerts, acknowledgements) in transactions of
  tens of milliseconds, and a webhook that had to store its message in the same file waited for each of them: its
  99th percentile was four times the minimal handler's (tests/bench/bench_burst.py). In the landing, a webhook waits
  only for other webhooks (they commit together) and for the worker's short DELETE of what it moved.
- Durable as the database is: WAL with synchronous=NORMAL, the same settings, beside it, readable by its owner
  only. A provider is answered only after the landing committed its message.
- Idempotent in two places: the landing refuses a second copy of a (gateway, provider id) it holds, and the move
  records a message once per (gateway, provider id) whatever the landing says. So a retry that arrives after its
  first copy was moved and forgotten lands again and is dropped by the move, and a move interrupted between the
  database's commit and the landing's DELETE records nothing twice when it runs again.
- The file is named after the database (`linli.sqlite3` -> `linli.landing.sqlite3`), so each database has one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kit.clock import utcnow
from kit.private_files import create_private, narrow

BUSY_MS = 10_000  # as every Linli connection waits for a lock (kit.db.SQLITE_PRAGMAS)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS landed (
    id INTEGER PRIMARY KEY,
    gateway TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    peer TEXT NOT NULL,
    body TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (gateway, provider_id)
)
"""


@dataclass(frozen=True)
class Landed:
    """One inbound message as it landed: `at` is when it arrived (naive UTC, as the database stores times)."""

    id: int
    gateway: str
    provider_id: str
    peer: str
    body: str
    at: datetime


def landing_path(database: str | Path) -> Path:
    """The landing beside the SQLite database at `database`: linli.sqlite3 -> linli.landing.sqlite3."""
    path = Path(database)
    return path.with_name(f"{path.stem}.landing{path.suffix or '.sqlite3'}")


class Landing:
    """The landing file at `path` (created when missing), on a connection of its own. One thread at a time uses
    it: the webhook process's database thread, or the inbound worker."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        create_private(self.path)
        for suffix in ("-wal", "-shm"):
            narrow(f"{self.path}{suffix}")
        self._connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        for pragma in ("journal_mode = wal", "synchronous = normal", f"busy_timeout = {BUSY_MS}"):
            self._connection.execute(f"PRAGMA {pragma}")
        self._connection.execute(_SCHEMA)

    def close(self) -> None:
        self._connection.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction on the landing: what `receive` stores in it is durable once it ends."""
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def receive(
        self, gateway: str, provider_id: str, peer: str, body: str, *, at: datetime | None = None
    ) -> tuple[Landed | None, bool]:
        """Land an inbound message (in the caller's `transaction`), as `sms.router.receive` stores one: the landed
        message and True, or None and False for a copy of one the landing holds (a provider's retry)."""
        arrived = at or utcnow()
        cursor = self._connection.execute(
            "INSERT INTO landed (gateway, provider_id, peer, body, at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (gateway, provider_id) DO NOTHING",
            (gateway, provider_id, peer, body, arrived.isoformat(" ")),
        )
        if not cursor.rowcount:
            return None, False
        assert cursor.lastrowid is not None
        return Landed(cursor.lastrowid, gateway, provider_id, peer, body, arrived), True

    def landed(self, most: int) -> list[Landed]:
        """The oldest `most` messages waiting to be moved, in the order they landed."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT id, gateway, provider_id, peer, body, at FROM landed ORDER BY id LIMIT ?", (most,)
            ).fetchall()
        return [
            Landed(number, gateway, key, peer, body, datetime.fromisoformat(at))
            for number, gateway, key, peer, body, at in rows
        ]

    def forget(self, up_to: int) -> None:
        """Forget the messages moved into the database: those landed up to the id `up_to`."""
        with self._lock:
            self._connection.execute("DELETE FROM landed WHERE id <= ?", (up_to,))
