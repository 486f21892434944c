"""Neighbour points (邻里积分): the ledger of points earned by helping a neighbour, one row per award.

Decisions
- The tasks volunteers finished before the ledger existed are written into it here (points, grid, round, the
  neighbour and when the task was done), so the ledger adds up to what volunteers already hold in
  `volunteer.points`. Such an entry names the resident too when exactly one resident has the volunteer's number.
"""

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

    class Resident(Base):
        phone = peewee.TextField(null=True)

        class Meta:
            table_name = "resident"

    class Volunteer(Base):
        phone = peewee.TextField()

        class Meta:
            table_name = "volunteer"

    class Grid(Base):
        class Meta:
            table_name = "grid"

    class CheckinRound(Base):
        class Meta:
            table_name = "checkin_round"

    class Task(Base):
        state = peewee.TextField()
        resident = peewee.ForeignKeyField(Resident, null=True)
        volunteer = peewee.ForeignKeyField(Volunteer, null=True)
        grid = peewee.ForeignKeyField(Grid, null=True)
        round = peewee.ForeignKeyField(CheckinRound, null=True)
        created_at = peewee.DateTimeField()
        done_at = peewee.DateTimeField(null=True)
        points = peewee.IntegerField()

        class Meta:
            table_name = "task"

    class PointEntry(Base):
        key = peewee.TextField(unique=True)
        resident = peewee.ForeignKeyField(Resident, null=True, backref="point_entries", on_delete="SET NULL")
        volunteer = peewee.ForeignKeyField(Volunteer, null=True, backref="point_entries", on_delete="SET NULL")
        phone = peewee.TextField(null=True)
        neighbour = peewee.ForeignKeyField(Resident, null=True, backref="helped_entries", on_delete="SET NULL")
        grid = peewee.ForeignKeyField(Grid, null=True, on_delete="SET NULL")
        points = peewee.IntegerField()
        reason = peewee.TextField()
        task = peewee.ForeignKeyField(Task, null=True, on_delete="SET NULL")
        round = peewee.ForeignKeyField(CheckinRound, null=True, on_delete="SET NULL")
        at = peewee.DateTimeField(default=_now, index=True)

    db.create_tables([PointEntry])
    namesake = Resident.alias()
    only_resident = (
        namesake.select(peewee.fn.MIN(namesake.id))
        .where(namesake.phone == Volunteer.phone)
        .having(peewee.fn.COUNT(namesake.id) == 1)
    )
    done = (
        Task.select(
            peewee.Value("task:").concat(Task.id.cast("TEXT")),
            only_resident,
            Task.volunteer,
            Task.resident,
            Task.grid,
            Task.points,
            peewee.Value("task"),
            Task.id,
            Task.round,
            peewee.fn.COALESCE(Task.done_at, Task.created_at),
        )
        .join(Volunteer, on=(Task.volunteer == Volunteer.id))
        .where(Task.state == "done")
    )
    fields = [
        PointEntry.key, PointEntry.resident, PointEntry.volunteer, PointEntry.neighbour, PointEntry.grid,
        PointEntry.points, PointEntry.reason, PointEntry.task, PointEntry.round, PointEntry.at,
    ]  # fmt: skip
    PointEntry.insert_from(done, fields).execute()
