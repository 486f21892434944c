"""A notice's preview: who it reaches and how, its SMS encoding and segments, what it costs, the characters that
needlessly make it UCS-2, and (given the whole settings) when the last recipient gets it. Changes nothing."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kit import ui_words
from kit.audience import Audience
from kit.capacity_today import NoticeTiming, notice_out_at
from kit.config import DispatchSettings, Settings
from kit.errors import ValidationError
from kit.money import Money, community_money
from kit.notices.history import NoticeSummary, fingerprint_of, sent_before, sent_values
from kit.notices.recipients import Recipients, count_recipients
from kit.segments import SegmentInfo, analyze, gsm_suggestions
from kit.vocabulary import normalize_language

CHANNELS = ("sms", "voice", "both")
MAX_BODY = 1_600  # what a provider accepts in one message (Twilio: 1,600 characters)

# A rough speaking rate for the call-cost estimate: Chinese characters and other characters per second, plus the
# greeting. Calls are billed per started minute.
_CJK_PER_SECOND = 4.0
_OTHER_PER_SECOND = 14.0
_GREETING_SECONDS = 5.0


@dataclass(frozen=True)
class PreviewWarning:
    """A warning of the preview, read in a language when shown: `str()` in the reader's (kit.ui_words.current),
    `text(language)` in another. Its words are under [notice_preview] in data/ui/<language>/cli_notices.toml; a
    value that is itself words (the kinds of characters) is a function of the language."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    def text(self, language: str) -> str:
        values = {name: value(language) if callable(value) else value for name, value in self.values.items()}
        return ui_words.text(language, f"notice_preview.{self.key}", **values)

    def __str__(self) -> str:
        return self.text(ui_words.current())


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
class NoticePreview:
    """What sending a notice would do and cost."""

    def money(self, amount: float) -> str:
        """An amount as the community writes it (¥12.50, £12.50)."""
        return Money(self.currency, self.locale)(amount)

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
    warnings: tuple[PreviewWarning, ...]
    already_sent: NoticeSummary | None = None
    last_out: NoticeTiming | None = None  # when the last recipient gets it (kit.capacity_today), when known
    locale: str = "zh"  # how the community writes money (kit.money)

    def as_dict(self) -> dict[str, Any]:
        return {
            "body": self.body,
            "audience": self.audience.as_dict(),
            "audience_description": self.audience.describe("en"),  # JSON stays English
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
            "warnings": [warning.text("en") for warning in self.warnings],  # stable for scripts
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
    text, translations, channel = checked_texts(body, bodies, channel)
    audience = audience or Audience()
    found = count_recipients(audience, channel)
    preview = preview_of(text, translations, audience, channel, found, dispatch_of(settings))
    if not isinstance(settings, Settings) or preview.recipients == 0:
        return preview
    timings = [
        notice_out_at(settings, way, count)
        for way, count in (("sms", preview.sms_recipients), ("voice", preview.voice_recipients))
        if count
    ]
    last = max(timings, key=lambda timing: (timing.at is None, timing.at or datetime.min, timing.left_over))
    return replace(preview, last_out=last)


def preview_of(
    body: str,
    bodies: dict[str, str],
    audience: Audience,
    channel: str,
    found: Recipients,
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
    money = community_money(prices)
    sms_cost = round(total_segments * prices.sms_segment_price, 2)
    voice_cost = round(minutes * prices.call_minute_price, 2)
    warnings = [warning for version in versions if channel != "voice" for warning in _encoding_warnings(version)]
    if channel != "voice" and main.segments > 1:
        warnings.append(PreviewWarning("segments_long", {"segments": main.segments}))
    if found.in_audience == 0:
        warnings.append(PreviewWarning("nobody_matches", {"audience": audience.describe()}))
    elif found.people == 0:
        warnings.append(PreviewWarning("nobody_reachable"))
    already = sent_before(fingerprint_of(body, bodies, audience, channel))
    if already is not None:
        warnings.append(PreviewWarning("already_sent", sent_values(already)))
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
        currency=money.currency,
        locale=money.locale,
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


_KINDS = (  # the key of each kind of look-alike character (notice_preview.kind.*) and its members
    ("smart_quotes", "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033\u00b4`\u00ab\u00bb"),
    ("long_dashes", "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"),
    ("ellipsis", "\u2026"),
    ("bullets", "\u2022"),
    ("special_spaces", "\u00a0\u2002\u2003\u2009\u202f\u3000\t"),
    ("invisible", "\u200b\u00ad\ufeff"),
)


def _describe_chars(chars: Sequence[str]) -> Callable[[str], str]:
    """'“smart quotes” and long dashes' in a language: what kinds of look-alike characters these are."""
    kinds = list(dict.fromkeys(next((n for n, members in _KINDS if ch in members), "full_width") for ch in chars))

    def words(language: str) -> str:
        names = [ui_words.text(language, f"notice_preview.kind.{kind}") for kind in kinds]
        if len(names) == 1:
            return names[0]
        first = ui_words.text(language, "notice_preview.comma").join(names[:-1])
        return ui_words.text(language, "notice_preview.and", first=first, last=names[-1])

    return words


def _replacements(suggestions: Mapping[str, str]) -> Callable[[str], str]:
    """'“ -> ", ” -> "' in a language (a space and a character to drop have words)."""

    def shown(text: str, language: str) -> str:
        if not text:
            return ui_words.text(language, "notice_preview.nothing")
        if text == " ":
            return ui_words.text(language, "notice_preview.a_space")
        return text if text.isprintable() and not text.isspace() else repr(text)[1:-1]

    def words(language: str) -> str:
        pairs = [f"{shown(ch, language)} -> {shown(stand_in, language)}" for ch, stand_in in suggestions.items()]
        return ui_words.text(language, "notice_preview.comma").join(pairs)

    return words


def _encoding_warnings(version: BodyVersion) -> list[PreviewWarning]:
    """Warn when characters with a plain stand-in are all that keeps a text out of GSM-7 and make it cost more
    segments, saying how many."""
    info = version.info
    if info.encoding == "GSM-7" or not version.suggestions:
        return []
    fixed = "".join(version.suggestions.get(ch, ch) for ch in version.body)
    fixed_info = analyze(fixed)
    if fixed_info.encoding != "GSM-7" or fixed_info.segments >= info.segments:
        return []  # Chinese text or an emoji (UCS-2 whatever the punctuation), or a text short enough either way
    values: dict[str, object] = {
        "kinds": _describe_chars(list(version.suggestions)),
        "segments": info.segments,  # always more than `fixed`, so at least 2
        "fixed": fixed_info.segments,
        "replacements": _replacements(version.suggestions),
    }
    if version.language:
        return [PreviewWarning("ucs2_in", {**values, "lang": version.language})]
    return [PreviewWarning("ucs2", values)]


def checked_texts(body: str, bodies: Mapping[str, str] | None, channel: str) -> tuple[str, dict[str, str], str]:
    if channel not in CHANNELS:
        raise ValidationError("notices.not_a_channel", channel=channel, choices=", ".join(CHANNELS), field="channel")
    text = _checked_body(body, "")
    translations: dict[str, str] = {}
    for raw_language, raw_text in (bodies or {}).items():
        language = normalize_language(raw_language)
        if language is None:
            raise ValidationError("notices.translation_without_language", field="bodies")
        translations[language] = _checked_body(raw_text, language)
    return text, translations, channel


def _checked_body(body: str, language: str) -> str:
    text = (body or "").strip()
    if not text:
        if language:
            raise ValidationError("notices.empty_in", lang=language, field="body")
        raise ValidationError("notices.empty", field="body")
    if len(text) > MAX_BODY:
        length, limit = f"{len(text):,}", f"{MAX_BODY:,}"
        if language:
            raise ValidationError("notices.too_long_in", lang=language, length=length, limit=limit, field="body")
        raise ValidationError("notices.too_long", length=length, limit=limit, field="body")
    return text


def dispatch_of(settings: Settings | DispatchSettings | None) -> DispatchSettings:
    if settings is None:
        return DispatchSettings()
    return settings.dispatch if isinstance(settings, Settings) else settings
