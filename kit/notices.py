"""Notices: broadcasts to an audience by SMS, by voice, or both, previewed with their cost and sent only once.

An organizer writes the text, picks the audience (grids, tags, health statuses, monitoring categories, languages;
nothing picked means everybody) and sees the preview: how many people it reaches and who is left out, the SMS
encoding and segments, the cost, and the characters that needlessly turn a cheap GSM-7 message into UCS-2.
Sending queues one outbox row per recipient in the same transaction as the `Notice` row; the dispatcher sends them.

A notice is never sent twice: its fingerprint (the normalised text, the audience and the channel) is unique, and a
second send is refused with the date and size of the first. Residents tagged cannot-read get the notice as a call
whatever the channel, since a text they cannot read reaches nobody.
"""

from __future__ import annotations

import hashlib
import json
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import peewee

from kit import audit
from kit.bulk import CHUNK
from kit.capacity_today import NoticeTiming, notice_out_at
from kit.clock import utcnow
from kit.community import community_zone
from kit.config import DispatchSettings, Settings
from kit.db import transaction
from kit.errors import Conflict, NotFound, ValidationError
from kit.localtime import to_local
from kit.models import Grid, JobRun, Message, Notice, OptOut, Resident, ResidentTag
from kit.outbox import PRIORITY_NOTICE
from kit.retention import still_here
from kit.segments import SegmentInfo, analyze, gsm_suggestions
from kit.vocabulary import normalize_language, normalize_monitoring, normalize_status, parse_tags

CHANNELS = ("sms", "voice", "both")
MAX_BODY = 1_600  # what a provider accepts in one message (Twilio: 1,600 characters)
CANNOT_READ = "cannot-read"
NOTICE_QUEUING = "notice-queuing"  # a JobRun (key: the notice's id) while its messages are being queued

# A rough speaking rate for the call-cost estimate: Chinese characters and other characters per second, plus the
# greeting. Calls are billed per started minute.
_CJK_PER_SECOND = 4.0
_OTHER_PER_SECOND = 14.0
_GREETING_SECONDS = 5.0


# --- the audience ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """Who a notice goes to. Values within one field are alternatives (grid A or grid B); fields narrow each
    other (grid A and tag elderly-alone). An empty audience is everybody."""

    grids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    monitoring: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        *,
        grids: Iterable[str] = (),
        tags: Iterable[str] = (),
        statuses: Iterable[str] = (),
        monitoring: Iterable[str] = (),
        languages: Iterable[str] = (),
    ) -> Audience:
        """An audience from values as people type them ('独居老人', 'RED', '居家隔离', '中文'), normalised and
        sorted so that the same audience always has the same JSON. Unknown statuses and categories are refused."""
        return cls(
            grids=_sorted(" ".join(g.split()) for g in grids),
            tags=_sorted(tag for raw in tags for tag in parse_tags(raw)),
            statuses=_sorted(_required(normalize_status(s), s, "status") for s in statuses),
            monitoring=_sorted(_required(normalize_monitoring(m), m, "monitoring") for m in monitoring),
            languages=_sorted(_required(normalize_language(code), code, "language") for code in languages),
        )

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Audience:
        unknown = set(raw) - {"grids", "tags", "statuses", "monitoring", "languages"}
        if unknown:
            raise ValidationError(f"Unknown audience field(s): {', '.join(sorted(unknown))}.", field="audience")
        return cls.of(**{name: [values] if isinstance(values, str) else list(values) for name, values in raw.items()})

    @classmethod
    def from_json(cls, text: str) -> Audience:
        """The audience as stored with a notice (already normalised: taken as it is)."""
        raw = json.loads(text or "{}")
        return cls(**{name: tuple(values) for name, values in raw.items()})

    def as_dict(self) -> dict[str, list[str]]:
        """Only the fields that narrow the audience: everybody is {}."""
        return {
            name: list(values)
            for name, values in (
                ("grids", self.grids),
                ("tags", self.tags),
                ("statuses", self.statuses),
                ("monitoring", self.monitoring),
                ("languages", self.languages),
            )
            if values
        }

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @property
    def is_everybody(self) -> bool:
        return not self.as_dict()

    def describe(self) -> str:
        """'everybody', or 'grid 第1网格 or 第2网格; tag elderly-alone; status red'."""
        if self.is_everybody:
            return "everybody"
        words = {
            "grids": "grid",
            "tags": "tag",
            "statuses": "status",
            "monitoring": "monitoring",
            "languages": "language",
        }
        return "; ".join(f"{words[name]} {' or '.join(values)}" for name, values in self.as_dict().items())


def _sorted(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({value for value in values if value}))


def _required(value: str | None, raw: str, what: str) -> str:
    if value is None:
        raise ValidationError(f"Give a {what}, not an empty value.", field=what)
    return value


# --- choosing the recipients ----------------------------------------------------------------------------------


@dataclass
class _Recipients:
    """The audience counted by how each person is reached, per language."""

    sms: dict[str, int] = field(default_factory=dict)  # language -> residents who get the SMS
    voice: dict[str, int] = field(default_factory=dict)  # language -> residents who get the call
    in_audience: int = 0
    no_phone: int = 0
    opted_out: int = 0
    cannot_read: int = 0  # reached by a call instead of an SMS because they are tagged cannot-read
    people: int = 0  # reached one way or both


def _audience_filter(audience: Audience) -> peewee.ColumnBase:
    """The SQL condition that picks the residents of `audience` (TRUE for everybody)."""
    condition: peewee.ColumnBase = still_here()  # nobody who moved out
    if audience.grids:
        known = dict(Grid.select(Grid.name, Grid.id).where(Grid.name.in_(list(audience.grids))).tuples())
        missing = [name for name in audience.grids if name not in known]
        if missing:
            grids = [name for (name,) in Grid.select(Grid.name).order_by(Grid.name).limit(20).tuples()]
            raise ValidationError(
                f"No grid named {', '.join(missing)}; grids are: {', '.join(grids) or 'none yet'}.", field="grid"
            )
        condition &= Resident.grid.in_(list(known.values()))
    if audience.tags:
        condition &= Resident.id.in_(_tagged(*audience.tags))
    if audience.statuses:
        condition &= Resident.status.in_(list(audience.statuses))
    if audience.monitoring:
        condition &= Resident.monitoring.in_(list(audience.monitoring))
    if audience.languages:
        condition &= Resident.language.in_(list(audience.languages))
    return condition


def _tagged(*tags: str) -> peewee.ModelSelect:
    return ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag.in_(list(tags)))


def _opted_out() -> peewee.ColumnBase:
    return (Resident.opted_out == True) | Resident.phone.in_(OptOut.select(OptOut.phone))  # noqa: E712


def _flag(condition: peewee.ColumnBase) -> peewee.ColumnBase:
    return peewee.Case(None, [(condition, 1)], 0)


def _recipients(audience: Audience, channel: str) -> _Recipients:
    """Who the notice reaches and how, counted by one grouped query: a handful of rows whatever the size."""
    # Grouped by alias: PostgreSQL would not see the flags' bound parameters in GROUP BY as the same expressions.
    no_phone = _flag(Resident.phone.is_null()).alias("flag_no_phone")
    opted_out = _flag(_opted_out()).alias("flag_opted_out")
    cannot_read = _flag(Resident.id.in_(_tagged(CANNOT_READ))).alias("flag_cannot_read")
    query = (
        Resident.select(Resident.language, no_phone, opted_out, cannot_read, peewee.fn.COUNT(Resident.id))
        .where(_audience_filter(audience))
        .group_by(Resident.language, no_phone, opted_out, cannot_read)
    )
    found = _Recipients()
    for language, lacks_phone, said_stop, cannot, count in query.tuples():
        found.in_audience += count
        if lacks_phone:
            found.no_phone += count
        elif said_stop:
            found.opted_out += count
        else:
            found.people += count
            by_voice = channel != "sms" or bool(cannot)
            by_sms = channel == "both" or (channel == "sms" and not cannot)
            if by_voice:
                found.voice[language] = found.voice.get(language, 0) + count
            if by_sms:
                found.sms[language] = found.sms.get(language, 0) + count
            if channel == "sms" and cannot:
                found.cannot_read += count
    return found


def _queue(
    notice_id: int, audience: Audience, channel: str, body: str, bodies: dict[str, str], found: _Recipients
) -> int:
    """Queue the notice for everybody it reaches with INSERT ... SELECT: the database makes the rows, with no round
    trip per recipient, `CHUNK` residents per transaction. On the SMS channel one statement makes both the SMS rows
    and the calls for those who cannot read; "both" takes two. Keys are notice:{id}:{resident} for an SMS and
    notice:{id}:{resident}:voice for a call; a key already queued is left alone, so a chunk written twice (a
    sending completed after a crash) adds nothing."""
    reachable = _audience_filter(audience) & Resident.phone.is_null(False) & ~_opted_out()
    ids = [rid for (rid,) in Resident.select(Resident.id).where(reachable).order_by(Resident.id).tuples()]
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        who = reachable & Resident.id.between(chunk[0], chunk[-1])
        with transaction():
            if channel == "sms":
                _insert(notice_id, who, Resident.id.in_(_tagged(CANNOT_READ)), body, bodies)
            else:
                if channel == "both":
                    _insert(notice_id, who, False, body, bodies)
                _insert(notice_id, who, True, body, bodies)
    return sum(found.sms.values()) + sum(found.voice.values())


def _by_voice(by_voice: bool | peewee.ColumnBase, call: Any, text: Any) -> Any:
    """The value for a call or for an SMS: a constant when every row is one or the other, else a CASE per row."""
    if isinstance(by_voice, bool):
        return call if by_voice else text
    return peewee.Case(None, [(by_voice, call)], text)


def _insert(
    notice_id: int, who: peewee.ColumnBase, by_voice: bool | peewee.ColumnBase, body: str, bodies: dict[str, str]
) -> None:
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


# --- the preview ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BodyVersion:
    """One text of the notice as SMS: the organizer's, or a translation for the residents of one language."""

    language: str  # "" for the organizer's text (everybody without a translation)
    body: str
    sms_recipients: int
    info: SegmentInfo
    suggestions: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "sms_recipients": self.sms_recipients,
            "encoding": self.info.encoding,
            "segments": self.info.segments,
            "non_gsm": list(self.info.non_gsm),
            "suggestions": dict(self.suggestions),
        }


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
        return {
            "id": self.id,
            "body": self.body,
            "audience": self.audience.as_dict(),
            "channel": self.channel,
            "recipients": self.recipients,
            "segments": self.segments,
            "cost": self.cost,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class NoticePreview:
    """What sending a notice would do and cost."""

    body: str
    audience: Audience
    channel: str
    in_audience: int  # residents matching the audience
    recipients: int  # people reached, by SMS, by voice or both
    sms_recipients: int
    voice_recipients: int
    cannot_read: int  # reached by a call instead of an SMS: tagged cannot-read
    no_phone: int
    opted_out: int
    encoding: str  # of the organizer's text
    segments_per_message: int  # of the organizer's text
    total_segments: int
    segment_price: float
    sms_cost: float
    call_minutes: int  # estimated, in all
    minute_price: float
    voice_cost: float
    cost: float
    currency: str
    non_gsm: tuple[str, ...]
    suggestions: dict[str, str]
    versions: tuple[BodyVersion, ...]
    warnings: tuple[str, ...]
    already_sent: NoticeSummary | None = None
    last_out: NoticeTiming | None = None  # when the last recipient gets it (kit.capacity_today), when known

    def as_dict(self) -> dict[str, Any]:
        return {
            "body": self.body,
            "audience": self.audience.as_dict(),
            "audience_description": self.audience.describe(),
            "channel": self.channel,
            "in_audience": self.in_audience,
            "recipients": self.recipients,
            "sms_recipients": self.sms_recipients,
            "voice_recipients": self.voice_recipients,
            "cannot_read": self.cannot_read,
            "excluded": {"no_phone": self.no_phone, "opted_out": self.opted_out},
            "encoding": self.encoding,
            "segments_per_message": self.segments_per_message,
            "total_segments": self.total_segments,
            "segment_price": self.segment_price,
            "sms_cost": self.sms_cost,
            "call_minutes": self.call_minutes,
            "minute_price": self.minute_price,
            "voice_cost": self.voice_cost,
            "cost": self.cost,
            "currency": self.currency,
            "non_gsm": list(self.non_gsm),
            "suggestions": dict(self.suggestions),
            "versions": [version.as_dict() for version in self.versions],
            "warnings": list(self.warnings),
            "already_sent": self.already_sent.as_dict() if self.already_sent else None,
            "last_out_at": self.last_out.at.isoformat() if self.last_out and self.last_out.at else None,
            "queued_ahead": self.last_out.ahead if self.last_out else None,
            "not_today": self.last_out.left_over if self.last_out else None,
        }


def preview_notice(
    body: str,
    audience: Audience | None = None,
    channel: str = "sms",
    *,
    bodies: Mapping[str, str] | None = None,
    settings: Settings | DispatchSettings | None = None,
) -> NoticePreview:
    """Who `body` would reach, how, what it would cost and (given the whole `Settings`) when the last recipient gets
    it, after what is already queued. Changes nothing."""
    text, translations, channel = _checked(body, bodies, channel)
    audience = audience or Audience()
    preview = _preview(text, translations, audience, channel, _recipients(audience, channel), _dispatch(settings))
    if not isinstance(settings, Settings) or preview.recipients == 0:
        return preview
    timings = [
        notice_out_at(settings, way, count)
        for way, count in (("sms", preview.sms_recipients), ("voice", preview.voice_recipients))
        if count
    ]
    last = max(timings, key=lambda timing: (timing.at is None, timing.at or datetime.min, timing.left_over))
    return replace(preview, last_out=last)


def _preview(
    body: str,
    bodies: dict[str, str],
    audience: Audience,
    channel: str,
    found: _Recipients,
    prices: DispatchSettings,
) -> NoticePreview:
    by_language = found.sms
    main = analyze(body)
    main_count = sum(count for language, count in by_language.items() if language not in bodies)
    versions = [BodyVersion("", body, main_count, main, gsm_suggestions(body))]
    for language, text in sorted(bodies.items()):
        versions.append(BodyVersion(language, text, by_language.get(language, 0), analyze(text), gsm_suggestions(text)))
    total_segments = sum(version.info.segments * version.sms_recipients for version in versions)
    minutes = sum(count * _call_minutes(bodies.get(language, body)) for language, count in found.voice.items())
    sms_cost = round(total_segments * prices.sms_segment_price, 2)
    voice_cost = round(minutes * prices.call_minute_price, 2)
    warnings = [warning for version in versions if channel != "voice" for warning in _encoding_warnings(version)]
    if channel != "voice" and main.segments > 1:
        warnings.append(
            f"The text is {main.segments} SMS segments long: each recipient costs {main.segments} messages."
        )
    if found.in_audience == 0:
        warnings.append(f"Nobody matches this audience ({audience.describe()}).")
    elif found.people == 0:
        warnings.append("Nobody in this audience can be reached: no phone, or they opted out.")
    already = _sent_before(_fingerprint(body, bodies, audience, channel))
    if already is not None:
        warnings.append(_already_sent_text(already) + "; it will not be sent again.")
    return NoticePreview(
        body=body,
        audience=audience,
        channel=channel,
        in_audience=found.in_audience,
        recipients=found.people,
        sms_recipients=sum(found.sms.values()),
        voice_recipients=sum(found.voice.values()),
        cannot_read=found.cannot_read,
        no_phone=found.no_phone,
        opted_out=found.opted_out,
        encoding=main.encoding,
        segments_per_message=main.segments,
        total_segments=total_segments,
        segment_price=prices.sms_segment_price,
        sms_cost=sms_cost,
        call_minutes=minutes,
        minute_price=prices.call_minute_price,
        voice_cost=voice_cost,
        cost=round(sms_cost + voice_cost, 2),
        currency=prices.currency,
        non_gsm=main.non_gsm,
        suggestions=versions[0].suggestions,
        versions=tuple(versions),
        warnings=tuple(warnings),
        already_sent=already,
    )


def _call_minutes(body: str) -> int:
    cjk = sum(1 for ch in body if _is_cjk(ch))
    seconds = _GREETING_SECONDS + cjk / _CJK_PER_SECOND + (len(body) - cjk) / _OTHER_PER_SECOND
    return max(1, math.ceil(seconds / 60))


def _is_cjk(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef"


_KINDS = (
    ("\u201csmart quotes\u201d", "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033\u00b4`\u00ab\u00bb"),
    ("long dashes", "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"),
    ("the ellipsis", "\u2026"),
    ("bullets", "\u2022"),
    ("special spaces", "\u00a0\u2002\u2003\u2009\u202f\u3000\t"),
    ("invisible characters", "\u200b\u00ad\ufeff"),
)


def _describe_chars(chars: Sequence[str]) -> str:
    """'“smart quotes” and long dashes': what kinds of look-alike characters these are."""
    kinds = list(
        dict.fromkeys(next((n for n, members in _KINDS if ch in members), "full-width punctuation") for ch in chars)
    )
    return kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]


def _shown(text: str) -> str:
    if text == " ":
        return "a space"
    return text if text.isprintable() and not text.isspace() else repr(text)[1:-1]


def _encoding_warnings(version: BodyVersion) -> list[str]:
    """Warn when characters with a plain stand-in are all that keeps a text out of GSM-7 and make it cost more
    segments, saying how many."""
    info = version.info
    if info.encoding == "GSM-7" or not version.suggestions:
        return []
    fixed = "".join(version.suggestions.get(ch, ch) for ch in version.body)
    fixed_info = analyze(fixed)
    if fixed_info.encoding != "GSM-7" or fixed_info.segments >= info.segments:
        return []  # Chinese text or an emoji (UCS-2 whatever the punctuation), or a text short enough either way
    where = f" in the {version.language} text" if version.language else ""
    replacements = ", ".join(
        f"{_shown(ch)} -> {_shown(stand_in) if stand_in else '(nothing)'}"
        for ch, stand_in in version.suggestions.items()
    )
    return [
        f"{_describe_chars(list(version.suggestions))}{where} force UCS-2: "
        f"{_segments(info.segments)} instead of {fixed_info.segments}. Replace {replacements} to stay in GSM-7."
    ]


def _segments(count: int) -> str:
    return f"{count} segment" if count == 1 else f"{count} segments"


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
) -> Notice:
    """Queue the notice for everybody in `audience`: one message per recipient, in their language when `bodies`
    has a translation for it. Refuses without `confirm`, and refuses the same notice a second time (Conflict).

    The messages are queued `CHUNK` recipients per transaction (`_queue`), so a notice to a whole district never
    holds the write lock for long. While they are being queued a JobRun marks the notice unfinished; sending the
    same notice again after a crash completes it (the keys keep anybody from getting it twice) instead of being
    refused."""
    text, translations, channel = _checked(body, bodies, channel)
    audience = audience or Audience()
    fingerprint = _fingerprint(text, translations, audience, channel)
    with transaction():
        unfinished = _unfinished(fingerprint)
        if unfinished is None:
            _refuse_repeat(fingerprint)
        if not confirm:
            raise ValidationError("A notice is only sent when confirmed: check the preview, then pass --yes.")
        found = _recipients(audience, channel)
        notice = unfinished or _create(text, translations, audience, channel, fingerprint, found, settings, actor)
    return _queue_and_audit(notice, audience, channel, text, translations, found, actor)


def _create(
    text: str, translations: dict[str, str], audience: Audience, channel: str, fingerprint: str, found: _Recipients,
    settings: Settings | DispatchSettings | None, actor: str,
) -> Notice:  # fmt: skip
    """The Notice row, marked unfinished until its messages are queued (the caller holds the transaction)."""
    if found.people == 0:
        raise ValidationError(
            f"Nobody in this audience ({audience.describe()}) can be reached: "
            f"{found.no_phone} without a phone, {found.opted_out} opted out."
        )
    preview = _preview(text, translations, audience, channel, found, _dispatch(settings))
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
        _refuse_repeat(fingerprint)
        raise
    JobRun.create(job=NOTICE_QUEUING, key=str(notice.id), at=utcnow())
    return notice


def _unfinished(fingerprint: str) -> Notice | None:
    """The notice with this fingerprint if its messages were not all queued (the sending stopped half-way)."""
    queuing = JobRun.select(JobRun.key).where(JobRun.job == NOTICE_QUEUING)
    return Notice.get_or_none((Notice.fingerprint == fingerprint) & (peewee.Cast(Notice.id, "TEXT") << queuing))


def _queue_and_audit(
    notice: Notice, audience: Audience, channel: str, text: str, translations: dict[str, str], found: _Recipients,
    actor: str,
) -> Notice:  # fmt: skip
    """Queue the notice's messages in chunks, then mark it finished and audit the sending (once)."""
    queued = _queue(notice.id, audience, channel, text, translations, found)
    with transaction():
        finished = JobRun.delete().where((JobRun.job == NOTICE_QUEUING) & (JobRun.key == str(notice.id))).execute()
        if finished:  # not already finished by another process completing the same notice
            audit.record(
                actor, "send", "notice", notice.id, channel=channel, audience=audience.as_dict(),
                recipients=notice.recipients, queued=queued, segments=notice.segments, cost=notice.cost,
                translations=translations,
            )  # fmt: skip
    return notice


def _checked(body: str, bodies: Mapping[str, str] | None, channel: str) -> tuple[str, dict[str, str], str]:
    if channel not in CHANNELS:
        raise ValidationError(f"'{channel}' is not a channel; use one of: {', '.join(CHANNELS)}.", field="channel")
    text = _checked_body(body, "")
    translations: dict[str, str] = {}
    for raw_language, raw_text in (bodies or {}).items():
        language = normalize_language(raw_language)
        if language is None:
            raise ValidationError("A translation needs a language code such as en.", field="bodies")
        translations[language] = _checked_body(raw_text, language)
    return text, translations, channel


def _checked_body(body: str, language: str) -> str:
    text = (body or "").strip()
    which = f"The {language} text" if language else "The notice"
    if not text:
        raise ValidationError(f"{which} is empty; write what residents should know.", field="body")
    if len(text) > MAX_BODY:
        raise ValidationError(
            f"{which} is {len(text):,} characters; at most {MAX_BODY:,} go out in one message. Shorten it.",
            field="body",
        )
    return text


def normalised(text: str) -> str:
    """The text as compared for repeats: NFKC (full-width folded), case folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _fingerprint(body: str, bodies: Mapping[str, str], audience: Audience, channel: str) -> str:
    key = {"body": normalised(body), "audience": audience.as_dict(), "channel": channel}
    if bodies:
        key["bodies"] = {language: normalised(text) for language, text in sorted(bodies.items())}
    encoded = json.dumps(key, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _sent_before(fingerprint: str) -> NoticeSummary | None:
    row = Notice.get_or_none(Notice.fingerprint == fingerprint)
    return _summary(row) if row is not None else None


def _refuse_repeat(fingerprint: str) -> None:
    earlier = _sent_before(fingerprint)
    if earlier is not None:
        raise Conflict(_already_sent_text(earlier) + ".", title="Notice already sent")


def _already_sent_text(earlier: NoticeSummary) -> str:
    people = "person" if earlier.recipients == 1 else "people"
    sent = f"already sent on {earlier.local_date} to {earlier.recipients:,} {people}"
    return f"This notice was {sent} (notice #{earlier.id})"


def _dispatch(settings: Settings | DispatchSettings | None) -> DispatchSettings:
    if settings is None:
        return DispatchSettings()
    return settings.dispatch if isinstance(settings, Settings) else settings


# --- following a notice -----------------------------------------------------------------------------------------


def _summary(row: Notice) -> NoticeSummary:
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
        raise NotFound(f"No notice #{notice_id}. `linli notice list` shows the notices sent.")
    return _summary(row)


def list_notices(limit: int = 50) -> list[NoticeSummary]:
    """The latest notices, newest first."""
    return [_summary(row) for row in Notice.select().order_by(Notice.id.desc()).limit(limit)]


def delivery_counts(notice_id: int, channel: str | None = None) -> dict[str, int]:
    """How the notice's messages stand: {'queued': 10, 'delivered': 1180, 'skipped': 3, ...}."""
    query = Message.select(Message.status, peewee.fn.COUNT(Message.id)).where(
        (Message.direction == "out") & (Message.notice_id == notice_id)
    )
    if channel is not None:
        query = query.where(Message.channel == channel)
    return {status: int(count) for status, count in query.group_by(Message.status).order_by(Message.status).tuples()}
