"""The community's own settings: name, default phone region, time zone, languages."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kit import audit
from kit.db import transaction
from kit.errors import Conflict, NotInitialized, ValidationError
from kit.models import Community
from kit.phones import is_valid_region
from kit.vocabulary import normalize_language


def init_community(
    name: str, region: str, timezone: str, languages: list[str] | None = None, *, actor: str = "cli"
) -> Community:
    """Create the community; a database looks after exactly one."""
    name = name.strip()
    if not name:
        raise ValidationError("community.no_name", field="name")
    region = region.strip().upper()
    if not is_valid_region(region):
        raise ValidationError("community.bad_region", field="region", region=region)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("community.bad_timezone", field="timezone", timezone=timezone) from None
    codes: list[str] = []
    for raw in languages or ["zh"]:
        code = normalize_language(raw)
        if code and code not in codes:
            codes.append(code)
    if not codes:
        raise ValidationError("community.no_language", field="languages")
    with transaction():
        existing = Community.select().first()
        if existing is not None:
            raise Conflict("community.already", name=existing.name)
        community = Community.create(name=name, region=region, timezone=timezone, languages=",".join(codes))
        audit.record(actor, "init", "community", community.id, name=name, region=region, timezone=timezone)
    return community


def languages_at(path: str) -> list[str]:
    """The languages of the community in the SQLite file at `path`, read without opening it for Linli (no migration,
    no lock): the CLI's help speaks them before any command runs. Empty when there is no such file, no community yet
    or the file cannot be read (a PostgreSQL database is not peeked at)."""
    file = Path(path).expanduser()
    if path == ":memory:" or "://" in path or not file.is_file():
        return []
    try:
        with closing(sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)) as connection:
            row = connection.execute("SELECT languages FROM community LIMIT 1").fetchone()
    except sqlite3.Error:
        return []
    return [code for code in str(row[0] if row else "").split(",") if code]


def get_community() -> Community:
    community: Community | None = Community.select().first()
    if community is None:
        raise NotInitialized("community.none_yet")
    return community


def community_zone() -> ZoneInfo:
    return ZoneInfo(get_community().timezone)
