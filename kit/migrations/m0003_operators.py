"""Operators: the people who run the kit, each with a role and a hashed PIN; the audit trail indexed by actor."""

from __future__ import annotations

from datetime import datetime, timezone

import peewee


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def migrate(db: peewee.Database) -> None:
    class Base(peewee.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Operator(Base):
        name = peewee.TextField(unique=True)
        role = peewee.TextField(default="operator")
        pin_hash = peewee.TextField()
        active = peewee.BooleanField(default=True)
        created_at = peewee.DateTimeField(default=_now)
        updated_at = peewee.DateTimeField(default=_now)

    class AuditEntry(Base):
        at = peewee.DateTimeField()
        actor = peewee.TextField()

        class Meta:
            table_name = "audit_entry"
            indexes = ((("actor", "at"), False),)  # `linli audit --operator NAME`

    db.create_tables([Operator])
    AuditEntry._schema.create_indexes(safe=True)
