"""The community's own settings: name, default phone region, time zone, languages."""

from __future__ import annotations

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


def get_community() -> Community:
    community: Community | None = Community.select().first()
    if community is None:
        raise NotInitialized("community.none_yet")
    return community


def community_zone() -> ZoneInfo:
    return ZoneInfo(get_community().timezone)
