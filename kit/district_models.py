"""The district's tables as peewee models (migration 0004): on a district's server, the communities that push their
figures and what they pushed; on a community's laptop, the days whose figures are to go to the district.

Migrations in `kit.migrations` hold frozen copies; change both together (a new numbered migration, then here).
Times are stored as naive UTC datetimes.
"""

from __future__ import annotations

import peewee

from kit.clock import utcnow
from kit.models import BaseModel


class DistrictCommunity(BaseModel):
    """On a district's server: a community that pushes its figures, known by the hash of its token."""

    name = peewee.TextField(unique=True)
    token_hash = peewee.TextField(unique=True)  # sha256 of the token, hex; the token itself is never stored
    created_at = peewee.DateTimeField(default=utcnow)
    revoked_at = peewee.DateTimeField(null=True)


class DistrictReport(BaseModel):
    """On a district's server: one community's push for one day (a re-push replaces it), with its totals."""

    community = peewee.ForeignKeyField(DistrictCommunity, backref="reports", on_delete="CASCADE")
    day = peewee.DateField()
    as_of = peewee.DateTimeField()  # when the community counted them (UTC)
    received_at = peewee.DateTimeField(default=utcnow)
    totals = peewee.TextField(default="{}")  # JSON: figure -> count, summed over the grids

    class Meta:
        indexes = ((("community", "day"), True), (("day", "community"), False))


class DistrictGridFigures(BaseModel):
    """On a district's server: one grid's figures in one report."""

    report = peewee.ForeignKeyField(DistrictReport, backref="grids", on_delete="CASCADE")
    grid = peewee.TextField()
    figures = peewee.TextField(default="{}")  # JSON: figure -> count

    class Meta:
        indexes = ((("report", "grid"), True),)


class DistrictPush(BaseModel):
    """On a community's laptop: a day whose figures are to go (or went) to the district."""

    day = peewee.DateField(unique=True)
    state = peewee.TextField(default="pending", index=True)  # pending, pushed, refused
    attempts = peewee.IntegerField(default=0)
    next_try_at = peewee.DateTimeField(null=True)
    pushed_at = peewee.DateTimeField(null=True)
    last_error = peewee.TextField(default="")
    updated_at = peewee.DateTimeField(default=utcnow)
