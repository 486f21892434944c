"""Finding residents: the filter people search with (a name, part of an address, a phone number however it is
written, a grid, a tag, a status), pages and batches of matches, and a resident as people read it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import peewee

from kit.errors import InvalidPhone
from kit.jsonable import record_dict
from kit.models import Community, Grid, Household, Resident, ResidentTag, format_address
from kit.phones import normalize_phone
from kit.vocabulary import fold, normalize_monitoring, normalize_status, parse_tags


@dataclass(frozen=True)
class ResidentView:
    """A resident as people read it: names instead of ids, tags as a list."""

    id: int
    name: str
    phone: str | None
    second_phone: str | None
    grid: str | None
    building: str
    unit: str
    room: str
    language: str
    tags: tuple[str, ...]
    birth_year: int | None
    status: str
    monitoring: str
    monitoring_until: date | None
    opted_out: bool
    notes: str
    updated_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return format_address(self.building, self.unit, self.room)

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self, skip=("updated_at", "extra"), after={"room": {"address": self.address}})


@dataclass(frozen=True)
class ResidentFilter:
    query: str = ""
    grid: str | None = None
    tag: str | None = None
    status: str | None = None
    monitoring: str | None = None
    ids: Sequence[int] | None = None
    silent_on: date | None = None  # asked in a check-in round that local day and not answered yet


def _filtered(flt: ResidentFilter) -> peewee.ModelSelect:
    query = Resident.select(Resident.id)
    phone = _whole_phone(flt.query) if flt.query.strip() else None
    if phone is not None:
        query = query.where(Resident.phone == phone)  # the index answers at once (a household may share it)
    elif flt.query.strip():
        for word in _search_words(flt.query):
            query = query.where(Resident.search_text.contains(word))
    if flt.grid:
        query = query.join(Grid).where(Grid.name == flt.grid)
    tags = parse_tags(flt.tag) if flt.tag else []  # a tag of only spaces or separators is no filter
    if tags:
        tagged = ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag == tags[0])
        query = query.where(Resident.id.in_(tagged))
    if flt.status:
        query = query.where(Resident.status == normalize_status(flt.status))
    if flt.monitoring:
        query = query.where(Resident.monitoring == normalize_monitoring(flt.monitoring))
    if flt.ids is not None:
        query = query.where(Resident.id.in_(list(flt.ids)))
    if flt.silent_on is not None:
        from kit.models import CheckinAsk, CheckinRound

        silent = (
            CheckinAsk.select(CheckinAsk.resident)
            .join(CheckinRound)
            .where((CheckinRound.local_date == flt.silent_on) & CheckinAsk.answered_at.is_null())
            .where(CheckinAsk.stage != "opted_out")
        )
        query = query.where(Resident.id.in_(silent))
    return query


def _whole_phone(text: str) -> str | None:
    """The E.164 form of a query that is a whole phone number (as people write it), else None."""
    if sum(ch.isdigit() for ch in text) < 7:
        return None
    region = Community.select(Community.region).scalar() or "CN"
    try:
        return normalize_phone(text, region)
    except InvalidPhone:
        return None


def _search_words(text: str) -> list[str]:
    """The words a search must all match. A whole phone number, however it is written ('+86 138 0013 8000' as
    display_phone shows it, '138-0013-8000', '0086...'), becomes the digits of its E.164 form, which is what
    search_text holds; a '+' in front of a part of a number is dropped for the same reason."""
    region = Community.select(Community.region).scalar() or "CN"
    try:
        return [normalize_phone(text, region).lstrip("+")]
    except InvalidPhone:
        return [word.lstrip("+") for word in fold(text).split() if word.lstrip("+")]


def count_residents(flt: ResidentFilter | None = None) -> int:
    return int(_filtered(flt or ResidentFilter()).count())


def find_residents(flt: ResidentFilter | None = None, *, limit: int | None = 50, offset: int = 0) -> list[ResidentView]:
    """One page of residents matching `flt`, ordered by id: two queries whatever the page size."""
    ids = _filtered(flt or ResidentFilter()).order_by(Resident.id)
    if limit is not None:
        ids = ids.limit(limit).offset(offset)
    return list(_views(Resident.select().where(Resident.id.in_(ids)).order_by(Resident.id)))


def iter_residents(flt: ResidentFilter | None = None, *, batch: int = 2000) -> Iterable[ResidentView]:
    """Every resident matching `flt`, in id order, a batch at a time (for exports)."""
    last = 0
    base = _filtered(flt or ResidentFilter())
    while True:
        ids = [row.id for row in base.where(Resident.id > last).order_by(Resident.id).limit(batch)]
        if not ids:
            return
        yield from _views(Resident.select().where(Resident.id.in_(ids)).order_by(Resident.id))
        last = ids[-1]


def _views(query: peewee.ModelSelect) -> Iterable[ResidentView]:
    rows = list(
        query.select(Resident, Grid.name.alias("grid_name"), Household.building, Household.unit, Household.room)
        .join(Grid, peewee.JOIN.LEFT_OUTER, on=(Resident.grid == Grid.id))
        .switch(Resident)
        .join(Household, peewee.JOIN.LEFT_OUTER, on=(Resident.household == Household.id))
        .dicts()
    )
    tags: dict[int, list[str]] = {}
    if rows:
        for tag_row in (
            ResidentTag.select(ResidentTag.resident, ResidentTag.tag)
            .where(ResidentTag.resident.in_([row["id"] for row in rows]))
            .order_by(ResidentTag.id)
            .tuples()
        ):
            tags.setdefault(tag_row[0], []).append(tag_row[1])
    for row in rows:
        yield ResidentView(
            id=row["id"],
            name=row["name"],
            phone=row["phone"],
            second_phone=row["second_phone"],
            grid=row["grid_name"],
            building=row["building"] or "",
            unit=row["unit"] or "",
            room=row["room"] or "",
            language=row["language"],
            tags=tuple(tags.get(row["id"], ())),
            birth_year=row["birth_year"],
            status=row["status"],
            monitoring=row["monitoring"],
            monitoring_until=row["monitoring_until"],
            opted_out=bool(row["opted_out"]),
            notes=row["notes"],
            updated_at=row["updated_at"],
        )


def view_of(resident: Resident) -> ResidentView:
    views = list(_views(Resident.select().where(Resident.id == resident.id)))
    return views[0]
