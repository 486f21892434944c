"""People as a volunteer's SMS names them: a resident's name, address, phone and language, and a due time as a
volunteer reads it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

import peewee

from kit.clock import utcnow
from kit.localtime import local_date, to_local
from kit.models import Household, Resident, ResidentTag, format_address

NO_PHONE = "no-phone"


class Person(NamedTuple):
    """A resident, as much as a volunteer's SMS needs."""

    id: int
    name: str
    address: str
    phone: str | None
    language: str
    no_phone: bool


def people(resident_ids: Sequence[int]) -> dict[int, Person]:
    """Name, address, phone and language of residents, 500 at a time."""
    found: dict[int, Person] = {}
    wanted = sorted(set(resident_ids))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        no_phone = {
            rid for (rid,) in ResidentTag.select(ResidentTag.resident).where(
                ResidentTag.resident.in_(chunk) & (ResidentTag.tag == NO_PHONE)
            ).tuples()
        }  # fmt: skip
        columns = (
            Resident.id, Resident.name, Resident.phone, Resident.language,
            Household.building, Household.unit, Household.room,
        )  # fmt: skip
        rows = (
            Resident.select(*columns)
            .join(Household, peewee.JOIN.LEFT_OUTER, on=(Resident.household == Household.id))
            .where(Resident.id.in_(chunk))
            .tuples()
        )
        for rid, name, phone, language, building, unit, room in rows:
            address = format_address(building or "", unit or "", room or "")
            found[rid] = Person(rid, name, address, phone, language, phone is None or rid in no_phone)
    return found


def deadline_text(due_at: datetime, zone: ZoneInfo) -> str:
    """A due time as a volunteer reads it: '12:00' today, '11-21 09:00' another day."""
    local = to_local(due_at, zone)
    if local.date() == local_date(utcnow(), zone):
        return local.strftime("%H:%M")
    return local.strftime("%m-%d %H:%M")
