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


# SQLite's busy handler (installed by `busy_timeout`) sleeps between its tries, longer the longer it has waited.
_BACKOFF_MS = (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100)
_MARGIN_MS = 5  # for a waiter whose thread wakes late on a busy machine


def turn_gap(held: float) -> float:
    """Seconds to leave SQLite's write lock free after holding it `held` seconds, so that another writer that began
    waiting meanwhile gets it: the longest sleep its busy handler takes in `held`, and a margin.

    Decisions
    - A waiting writer does not queue: its busy handler tries, sleeps 1, 2, 5 ... up to 100 ms, and tries again.
      A long write cut into transactions that follow each other at once (measured: 0.08 ms apart) is back in the
      lock before the waiter's next try, so a webhook waited through 46 transactions of a round (1.7 s) although
      none held the lock for 100 ms. A pause as long as the waiter's current sleep lets it in at its next try.
    - A waiter has waited at most `held` when the lock comes free, so its sleeps are at most the longest of those
      that begin within `held`: 25 ms for any transaction under about 128 ms."""
    waited, longest = 0.0, 0
    for sleep_ms in _BACKOFF_MS:
        if waited >= held * 1000:
            break
        longest = sleep_ms
        waited += sleep_ms
    else:
        longest = _BACKOFF_MS[-1]
    return (longest + _MARGIN_MS) / 1000
