"""The audit trail: who did what, when, to which record. Services call `record` inside their transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kit.bulk import insert_rows
from kit.db import transaction
from kit.models import AuditEntry


def record(actor: str, action: str, entity: str, entity_id: int | None = None, **detail: Any) -> AuditEntry:
    return AuditEntry.create(actor=actor, action=action, entity=entity, entity_id=entity_id, detail=_detail(detail))


def record_many(entries: Sequence[tuple[str, str, str, int | None, dict[str, Any]]]) -> None:
    """`record` for many entries at once, each (actor, action, entity, entity_id, detail), with one insert."""
    fields = [AuditEntry.actor, AuditEntry.action, AuditEntry.entity, AuditEntry.entity_id, AuditEntry.detail]
    rows = [(actor, action, entity, entity_id, _detail(detail)) for actor, action, entity, entity_id, detail in entries]
    insert_rows(AuditEntry, fields, rows)


def _detail(detail: dict[str, Any]) -> str:
    return json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True) if detail else ""


def recent(limit: int = 50, entity: str | None = None, entity_id: int | None = None) -> list[AuditEntry]:
    query = AuditEntry.select().order_by(AuditEntry.id.desc()).limit(limit)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    return list(query)


def record_export(actor: str, what: str, destination: str, **detail: Any) -> AuditEntry:
    """Personal data leaves the kit (an export, a printed sheet, a backup): who, what, to where, with which filters.

    Recorded as the export starts, so one that fails half-way is in the trail too."""
    with transaction():
        return record(actor, "export", what, None, to=destination, **detail)


def entries(*, since: datetime | None = None, actor: str | None = None, limit: int | None = 200) -> list[AuditEntry]:
    """The trail, oldest first: entries at or after `since` (naive UTC), by `actor`, the latest `limit` of them."""
    query = AuditEntry.select().order_by(AuditEntry.id.desc())
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if limit is not None:
        query = query.limit(limit)
    return list(reversed(list(query)))


def detail_of(entry: AuditEntry) -> dict[str, Any]:
    """An entry's detail as a dict (empty when there is none or it is not JSON)."""
    if not entry.detail:
        return {}
    try:
        value = json.loads(entry.detail)
    except ValueError:
        return {"text": entry.detail}
    return value if isinstance(value, dict) else {"value": value}
