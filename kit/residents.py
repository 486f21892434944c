"""Residents: validation shared by forms and imports, and the services that add, edit and show them (finding
them is `kit.resident_search`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from kit import audit, ui_words
from kit.clock import utcnow
from kit.community import get_community
from kit.db import transaction
from kit.errors import Conflict, InvalidPhone, NotFound, ValidationError
from kit.models import Community, Grid, Household, Resident, ResidentTag, format_address
from kit.people import Holder, address_key, holders_of, other_household
from kit.phones import LANDLINE, normalize_phone, takes_sms
from kit.resident_search import view_of
from kit.vocabulary import fold, normalize_language, normalize_monitoring, normalize_status, parse_tags

# 1948, 1948年, 1948.0 (Excel), and the year-month forms an 出生年月 column holds: 1948年3月, 1948-03, 1948.3, 1948/3/5.
_YEAR = re.compile(r"^(\d{4})(?:\.0|\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|[-./]\d{1,2}(?:[-./]\d{1,2})?)?$")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
_DATE_KEYS = {  # what a date is, as `parse_date` is told, and the refusal that names it
    "round date": "residents.round_date_format",
    "monitoring end date": "residents.monitoring_until_format",
}


@dataclass
class ResidentInput:
    """A resident as typed in a form or read from a spreadsheet row: every value still raw."""

    name: Any = None
    phone: Any = None
    second_phone: Any = None
    grid: Any = None
    building: Any = None
    unit: Any = None
    room: Any = None
    language: Any = None
    tags: Any = None
    birth_year: Any = None
    status: Any = None
    monitoring: Any = None
    monitoring_until: Any = None
    notes: Any = None


@dataclass(frozen=True)
class ResidentRecord:
    """A resident that passed validation: every value normalised, ready to store."""

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
    notes: str

    @property
    def address(self) -> str:
        return format_address(self.building, self.unit, self.room)


def _text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _birth_year(value: Any, this_year: int) -> int | None:
    if isinstance(value, date):  # an Excel date cell (datetime is a date too)
        year = value.year
    else:
        text = _text(value)
        if not text:
            return None
        match = _YEAR.match(text)
        if not match:
            raise ValidationError("residents.birth_year_digits", field="birth_year", text=text)
        year = int(match.group(1))
    if not 1900 <= year <= this_year:
        raise ValidationError("residents.birth_year_range", field="birth_year", year=year, this_year=this_year)
    return year


def parse_date(value: Any, what: str = "date", field_name: str = "monitoring_until") -> date | None:
    """A date as people write it (2026-12-01, 2026/12/01, 2026年12月1日); `what` names it in the refusal: "date",
    "round date" or "monitoring end date"."""
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    text = _text(value)
    if not text:
        return None
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValidationError(_DATE_KEYS.get(what, "residents.date_format"), field=field_name, text=text)


def validate_resident(raw: ResidentInput, community: Community, *, today: date | None = None) -> ResidentRecord:
    """Check and normalise one resident; raises ValidationError naming the first problem and its field."""
    today = today or utcnow().date()
    name = _text(raw.name)
    if not name:
        raise ValidationError("residents.name_empty", field="name")
    if len(name) > 100:
        raise ValidationError("residents.name_too_long", field="name")
    phone = _phone(raw.phone, community.region, "phone")
    second = _phone(raw.second_phone, community.region, "second_phone")
    if phone and second == phone:
        raise ValidationError("residents.second_phone_is_own", field="second_phone")
    tags = parse_tags(_text(raw.tags) if not isinstance(raw.tags, list) else raw.tags)
    if phone is None and "no-phone" not in tags:
        tags.append("no-phone")
    if phone is not None and "no-phone" in tags:
        tags.remove("no-phone")
    texted = phone is None or takes_sms(phone)
    if not texted and LANDLINE not in tags:
        tags.append(LANDLINE)  # a landline: the round calls or knocks instead of texting it (kit.landlines)
    if texted and LANDLINE in tags:
        tags.remove(LANDLINE)
    monitoring = normalize_monitoring(_text(raw.monitoring)) or "none"
    until = parse_date(raw.monitoring_until, "monitoring end date")
    if monitoring == "none":
        until = None
    return ResidentRecord(
        name=name,
        phone=phone,
        second_phone=second,
        grid=_text(raw.grid) or None,
        building=_text(raw.building),
        unit=_text(raw.unit),
        room=_text(raw.room),
        language=normalize_language(_text(raw.language), community.language_list) or community.language,
        tags=tuple(tags),
        birth_year=_birth_year(raw.birth_year, today.year),
        status=normalize_status(_text(raw.status)) or "green",
        monitoring=monitoring,
        monitoring_until=until,
        notes=_text(raw.notes),
    )


def _phone(value: Any, region: str, field_name: str) -> str | None:
    text = _text(value)
    if not text:
        return None
    try:
        return normalize_phone(value if isinstance(value, (int, float)) else text, region)
    except InvalidPhone as error:
        if field_name == "second_phone":  # said as the second contact's, in the reader's language when shown
            raise InvalidPhone("residents.second_phone_problem", field=field_name, problem=error.text) from None
        error.field = field_name
        raise error from None


def search_text_for(name: str, phone: str | None, address: str, grid: str | None) -> str:
    """What a search matches: folded name, phone digits (international and national), address, grid."""
    parts = [fold(name)]
    if phone:
        parts.append(phone.lstrip("+"))
    if address:
        parts.append(fold(address))
    if grid:
        parts.append(fold(grid))
    return " ".join(parts)


# --- storing ------------------------------------------------------------------------------------------------


def grid_id_for(name: str | None) -> int | None:
    if not name:
        return None
    grid, _ = Grid.get_or_create(name=name, defaults={"created_at": utcnow()})
    return int(grid.id)


def _known_grid(name: str | None) -> None:
    """Refuse a grid name that no grid has, naming the grids there are."""
    if not name or Grid.select().where(Grid.name == name).exists():
        return
    names = [grid for (grid,) in Grid.select(Grid.name).order_by(Grid.name).tuples()]
    if not names:
        raise ValidationError("residents.no_grids_yet", field="grid", grid=name)
    shown = names[:12] + (["…"] if len(names) > 12 else [])
    raise ValidationError(
        "residents.no_such_grid",
        field="grid",
        grid=name,
        grids=lambda language: ui_words.text(language, "errors.residents.grid_separator").join(shown),
    )


def household_id_for(record: ResidentRecord, grid_id: int | None) -> int | None:
    if not record.address:
        return None
    household, created = Household.get_or_create(
        building=record.building, unit=record.unit, room=record.room, defaults={"grid": grid_id}
    )
    if not created and household.grid_id is None and grid_id is not None:
        household.grid = grid_id
        household.save()
    return int(household.id)


def _phone_owner(record: ResidentRecord, other_than: int | None = None) -> Holder | None:
    """A resident of another household registered with `record`'s phone: only a household shares a phone."""
    holders = [
        holder for holder in holders_of([record.phone or ""]).get(record.phone or "", []) if holder.id != other_than
    ]
    return other_household(holders, record.name, address_key(record.building, record.unit, record.room))


def _taken(phone: str, owner: Holder, name: str) -> Conflict:
    key = "residents.phone_taken" if owner.name == name else "residents.phone_taken_elsewhere"
    return Conflict(key, phone=phone, owner=owner.name, id=owner.id)


def add_resident(raw: ResidentInput, *, actor: str = "cli", new_grid: bool = True) -> Resident:
    """Register one resident. A grid named that does not exist yet is made, unless `new_grid` is False (an operator
    typing by hand, where a typo would make a grid nobody covers): then ValidationError names the grids there are."""
    community = get_community()
    record = validate_resident(raw, community)
    with transaction():
        if not new_grid:
            _known_grid(record.grid)
        if record.phone:
            owner = _phone_owner(record)
            if owner is not None:
                raise _taken(record.phone, owner, record.name)
        resident = _store(record, None)
        audit.record(actor, "add", "resident", resident.id, name=record.name, phone=record.phone)
    return resident


def _store(record: ResidentRecord, resident: Resident | None) -> Resident:
    grid_id = grid_id_for(record.grid)
    household_id = household_id_for(record, grid_id)
    values = {
        "name": record.name,
        "phone": record.phone,
        "second_phone": record.second_phone,
        "language": record.language,
        "birth_year": record.birth_year,
        "status": record.status,
        "monitoring": record.monitoring,
        "monitoring_until": record.monitoring_until,
        "notes": record.notes,
        "grid": grid_id,
        "household": household_id,
        "search_text": search_text_for(record.name, record.phone, record.address, record.grid),
        "updated_at": utcnow(),
    }
    if resident is None:
        resident = Resident.create(**values)
    else:
        Resident.update(**values).where(Resident.id == resident.id).execute()
        ResidentTag.delete().where(ResidentTag.resident == resident.id).execute()
    ResidentTag.insert_many(
        [{"resident": resident.id, "tag": tag} for tag in record.tags]
    ).execute() if record.tags else None
    return Resident.get_by_id(resident.id)


EDITABLE = tuple(f.name for f in fields(ResidentInput))


def edit_resident(resident_id: int, changes: dict[str, Any], *, actor: str = "cli", new_grid: bool = True) -> Resident:
    """Change the given fields (raw values, as for add); the rest stay as they are. `new_grid` as for add."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(
            "residents.not_editable", unknown=", ".join(sorted(unknown)), editable=", ".join(EDITABLE)
        )
    community = get_community()
    with transaction():
        resident = get_resident(resident_id)
        before = view_of(resident)
        merged = ResidentInput(**{name: getattr(before, name) for name in EDITABLE})
        merged.tags = list(before.tags)
        for name, value in changes.items():
            setattr(merged, name, value)
        record = validate_resident(merged, community)
        if not new_grid and record.grid != before.grid:
            _known_grid(record.grid)
        if record.phone:  # a new number, or a move away from the household that shares it
            owner = _phone_owner(record, other_than=resident.id)
            if owner is not None:
                raise _taken(record.phone, owner, record.name)
        resident = _store(record, resident)
        after = view_of(resident)
        changed = {
            name: [_plain(getattr(before, name)), _plain(getattr(after, name))]
            for name in EDITABLE
            if getattr(before, name) != getattr(after, name)
        }
        if changed:
            audit.record(actor, "edit", "resident", resident.id, **changed)
    return resident


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def get_resident(key: int | str) -> Resident:
    """A resident by id, or by phone number as people write it."""
    resident: Resident | None
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit() and len(key) < 9):
        resident = Resident.get_or_none(Resident.id == int(key))
    else:
        phone = normalize_phone(str(key), get_community().region)
        sharing = list(Resident.select().where(Resident.phone == phone).order_by(Resident.id).limit(5))
        if len(sharing) > 1:
            raise ValidationError("residents.phone_shared", phone=phone, named=_named(sharing))
        resident = sharing[0] if sharing else None
    if resident is None:
        raise NotFound("residents.no_resident", resident=key)
    return resident


def _named(residents: list[Resident]) -> Callable[[str], str]:
    """'王秀英 (#1), 李建国 (#2)' in a language."""

    def named(language: str) -> str:
        return ", ".join(ui_words.text(language, "errors.residents.named", name=r.name, id=r.id) for r in residents)

    return named


def set_status(resident_id: int, status: str, *, reason: str = "", actor: str = "cli") -> Resident:
    value = normalize_status(status)
    if value is None:
        raise ValidationError("residents.no_status", field="status")
    with transaction():
        resident = get_resident(resident_id)
        if resident.status != value:
            old = resident.status
            resident.status = value
            resident.updated_at = utcnow()
            resident.save()
            audit.record(actor, "status", "resident", resident.id, old=old, new=value, reason=reason)
    return resident


def set_monitoring(resident_id: int, category: str, until: Any = None, *, actor: str = "cli") -> Resident:
    value = normalize_monitoring(category) or "none"
    end = parse_date(until, "monitoring end date")
    if value != "none" and value != "recovered" and end is None:
        raise ValidationError("residents.no_monitoring_end", field="monitoring_until")
    with transaction():
        resident = get_resident(resident_id)
        old = (resident.monitoring, resident.monitoring_until)
        resident.monitoring = value
        resident.monitoring_until = end if value != "none" else None
        resident.updated_at = utcnow()
        resident.save()
        audit.record(
            actor, "monitoring", "resident", resident.id, old=list(old), new=[value, resident.monitoring_until]
        )
    return resident
