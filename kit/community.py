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
        raise ValidationError("Give the community a name, e.g. --name '幸福里社区'.", field="name")
    region = region.strip().upper()
    if not is_valid_region(region):
        raise ValidationError(f"'{region}' is not a phone region; use a two-letter code such as CN.", field="region")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"'{timezone}' is not a time zone; use a name such as Asia/Shanghai.", field="timezone"
        ) from None
    codes: list[str] = []
    for raw in languages or ["zh"]:
        code = normalize_language(raw)
        if code and code not in codes:
            codes.append(code)
    if not codes:
        raise ValidationError("Name at least one language, e.g. zh.", field="languages")
    with transaction():
        existing = Community.select().first()
        if existing is not None:
            raise Conflict(f"This database already belongs to '{existing.name}'. Use another --db for a new one.")
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
