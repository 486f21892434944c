"""Canonical tags, languages, health statuses and monitoring categories, and the many ways people write them."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import data
from kit.errors import ValidationError
from kit.models import HEALTH_STATUSES, MONITORING_CATEGORIES

_TAG_SPLIT = re.compile(r"[,;，；、/|]+")
_FREE_TAG = re.compile(r"[\W_]+")  # free tags are written lower-case with dashes: "needs_lift" -> "needs-lift"


def fold(text: str) -> str:
    """NFKC, trimmed, lower-case, inner whitespace collapsed: how vocabulary words are compared."""
    if not text:  # most cells of a register are empty: an import folds a few per row
        return ""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@lru_cache(maxsize=1)
def _tables() -> dict[str, dict[str, str]]:
    raw = data.read_toml("vocabulary.toml")
    tables: dict[str, dict[str, str]] = {}
    for table, canon in raw.items():
        lookup: dict[str, str] = {}
        for value, aliases in canon.items():
            lookup[fold(value)] = value
            lookup[fold(value.replace("_", " "))] = value
            for alias in aliases:
                lookup[fold(alias)] = value
        tables[table] = lookup
    return tables


def known_tags() -> list[str]:
    return sorted(set(_tables()["tags"].values()))


def normalize_tag(raw: str) -> str:
    folded = fold(raw)
    known = _tables()["tags"].get(folded)
    if known:
        return known
    return _FREE_TAG.sub("-", folded).strip("-")


def parse_tags(raw: str | list[str] | None) -> list[str]:
    """'独居老人、慢性病' or ['elderly alone'] -> ['elderly-alone', 'chronic'], in order, without repeats."""
    if raw is None:
        return []
    pieces = raw if isinstance(raw, list) else _TAG_SPLIT.split(str(raw))
    tags: list[str] = []
    for piece in pieces:
        tag = normalize_tag(piece)
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _lookup(table: str, raw: str | None, allowed: tuple[str, ...], refusal: str, field: str) -> str | None:
    if raw is None:
        return None
    value = _tables()[table].get(fold(str(raw)))
    if value is None or value not in allowed:
        raise ValidationError(refusal, field=field, raw=raw, choices=", ".join(allowed))
    return value


def normalize_language(raw: str | None, allowed: list[str] | None = None) -> str | None:
    """'中文' -> 'zh'. None or empty stays None (the community's default applies)."""
    if raw is None or not str(raw).strip():
        return None
    value = _tables()["languages"].get(fold(str(raw)))
    if value is None:
        value = fold(str(raw))
        if not re.fullmatch(r"[a-z]{2,3}", value):
            raise ValidationError("vocabulary.not_a_language", field="language", raw=raw)
    if allowed and value not in allowed:
        raise ValidationError("vocabulary.language_not_used", field="language", value=value, allowed=", ".join(allowed))
    return value


def normalize_status(raw: str | None) -> str | None:
    if raw is None or not str(raw).strip():
        return None
    return _lookup("statuses", raw, HEALTH_STATUSES, "vocabulary.not_a_status", "status")


def normalize_monitoring(raw: str | None) -> str | None:
    if raw is None:
        return None
    return _lookup("monitoring", raw, MONITORING_CATEGORIES, "vocabulary.not_a_monitoring", "monitoring")
