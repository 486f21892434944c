"""The community register: community, grids, households, residents and tags, volunteers, audit."""

from __future__ import annotations

import peewee


def migrate(db: peewee.Database) -> None:
    class Base(peewee.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Community(Base):
        name = peewee.TextField()
        region = peewee.CharField(max_length=2)
        timezone = peewee.TextField()
        languages = peewee.TextField()
        created_at = peewee.DateTimeField()

    class Grid(Base):
        name = peewee.TextField(unique=True)
        created_at = peewee.DateTimeField()

    class Household(Base):
        grid = peewee.ForeignKeyField(Grid, null=True, on_delete="SET NULL")
        building = peewee.TextField(default="")
        unit = peewee.TextField(default="")
        room = peewee.TextField(default="")

        class Meta:
            indexes = ((("building", "unit", "room"), True),)

    class Resident(Base):
        name = peewee.TextField()
        phone = peewee.TextField(null=True, unique=True)
        second_phone = peewee.TextField(null=True)
        language = peewee.TextField(default="zh")
        birth_year = peewee.IntegerField(null=True)
        status = peewee.TextField(default="green", index=True)
        monitoring = peewee.TextField(default="none", index=True)
        monitoring_until = peewee.DateField(null=True)
        opted_out = peewee.BooleanField(default=False)
        opted_out_at = peewee.DateTimeField(null=True)
        notes = peewee.TextField(default="")
        grid = peewee.ForeignKeyField(Grid, null=True, on_delete="SET NULL")
        household = peewee.ForeignKeyField(Household, null=True, on_delete="SET NULL")
        search_text = peewee.TextField(default="")
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()

    class ResidentTag(Base):
        resident = peewee.ForeignKeyField(Resident, on_delete="CASCADE")
        tag = peewee.TextField(index=True)

        class Meta:
            indexes = ((("resident", "tag"), True),)

    class Volunteer(Base):
        name = peewee.TextField()
        phone = peewee.TextField(unique=True)
        language = peewee.TextField(default="zh")
        skills = peewee.TextField(default="")
        points = peewee.IntegerField(default=0)
        active = peewee.BooleanField(default=True)
        created_at = peewee.DateTimeField()

    class VolunteerGrid(Base):
        volunteer = peewee.ForeignKeyField(Volunteer, on_delete="CASCADE")
        grid = peewee.ForeignKeyField(Grid, on_delete="CASCADE")

        class Meta:
            indexes = ((("volunteer", "grid"), True),)

    class AuditEntry(Base):
        at = peewee.DateTimeField(index=True)
        actor = peewee.TextField()
        action = peewee.TextField()
        entity = peewee.TextField()
        entity_id = peewee.IntegerField(null=True)
        detail = peewee.TextField(default="")

    db.create_tables([Community, Grid, Household, Resident, ResidentTag, Volunteer, VolunteerGrid, AuditEntry])
