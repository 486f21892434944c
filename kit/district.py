"""The district's server: the communities that report to it, their tokens, and the figures they push.

A community's laptop pushes one day's per-grid counts (`kit.figures.DayFigures.as_dict()`) with its token;
`receive_push` checks the token, checks the body and stores it. What the district reads back is in
`kit.district_view`.

Decisions:
- A token is 32 random bytes, shown once by `linli district add`; only its sha256 is stored. A random token needs
  no salt or slow hash (nothing to guess), and a lookup by hash costs one indexed read.
- Only counts are accepted. Every value but a grid's label must be a non-negative integer, the body may hold no
  key this module does not know, and a grid label that looks like a phone number (seven digits in a row) is
  refused: a community that put a name or number where a count goes is told, and nothing is stored.
- A figure name the district does not know (a newer community) is ignored and named in the receipt, so an old
  district still takes a new community's push; the known ones are the stable names in `kit.figures.FIGURES`.
- One push per (community, day): a re-push replaces the earlier one in one transaction (upsert the report, then
  replace its grid rows), so the same push twice never doubles and a later one with new numbers wins.
- A day after tomorrow in every time zone (UTC+14) is refused, as is one older than `district.max_age_days`.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from kit import audit
from kit.clock import utcnow
from kit.db import transaction
from kit.district_models import DistrictCommunity, DistrictGridFigures, DistrictReport
from kit.errors import Conflict, LinliError, NotFound, ValidationError
from kit.figures import FIGURES
from kit.plaintext import is_plain, visible

MAX_NAME = 100  # characters in a community's name
MAX_LABEL = 64  # characters in a grid's label
MAX_GRIDS = 500
MAX_COUNT = 10_000_000  # more than any community has residents: a larger number is a mistake
EARLIEST_ZONE = timedelta(hours=14)  # UTC+14 (Kiribati) is where a day starts first
TOP_KEYS = frozenset({"community", "date", "as_of", "figures", "grids", "totals"})
PHONE_LIKE = re.compile(r"\d{7}")
FIGURE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # the stable names are snake_case words
# The keys of a bad figure's name and a value that is not a count, in the totals and in a grid
_IN_TOTALS = ("district.bad_name_in_totals", "district.not_count_in_totals")
_IN_GRID = ("district.bad_name_in_grid", "district.not_count_in_grid")


class TokenRefused(LinliError):
    """A push without a token, or with a wrong or revoked one."""

    title_key = "district_token"


class PushRefused(ValidationError):
    """A push whose body cannot be stored (not counts, a bad date, not JSON)."""

    title_key = "district_push"


@dataclass(frozen=True)
class ParsedPush:
    day: date
    as_of: datetime  # naive UTC
    grids: list[tuple[str, dict[str, int]]]
    ignored: list[str] = field(default_factory=list)  # figure names this district does not know


@dataclass(frozen=True)
class PushReceipt:
    community: str
    day: date
    grids: int
    replaced: bool  # an earlier push for the same day was replaced
    ignored: list[str]

    def as_dict(self) -> dict[str, Any]:
        receipt: dict[str, Any] = {
            "ok": True,
            "community": self.community,
            "date": self.day.isoformat(),
            "grids": self.grids,
            "replaced": self.replaced,
        }
        if self.ignored:
            receipt["ignored"] = self.ignored
            receipt["note"] = "These figures are not known to this district and were not stored: " + ", ".join(
                self.ignored
            )
        return receipt


# --- communities and tokens -----------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationError("district.name_empty", field="name")
    if len(name) > MAX_NAME or not is_plain(name):
        raise ValidationError("district.name_too_long", field="name", max=MAX_NAME)
    return name


def add_community(name: str, *, actor: str) -> tuple[DistrictCommunity, str]:
    """Register community `name` (or give a revoked one a new token); returns it and its token, to show once.
    The audit trail records who did it, never the token."""
    name = check_name(name)
    token = new_token()
    with transaction():
        existing = DistrictCommunity.get_or_none(DistrictCommunity.name == name)
        if existing is not None and existing.revoked_at is None:
            raise Conflict("district.has_token", name=name)
        if existing is not None:
            existing.token_hash = hash_token(token)
            existing.revoked_at = None
            existing.save()
            audit.record(actor, "new_token", "district_community", existing.id, name=name)
            return existing, token
        created = DistrictCommunity.create(name=name, token_hash=hash_token(token), created_at=utcnow())
        audit.record(actor, "add", "district_community", created.id, name=name)
        return created, token


def revoke_community(name: str, *, actor: str) -> bool:
    """Refuse `name`'s token from now on (its figures stay); False when it was already revoked."""
    with transaction():
        community = DistrictCommunity.get_or_none(DistrictCommunity.name == name.strip())
        if community is None:
            raise NotFound("district.no_community", name=name.strip())
        if community.revoked_at is not None:
            return False
        community.revoked_at = utcnow()
        community.save()
        audit.record(actor, "revoke", "district_community", community.id, name=community.name)
    return True


def authenticate(token: str | None) -> DistrictCommunity:
    """The community whose token this is; TokenRefused for a missing, wrong or revoked one."""
    if not token:
        raise TokenRefused("district.no_token")
    community = DistrictCommunity.get_or_none(DistrictCommunity.token_hash == hash_token(token))
    if community is None:
        raise TokenRefused("district.unknown_token")
    if community.revoked_at is not None:
        raise TokenRefused("district.revoked_token")
    return community


# --- receiving ------------------------------------------------------------------------------------------------


def parse_push(body: Any, *, max_age_days: int, now: datetime | None = None) -> ParsedPush:
    """The day, the time counted and the grids of a push body (decoded JSON); PushRefused says what is wrong."""
    if not isinstance(body, dict):
        raise PushRefused("district.not_object")
    unknown = ", ".join(key[:40] for key in sorted(set(body) - TOP_KEYS)[:10])
    if unknown:
        raise PushRefused("district.unexpected_fields", fields=unknown)
    names, community = body.get("figures", []), body.get("community", "")
    if not isinstance(names, list) or not all(isinstance(n, str) and FIGURE_NAME.match(n) for n in names):
        raise PushRefused("district.bad_figures")
    if not isinstance(community, str) or len(community) > MAX_NAME:
        raise PushRefused("district.bad_community")
    day = _day(body.get("date"), max_age_days, now or utcnow())
    as_of = _as_of(body.get("as_of"))
    grids = body.get("grids")
    if not isinstance(grids, list) or len(grids) > MAX_GRIDS:
        raise PushRefused("district.bad_grids", max=MAX_GRIDS)
    ignored: set[str] = set()
    parsed: list[tuple[str, dict[str, int]]] = []
    labels: set[str] = set()
    for row in grids:
        label, figures, unknown_figures = _grid(row)
        if label in labels:
            raise PushRefused("district.grid_twice", grid=label)
        labels.add(label)
        parsed.append((label, figures))
        ignored |= unknown_figures
    totals = body.get("totals", {})  # recomputed from the grids; checked only to be counts
    if not isinstance(totals, dict):
        raise PushRefused("district.bad_totals")
    _counts(totals)
    return ParsedPush(day, as_of, parsed, sorted(ignored))


def _day(value: Any, max_age_days: int, now: datetime) -> date:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None:
        raise PushRefused("district.bad_date")
    latest = (now + EARLIEST_ZONE).date()
    if day > latest:
        raise PushRefused("district.future_day", day=day)
    earliest = now.date() - timedelta(days=max_age_days)
    if day < earliest:
        raise PushRefused("district.too_old", day=day, earliest=earliest)
    return day


def _as_of(value: Any) -> datetime:
    if not isinstance(value, str):
        raise PushRefused("district.bad_as_of")
    try:
        at = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        raise PushRefused("district.bad_as_of") from None
    return at if at.tzinfo is None else at.astimezone(timezone.utc).replace(tzinfo=None)


def _grid(row: Any) -> tuple[str, dict[str, int], set[str]]:
    if not isinstance(row, dict) or not isinstance(row.get("grid"), str):
        raise PushRefused("district.bad_grid")
    label = row["grid"].strip()
    if len(label) > MAX_LABEL or not is_plain(label):
        raise PushRefused("district.bad_label", max=MAX_LABEL, label=visible(label))
    if PHONE_LIKE.search(label):
        raise PushRefused("district.phone_label")
    counts = _counts({key: value for key, value in row.items() if key != "grid"}, label)
    figures = {name: counts[name] for name in FIGURES if name in counts}
    return label, figures, set(counts) - set(FIGURES)


def _counts(values: dict[Any, Any], grid: str | None = None) -> dict[str, int]:
    """`values` when each is a count under a figure's name; PushRefused naming `grid` (None: the totals) if not."""
    where = {} if grid is None else {"grid": grid}
    for key, value in values.items():
        if not isinstance(key, str) or not FIGURE_NAME.match(key):
            raise PushRefused(_IN_TOTALS[0] if grid is None else _IN_GRID[0], **where)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
            kind = type(value).__name__
            raise PushRefused(_IN_TOTALS[1] if grid is None else _IN_GRID[1], figure=key, kind=kind, **where)
    return dict(values)


def store_push(community: DistrictCommunity, push: ParsedPush) -> bool:
    """Store `push` as `community`'s figures for its day, replacing an earlier push; True when one was replaced."""
    totals = dict.fromkeys(FIGURES, 0)
    for _, figures in push.grids:
        for name, value in figures.items():
            totals[name] += value
    now = utcnow()
    with transaction():
        key = (DistrictReport.community == community.id) & (DistrictReport.day == push.day)
        replaced = bool(DistrictReport.select().where(key).exists())
        DistrictReport.insert(
            community=community.id, day=push.day, as_of=push.as_of, received_at=now, totals=json.dumps(totals)
        ).on_conflict(
            conflict_target=[DistrictReport.community, DistrictReport.day],
            update={
                DistrictReport.as_of: push.as_of,
                DistrictReport.received_at: now,
                DistrictReport.totals: json.dumps(totals),
            },
        ).execute()
        report_id = DistrictReport.select(DistrictReport.id).where(key).scalar()
        DistrictGridFigures.delete().where(DistrictGridFigures.report == report_id).execute()
        rows = [{"report": report_id, "grid": label, "figures": json.dumps(figures)} for label, figures in push.grids]
        if rows:
            DistrictGridFigures.insert_many(rows).execute()
    return replaced


def receive_push(token: str | None, raw: bytes, *, max_age_days: int) -> PushReceipt:
    """A community's push (the request's token and body), checked and stored: TokenRefused or PushRefused (and
    nothing stored), else the receipt. The token is checked first: a stranger learns nothing about the body."""
    community = authenticate(token)
    push = parse_push(parse_json(raw), max_age_days=max_age_days)
    replaced = store_push(community, push)
    return PushReceipt(community.name, push.day, len(push.grids), replaced, push.ignored)


def parse_json(raw: bytes) -> Any:
    """A request body as JSON; PushRefused when it is not."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PushRefused("district.not_json") from None
