"""Volunteers by SMS: sign-ups waiting for an operator, volunteers off duty, and tasks a volunteer accepts or
declines.

- `volunteer.paused_at`: off duty since then (no tasks, no door-knocks); NULL while on duty.
- `task.offered_at`: when the task was last offered to its volunteer; NULL once accepted, or for tasks given before
  this migration (they never time out). `task.accepted_at`: when the volunteer said they would do it.
- `task_decline`: who declined a task (or let the offer lapse), so the next offer skips them.
- `volunteer_signup`: a "JOIN" text from someone who is not a volunteer yet, until an operator approves or
  declines it.
"""

from __future__ import annotations

from datetime import datetime, timezone

import peewee
from playhouse.migrate import SchemaMigrator
from playhouse.migrate import migrate as apply


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def migrate(db: peewee.Database) -> None:
    class Base(peewee.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Volunteer(Base):
        class Meta:
            table_name = "volunteer"

    class Grid(Base):
        class Meta:
            table_name = "grid"

    class Task(Base):
        class Meta:
            table_name = "task"

    class Message(Base):
        class Meta:
            table_name = "message"

    class TaskDecline(Base):
        task = peewee.ForeignKeyField(Task, backref="declines", on_delete="CASCADE")
        volunteer = peewee.ForeignKeyField(Volunteer, backref="declines", on_delete="CASCADE")
        at = peewee.DateTimeField(default=_now)
        reason = peewee.TextField(default="declined")

        class Meta:
            indexes = ((("task", "volunteer"), True),)

    class VolunteerSignup(Base):
        phone = peewee.TextField(index=True)
        name = peewee.TextField(default="")
        language = peewee.TextField(default="zh")
        text = peewee.TextField(default="")
        grid = peewee.ForeignKeyField(Grid, null=True, on_delete="SET NULL")
        grid_asked = peewee.TextField(default="")
        skills = peewee.TextField(default="")
        status = peewee.TextField(default="pending", index=True)
        message = peewee.ForeignKeyField(Message, null=True, on_delete="SET NULL")
        volunteer = peewee.ForeignKeyField(Volunteer, null=True, on_delete="SET NULL")
        created_at = peewee.DateTimeField(default=_now)
        decided_at = peewee.DateTimeField(null=True)
        decided_by = peewee.TextField(default="")
        reason = peewee.TextField(default="")

    migrator = SchemaMigrator.from_database(db)
    apply(
        migrator.add_column("volunteer", "paused_at", peewee.DateTimeField(null=True)),
        migrator.add_column("task", "offered_at", peewee.DateTimeField(null=True)),
        migrator.add_column("task", "accepted_at", peewee.DateTimeField(null=True)),
        migrator.add_index("task", ("offered_at",), False),
    )
    db.create_tables([TaskDecline, VolunteerSignup])
