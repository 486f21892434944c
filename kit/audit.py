"""The audit trail: who did what, when, to which record. Services call `record` inside their transaction."""

from __future__ import annotations

import json
from typing import Any

from kit.models import AuditEntry


def record(actor: str, action: str, entity: str, entity_id: int | None = None, **detail: Any) -> AuditEntry:
    return AuditEntry.create(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail=json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True) if detail else "",
    )


def recent(limit: int = 50, entity: str | None = None, entity_id: int | None = None) -> list[AuditEntry]:
    query = AuditEntry.select().order_by(AuditEntry.id.desc()).limit(limit)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    return list(query)
