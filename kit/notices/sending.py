"""Sending a notice: one outbox row per recipient, queued in chunks, and never twice.

The `Notice` row is written first, marked unfinished by a JobRun until its messages are queued; the dispatcher
sends them. Residents tagged cannot-read get the notice as a call whatever the channel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import peewee

from kit import audit
from kit.audience import Audience
from kit.bulk import CHUNK
from kit.clock import utcnow
from kit.config import DispatchSettings, Settings
from kit.db import transaction
from kit.errors import ValidationError
from kit.models import JobRun, Message, Notice, Resident
from kit.notices.history import fingerprint_of, refuse_repeat
from kit.notices.preview import checked_texts, dispatch_of, preview_of
from kit.notices.recipients import CANNOT_READ, Recipients, count_recipients, messaged, tagged_with
from kit.notices.templated import TemplatedNotice, refuse_free_text
from kit.outbox import PRIORITY_NOTICE
from kit.segments import analyze

NOTICE_QUEUING = "notice-queuing"  # a JobRun (key: the notice's id) while its messages are being queued


def _queue(
    notice_id: int, audience: Audience, channel: str, body: str, bodies: dict[str, str], found: Recipients,
    params: str | None = None,
) -> int:  # fmt: skip
    """Queue the notice for everybody it reaches with INSERT ... SELECT: the database makes the rows, with no round
    trip per recipient, `CHUNK` residents per transaction. On the SMS channel one statement makes both the SMS rows
    and the calls for those who cannot read; "both" takes two. Keys are notice:{id}:{resident} for an SMS and
    notice:{id}:{resident}:voice for a call; a key already queued is left alone, so a chunk written twice (a
    sending completed after a crash) adds nothing."""
    reachable = messaged(audience)  # one message per phone
    ids = [rid for (rid,) in Resident.select(Resident.id).where(reachable).order_by(Resident.id).tuples()]
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        who = reachable & Resident.id.between(chunk[0], chunk[-1])
        with transaction():
            if channel == "sms":
                _insert(notice_id, who, Resident.id.in_(tagged_with(CANNOT_READ)), body, bodies, params)
            else:
                if channel == "both":
                    _insert(notice_id, who, False, body, bodies, params)
                _insert(notice_id, who, True, body, bodies)
    return sum(found.sms.values()) + sum(found.voice.values())


def _by_voice(by_voice: bool | peewee.ColumnBase, call: Any, text: Any) -> Any:
    """The value for a call or for an SMS: a constant when every row is one or the other, else a CASE per row."""
    if isinstance(by_voice, bool):
        return call if by_voice else text
    return peewee.Case(None, [(by_voice, call)], text)


def _insert(
    notice_id: int, who: peewee.ColumnBase, by_voice: bool | peewee.ColumnBase, body: str, bodies: dict[str, str],
    params: str | None = None,
) -> None:  # fmt: skip
    now = utcnow()
    text: Any = body
    segments: Any = analyze(body).segments
    if bodies:
        text = peewee.Case(Resident.language, list(bodies.items()), body)
        segments = peewee.Case(Resident.language, [(code, analyze(v).segments) for code, v in bodies.items()], segments)
    key = peewee.Value(f"notice:{notice_id}:").concat(peewee.Cast(Resident.id, "TEXT"))
    values: dict[peewee.Field, Any] = {
        Message.direction: "out",
        Message.channel: _by_voice(by_voice, "voice", "sms"),
        Message.peer: Resident.phone,
        Message.body: text,
        Message.language: Resident.language,
        Message.kind: _by_voice(by_voice, "voice_notice", "notice"),
        Message.params: _by_voice(by_voice, None, params),  # the approved template's kind and values (SMS only)
        Message.status: "queued",
        Message.key: _by_voice(by_voice, key.concat(":voice"), key),
        Message.resident: Resident.id,
        Message.notice_id: notice_id,
        Message.segments: _by_voice(by_voice, 0, segments),  # a call is not counted in SMS segments
        Message.priority: PRIORITY_NOTICE,
        Message.not_before: now,
        Message.created_at: now,
        Message.updated_at: now,
    }
    for column in Message._meta.sorted_fields:  # the rest: the model's own defaults ("" for texts, 0 for counts)
        if column not in values and column is not Message._meta.primary_key and not column.null:
            values[column] = column.default() if callable(column.default) else column.default
    selected = [
        value if isinstance(value, peewee.Node) else peewee.Value(column.db_value(value), unpack=False)
        for column, value in values.items()
    ]
    query = Resident.select(*selected).where(who).order_by(Resident.id)
    Message.insert_from(query, list(values)).on_conflict_ignore().execute()


# --- sending ----------------------------------------------------------------------------------------------------


def send_notice(
    body: str,
    audience: Audience | None = None,
    *,
    channel: str = "sms",
    bodies: Mapping[str, str] | None = None,
    settings: Settings | DispatchSettings | None = None,
    actor: str = "cli",
    confirm: bool = False,
    template: TemplatedNotice | None = None,
) -> Notice:
    """Queue the notice for everybody in `audience`: one message per recipient, in their language when `bodies`
    has a translation for it. Refuses without `confirm`, and refuses the same notice a second time (Conflict).

    The messages are queued `CHUNK` recipients per transaction (`_queue`), so a notice to a whole district never
    holds the write lock for long. While they are being queued a JobRun marks the notice unfinished; sending the
    same notice again after a crash completes it (the keys keep anybody from getting it twice) instead of being
    refused. With `template` (kit.notices.templated) its texts are sent and its kind and values kept for a template
    gateway; in template-only mode an SMS notice without one is refused."""
    if template is None:
        refuse_free_text(channel)
    else:
        body, bodies = template.body, template.bodies
    text, translations, channel = checked_texts(body, bodies, channel)
    audience = audience or Audience()
    fingerprint = fingerprint_of(text, translations, audience, channel)
    with transaction():
        unfinished = _unfinished(fingerprint)
        if unfinished is None:
            refuse_repeat(fingerprint)
        if not confirm:
            raise ValidationError("notices.not_confirmed")
        found = count_recipients(audience, channel)
        notice = unfinished or _create(text, translations, audience, channel, fingerprint, found, settings, actor)
    stored = template.stored if template is not None else None
    return _queue_and_audit(notice, audience, channel, text, translations, found, actor, stored)


def _create(
    text: str, translations: dict[str, str], audience: Audience, channel: str, fingerprint: str, found: Recipients,
    settings: Settings | DispatchSettings | None, actor: str,
) -> Notice:  # fmt: skip
    """The Notice row, marked unfinished until its messages are queued (the caller holds the transaction)."""
    if found.people == 0:
        raise ValidationError(
            "notices.nobody_reachable",
            audience=audience.describe,  # read in the language of whoever reads the error
            no_phone=f"{found.no_phone:,}",
            opted_out=f"{found.opted_out:,}",
        )
    preview = preview_of(text, translations, audience, channel, found, dispatch_of(settings))
    try:
        with transaction():
            notice = Notice.create(
                body=text,
                audience=audience.as_json(),
                channel=channel,
                fingerprint=fingerprint,
                recipients=preview.recipients,
                segments=preview.total_segments,
                cost=preview.cost,
                created_by=actor,
                created_at=utcnow(),
            )
    except peewee.IntegrityError:  # another operator sent the same notice a moment ago
        refuse_repeat(fingerprint)
        raise
    JobRun.create(job=NOTICE_QUEUING, key=str(notice.id), at=utcnow())
    return notice


def _unfinished(fingerprint: str) -> Notice | None:
    """The notice with this fingerprint if its messages were not all queued (the sending stopped half-way)."""
    queuing = JobRun.select(JobRun.key).where(JobRun.job == NOTICE_QUEUING)
    return Notice.get_or_none((Notice.fingerprint == fingerprint) & (peewee.Cast(Notice.id, "TEXT") << queuing))


def _queue_and_audit(
    notice: Notice, audience: Audience, channel: str, text: str, translations: dict[str, str], found: Recipients,
    actor: str, params: str | None = None,
) -> Notice:  # fmt: skip
    """Queue the notice's messages in chunks, then mark it finished and audit the sending (once)."""
    queued = _queue(notice.id, audience, channel, text, translations, found, params)
    with transaction():
        finished = JobRun.delete().where((JobRun.job == NOTICE_QUEUING) & (JobRun.key == str(notice.id))).execute()
        if finished:  # not already finished by another process completing the same notice
            audit.record(
                actor, "send", "notice", notice.id, channel=channel, audience=audience.as_dict(),
                recipients=notice.recipients, queued=queued, segments=notice.segments, cost=notice.cost,
                translations=translations,
            )  # fmt: skip
    return notice
