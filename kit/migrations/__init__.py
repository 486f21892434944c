"""Numbered schema migrations, applied at start-up.

Each module `mNNNN_name.py` defines `migrate(db)` with its own frozen copies of the models it touches, so a later
change to `kit.models` never changes what an old migration does. Each migration runs in a transaction with the row
that records it in `schema_version`. A database whose schema is newer than this code knows is refused.

Decisions:
- Two processes starting at once on a new database must not both migrate it. SQLite's IMMEDIATE transactions
  already queue them; on PostgreSQL each migration's transaction first takes an advisory lock (held until it ends),
  so the second waits, then finds the work done.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import peewee

from kit.errors import SchemaTooNew, StorageError

_NAME = re.compile(r"^m(\d{4})_(\w+)$")
_LOCK = 0x6C696E6C69  # "linli": the PostgreSQL advisory lock that queues migrating processes


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    migrate: Callable[[peewee.Database], None]


def known_migrations() -> list[Migration]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        match = _NAME.match(info.name)
        if match:
            module = importlib.import_module(f"{__name__}.{info.name}")
            found.append(Migration(int(match.group(1)), match.group(2), module.migrate))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise StorageError("migrations.gaps", versions=versions)
    return found


LATEST = len(known_migrations())


class SchemaVersion(peewee.Model):
    version = peewee.IntegerField(primary_key=True)
    name = peewee.TextField()
    applied_at = peewee.DateTimeField()

    class Meta:
        table_name = "schema_version"


def current_version(db: peewee.Database) -> int:
    if not db.table_exists("schema_version"):
        return 0
    with db.bind_ctx([SchemaVersion]):
        value = SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).scalar()
    return int(value or 0)


def _queue(db: peewee.Database) -> None:
    """Wait for any other process migrating this PostgreSQL database (until the current transaction ends)."""
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))


def apply_pending(db: peewee.Database) -> list[int]:
    """Apply every migration newer than the database; returns the versions applied."""
    migrations = known_migrations()
    latest = len(migrations)
    applied: list[int] = []
    with db.bind_ctx([SchemaVersion]):
        if current_version(db) >= latest:
            migrations = []  # up to date: opening takes no write lock, so reading works while another writes
        else:
            with db.atomic():
                _queue(db)
                db.create_tables([SchemaVersion], safe=True)
        for migration in migrations:
            with db.atomic():
                _queue(db)
                # Checked inside the write transaction: a second process starting at the same moment waits here
                # and then finds the work done.
                have = current_version(db)
                if have >= migration.version:
                    continue
                migration.migrate(db)
                SchemaVersion.create(
                    version=migration.version,
                    name=migration.name,
                    applied_at=datetime.now(timezone.utc).replace(tzinfo=None),
                )
                applied.append(migration.version)
        have = current_version(db)
    if have > latest:
        raise SchemaTooNew("migrations.too_new", version=have, latest=latest)
    return applied
