"""When the database is busy: telling a lock from a real failure.

Another writer (an import, a round being started, a second Linli on the same file) can hold SQLite's write lock
longer than the busy timeout; the statement then fails with "database is locked". That is not a fault in the work
being done: the work must be left where it can be tried again (an inbound message stays 'received', a send the
provider accepted is written later), never marked as failed.

Decisions
- A lock is recognised by the driver's words, on the error or on what it was raised from: SQLite says "locked" or
  "busy"; PostgreSQL's lock timeouts, deadlocks and serialisation failures are the same kind of thing.
- Anything else (a constraint, a missing table, a full disk) is not retried here: it would fail the same way again.
"""

from __future__ import annotations

import sqlite3

import peewee

_BUSY_WORDS = (
    *("database is locked", "database table is locked", "database is busy"),  # SQLite
    *("deadlock detected", "could not serialize", "lock timeout"),  # PostgreSQL
)


def is_busy(error: BaseException) -> bool:
    """Whether `error` (or what it was raised from) means another writer held the lock: try again later."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (peewee.OperationalError, sqlite3.OperationalError)):
            text = str(current).lower()
            if any(words in text for words in _BUSY_WORDS):
                return True
        current = current.__cause__ or current.__context__
    return False
