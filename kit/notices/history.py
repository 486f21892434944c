"""The notices sent: their record, the fingerprint that keeps one from going out twice, and how their messages stand.

A notice's fingerprint is the normalised text (and translations), the audience and the channel: the same notice
written with other spacing, case or full-width characters is still the same notice."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee

from kit import ui_words
from kit.audience import Audience
from kit.community import community_zone
from kit.errors import Conflict, NotFound
from kit.jsonable import record_dict
from kit.localtime import to_local
from kit.models import Message, Notice


@dataclass(frozen=True)
class NoticeSummary:
    """A notice as it was sent."""

    id: int
    body: str
    audience: Audience
    channel: str
    recipients: int
    segments: int
    cost: float
    created_by: str
    created_at: datetime  # naive UTC

    @property
    def local_date(self) -> str:
        return to_local(self.created_at, community_zone()).date().isoformat()

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self)


def normalised(text: str) -> str:
    """The text as compared for repeats: NFKC (full-width folded), case folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def fingerprint_of(body: str, bodies: Mapping[str, str], audience: Audience, channel: str) -> str:
    key = {"body": normalised(body), "audience": audience.as_dict(), "channel": channel}
    if bodies:
        key["bodies"] = {language: normalised(text) for language, text in sorted(bodies.items())}
    encoded = json.dumps(key, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def sent_before(fingerprint: str) -> NoticeSummary | None:
    row = Notice.get_or_none(Notice.fingerprint == fingerprint)
    return summary_of(row) if row is not None else None


def refuse_repeat(fingerprint: str) -> None:
    earlier = sent_before(fingerprint)
    if earlier is not None:
        raise Conflict("notices.already_sent", title="notice_already_sent", **sent_values(earlier))


def sent_values(earlier: NoticeSummary) -> dict[str, object]:
    """The values of the words that say when and to how many people a notice already went ("4 people" or "4 人",
    a function of the language)."""

    def people(language: str) -> str:
        return ui_words.text_count(language, "notice_preview.people", earlier.recipients)

    return {"date": earlier.local_date, "people": people, "id": earlier.id}


# --- following a notice -----------------------------------------------------------------------------------------


def summary_of(row: Notice) -> NoticeSummary:
    return NoticeSummary(
        id=row.id,
        body=row.body,
        audience=Audience.from_json(row.audience),
        channel=row.channel,
        recipients=row.recipients,
        segments=row.segments,
        cost=row.cost,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def get_notice(notice_id: int) -> NoticeSummary:
    row = Notice.get_or_none(Notice.id == notice_id)
    if row is None:
        raise NotFound("notices.no_such_notice", id=notice_id)
    return summary_of(row)


def list_notices(limit: int = 50) -> list[NoticeSummary]:
    """The latest notices, newest first."""
    return [summary_of(row) for row in Notice.select().order_by(Notice.id.desc()).limit(limit)]


def delivery_counts(notice_id: int, channel: str | None = None) -> dict[str, int]:
    """How the notice's messages stand: {'queued': 10, 'delivered': 1180, 'skipped': 3, ...}."""
    query = Message.select(Message.status, peewee.fn.COUNT(Message.id)).where(
        (Message.direction == "out") & (Message.notice_id == notice_id)
    )
    if channel is not None:
        query = query.where(Message.channel == channel)
    return {status: int(count) for status, count in query.group_by(Message.status).order_by(Message.status).tuples()}
