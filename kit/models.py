"""The community register as peewee models: the current shape of the schema.

Migrations in `kit.migrations` hold frozen copies; change both together (a new numbered migration, then here).
Times are stored as naive UTC datetimes.
"""

from __future__ import annotations

import peewee

from kit.clock import utcnow
from kit.db import database

HEALTH_STATUSES = ("green", "yellow", "red")
MONITORING_CATEGORIES = ("none", "close_contact", "home_quarantine", "confirmed", "recovered")


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Community(BaseModel):
    """The one community this database looks after."""

    name = peewee.TextField()
    region = peewee.CharField(max_length=2)
    timezone = peewee.TextField()
    languages = peewee.TextField()  # comma-separated, the default first: "zh,en"
    created_at = peewee.DateTimeField(default=utcnow)

    @property
    def language(self) -> str:
        return self.languages.split(",")[0]

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]


class Grid(BaseModel):
    """网格: the block one volunteer is responsible for."""

    name = peewee.TextField(unique=True)
    created_at = peewee.DateTimeField(default=utcnow)


class Household(BaseModel):
    """An address: building, unit, room (楼栋, 单元, 房号)."""

    grid = peewee.ForeignKeyField(Grid, null=True, backref="households", on_delete="SET NULL")
    building = peewee.TextField(default="")
    unit = peewee.TextField(default="")
    room = peewee.TextField(default="")

    class Meta:
        indexes = ((("building", "unit", "room"), True),)

    @property
    def address(self) -> str:
        return format_address(self.building, self.unit, self.room)


class Resident(BaseModel):
    name = peewee.TextField()
    phone = peewee.TextField(null=True, unique=True)  # E.164
    second_phone = peewee.TextField(null=True)  # a family member's number, E.164
    language = peewee.TextField(default="zh")
    birth_year = peewee.IntegerField(null=True)
    status = peewee.TextField(default="green", index=True)
    monitoring = peewee.TextField(default="none", index=True)
    monitoring_until = peewee.DateField(null=True)
    opted_out = peewee.BooleanField(default=False)
    opted_out_at = peewee.DateTimeField(null=True)
    notes = peewee.TextField(default="")
    grid = peewee.ForeignKeyField(Grid, null=True, backref="residents", on_delete="SET NULL")
    household = peewee.ForeignKeyField(Household, null=True, backref="residents", on_delete="SET NULL")
    search_text = peewee.TextField(default="")  # folded name, phone digits, address: what search matches
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class ResidentTag(BaseModel):
    resident = peewee.ForeignKeyField(Resident, backref="tag_rows", on_delete="CASCADE")
    tag = peewee.TextField(index=True)

    class Meta:
        indexes = ((("resident", "tag"), True),)


class Volunteer(BaseModel):
    name = peewee.TextField()
    phone = peewee.TextField(unique=True)
    language = peewee.TextField(default="zh")
    skills = peewee.TextField(default="")  # comma-separated: errands, medical, counselling, driving
    points = peewee.IntegerField(default=0)
    active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)

    @property
    def skill_list(self) -> list[str]:
        return [s for s in self.skills.split(",") if s]


class VolunteerGrid(BaseModel):
    volunteer = peewee.ForeignKeyField(Volunteer, backref="grid_rows", on_delete="CASCADE")
    grid = peewee.ForeignKeyField(Grid, backref="volunteer_rows", on_delete="CASCADE")

    class Meta:
        indexes = ((("volunteer", "grid"), True),)


class AuditEntry(BaseModel):
    """Who did what, when, to which record."""

    at = peewee.DateTimeField(default=utcnow, index=True)
    actor = peewee.TextField()
    action = peewee.TextField()
    entity = peewee.TextField()
    entity_id = peewee.IntegerField(null=True)
    detail = peewee.TextField(default="")  # JSON


REGISTRY_MODELS = [Community, Grid, Household, Resident, ResidentTag, Volunteer, VolunteerGrid, AuditEntry]


def format_address(building: str, unit: str, room: str) -> str:
    """'3-2-201' style, skipping parts that are empty."""
    return "-".join(part for part in (building, unit, room) if part)
