"""Alerts: something an operator must look at now. Raised once per key, acknowledged by a person."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from kit import audit
from kit.bulk import insert_rows
from kit.clock import utcnow
from kit.db import transaction
from kit.errors import ConfigError, NotFound
from kit.models import Alert, Community
from kit.people import Person
from kit.templates import FALLBACK, render, word

SEVERITIES = ("info", "warning", "urgent")


def raise_alert(
    kind: str,
    text: str,
    *,
    key: str | None = None,
    severity: str = "warning",
    resident_id: int | None = None,
    task_id: int | None = None,
) -> Alert:
    """Raise an alert; with `key`, a second raise of the same problem returns the first alert unchanged."""
    with transaction():
        if key is not None:
            existing = Alert.get_or_none(Alert.key == key)
            if existing is not None:
                return existing
        return Alert.create(
            kind=kind, text=text, key=key, severity=severity, resident=resident_id, task=task_id, created_at=utcnow()
        )


_read_language: ContextVar[str | None] = ContextVar("alert_language", default=None)


def _operators_language() -> str:
    chosen = _read_language.get()
    if chosen is not None:
        return chosen
    community = Community.select().first()
    return community.language if community is not None else FALLBACK


@contextmanager
def language_read_once() -> Iterator[None]:
    """Alerts written together (a batch of replies) read the community's language once, not once per word."""
    token = _read_language.set(_operators_language())
    try:
        yield
    finally:
        _read_language.reset(token)


def alert_text(key: str, **values: object) -> str:
    """The alert text `key` (data/templates, `alert_*`) in the community's first language: alerts are read by the
    community's operators, whatever language the resident they are about speaks."""
    return render(key, _operators_language(), **values)


def alert_who(person: Person) -> str:
    """A resident as an alert names them, in the community's language: name (address, phone)."""
    parts = [person.address, person.phone or alert_text("alert_no_phone")]
    return alert_text("alert_who", name=person.name, where=", ".join(p for p in parts if p))


@dataclass(frozen=True)
class NewAlert:
    """An alert for `raise_alerts`."""

    kind: str
    text: str
    key: str
    severity: str = "warning"
    resident_id: int | None = None
    task_id: int | None = None


def raise_alerts(alerts: Sequence[NewAlert]) -> set[str]:
    """`raise_alert` for many alerts at once, in the caller's transaction, with one query and one insert: a key
    raised before (or twice among `alerts`) is raised once. Returns the keys raised now."""
    raised_before = {key for (key,) in Alert.select(Alert.key).where(Alert.key.in_([a.key for a in alerts])).tuples()}
    new: dict[str, NewAlert] = {}
    for alert in alerts:
        if alert.key not in raised_before:
            new.setdefault(alert.key, alert)
    fields = [Alert.kind, Alert.text, Alert.key, Alert.severity, Alert.resident, Alert.task, Alert.created_at]
    now = utcnow()
    rows = [(a.kind, a.text, a.key, a.severity, a.resident_id, a.task_id, now) for a in new.values()]
    insert_rows(Alert, fields, rows, skip_conflicts=True)
    return set(new)


def alert_word(key: str) -> str:
    """A word from the texts' [words] table (a task kind, a symptom) in the community's first language, for alerts."""
    try:
        return word(key, _operators_language())
    except ConfigError:
        return key  # a kind without a word shows as it is stored


def alert_message_error(
    message_id: int, *, direction: str, peer: str, error: str, body: str = "", resident_id: int | None = None
) -> Alert:
    """Raise the alert for a message that ended in error: an inbound one that could not be acted on (urgent: it may
    be a call for help nobody will see otherwise) or an outbound one that failed for good. Once per message, in the
    community's first language (the texts are in data/templates, `alert_*`)."""
    inbound = direction == "in"
    values = {"id": message_id, "peer": peer, "error": error[:300], "body": body[:200]}
    return raise_alert(
        "inbound_error" if inbound else "send_failed",
        alert_text("alert_inbound_error" if inbound else "alert_send_failed", **values),
        key=f"message_error:{message_id}",
        severity="urgent" if inbound else "warning",
        resident_id=resident_id,
    )


def open_alerts(limit: int = 100) -> list[Alert]:
    """Unacknowledged alerts, urgent first, newest first."""
    order = {"urgent": 0, "warning": 1, "info": 2}
    rows = list(Alert.select().where(Alert.acknowledged_at.is_null()).order_by(Alert.created_at.desc()).limit(limit))
    return sorted(rows, key=lambda a: order.get(a.severity, 3))


def count_open() -> int:
    return int(Alert.select().where(Alert.acknowledged_at.is_null()).count())


def acknowledge(alert_id: int, *, actor: str = "cli") -> Alert:
    with transaction():
        alert = Alert.get_or_none(Alert.id == alert_id)
        if alert is None:
            raise NotFound("alerts.not_found", id=alert_id)
        if alert.acknowledged_at is None:
            alert.acknowledged_at = utcnow()
            alert.acknowledged_by = actor
            alert.save()
            audit.record(actor, "acknowledge", "alert", alert.id, kind=alert.kind)
    return alert
