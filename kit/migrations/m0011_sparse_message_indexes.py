"""The message table's indexes on columns most messages leave empty cover only the rows that fill them.

Decisions
- A check-in round queues a prompt per resident and a ladder step a reminder per silent one, each written into
  every index of the message table. A prompt has no provider id yet, no volunteer, task or notice, and nobody
  needs to read it, so five of its eleven index entries were NULLs nobody looks up: every lookup on these columns
  asks for a value (`provider_id = ?`, `task_id = ?`, `needs_reading_since IS NOT NULL`), which a partial index
  `WHERE column IS NOT NULL` answers on SQLite and PostgreSQL alike. Measured on a ladder step over 97,000 silent
  residents: about a tenth less CPU (tests/bench/bench_rounds.py).
"""

from __future__ import annotations

import peewee

SPARSE = ("provider_id", "volunteer_id", "task_id", "notice_id", "needs_reading_since")


def migrate(db: peewee.Database) -> None:
    for column in SPARSE:
        db.execute_sql(f'DROP INDEX IF EXISTS "message_{column}"')
        db.execute_sql(f'CREATE INDEX "message_{column}" ON "message" ("{column}") WHERE "{column}" IS NOT NULL')
