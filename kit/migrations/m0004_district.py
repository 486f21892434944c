"""The district: on a district's server, the communities (by token hash) and the figures they push, a report per
(community, day) with a row per grid; on a community's laptop, the days still to push."""

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

    class DistrictCommunity(Base):
        name = peewee.TextField(unique=True)
        token_hash = peewee.TextField(unique=True)
        created_at = peewee.DateTimeField(default=_now)
        revoked_at = peewee.DateTimeField(null=True)

    class DistrictReport(Base):
        community = peewee.ForeignKeyField(DistrictCommunity, backref="reports", on_delete="CASCADE")
        day = peewee.DateField()
        as_of = peewee.DateTimeField()
        received_at = peewee.DateTimeField(default=_now)
        totals = peewee.TextField(default="{}")

        class Meta:
            indexes = ((("community", "day"), True), (("day", "community"), False))

    class DistrictGridFigures(Base):
        report = peewee.ForeignKeyField(DistrictReport, backref="grids", on_delete="CASCADE")
        grid = peewee.TextField()
        figures = peewee.TextField(default="{}")

        class Meta:
            indexes = ((("report", "grid"), True),)

    class DistrictPush(Base):
        day = peewee.DateField(unique=True)
        state = peewee.TextField(default="pending", index=True)
        attempts = peewee.IntegerField(default=0)
        next_try_at = peewee.DateTimeField(null=True)
        pushed_at = peewee.DateTimeField(null=True)
        last_error = peewee.TextField(default="")
        updated_at = peewee.DateTimeField(default=_now)

    db.create_tables([DistrictCommunity, DistrictReport, DistrictGridFigures, DistrictPush])
