"""Whether a row of a sheet is a resident already registered: by phone, else by name and address.

Both imports use it: a plain import leaves out a resident without a phone who is already registered at the same
name and address, and an update (kit.register_update) matches every row with it.

Decisions:
- A name and an address are compared folded (NFKC, case, runs of spaces), so "３栋" and "3栋" are one building. A
  name alone never matches: two 王芳 in one community are common.
- Anonymised residents are never matched (nothing of them is left to match). Residents who moved out are: someone
  who comes back is found again rather than registered a second time.
- A phone is matched first, as the surest sign of a person; but a household may share one (kit.people), so a row
  is its holder only when the name and address agree too, or when nobody else could be meant.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import peewee

from kit.models import Household, Resident, format_address
from kit.people import Address, address_key, may_share_phone
from kit.residents import ResidentRecord
from kit.vocabulary import fold

CHUNK = 500  # names in one IN (...) query

PersonKey = tuple[str, str, str, str]  # folded name, building, unit, room


def person_key(name: str, building: str, unit: str, room: str) -> PersonKey:
    return fold(name), fold(building), fold(unit), fold(room)


def record_key(record: ResidentRecord) -> PersonKey:
    return person_key(record.name, record.building, record.unit, record.room)


@dataclass(frozen=True)
class Registered:
    """A resident as matching needs them: who, their phone, where they live, whether they moved out."""

    id: int
    name: str
    phone: str | None
    building: str
    unit: str
    room: str
    moved_out_at: datetime | None

    @property
    def key(self) -> PersonKey:
        return person_key(self.name, self.building, self.unit, self.room)

    @property
    def address(self) -> str:
        return format_address(self.building, self.unit, self.room)


def registered(names: Sequence[str] | None = None) -> Iterator[Registered]:
    """Every resident who can be matched (not anonymised), in id order; only those named `names` when given."""
    if names is None:
        yield from _registered(None)
        return
    for start in range(0, len(names), CHUNK):
        yield from _registered(list(names[start : start + CHUNK]))


def _registered(names: list[str] | None) -> Iterator[Registered]:
    query = (
        Resident.select(
            Resident.id,
            Resident.name,
            Resident.phone,
            Household.building,
            Household.unit,
            Household.room,
            Resident.moved_out_at,
        )
        .join(Household, peewee.JOIN.LEFT_OUTER, on=(Resident.household == Household.id))
        .where(Resident.anonymised_at.is_null())
        .order_by(Resident.id)
    )
    if names is not None:
        query = query.where(Resident.name.in_(names))
    for resident_id, name, phone, building, unit, room, moved_out_at in query.tuples():
        yield Registered(resident_id, name, phone, building or "", unit or "", room or "", moved_out_at)


def phoneless_already_registered(records: Sequence[ResidentRecord]) -> set[int]:
    """The positions in `records` of residents without a phone who are already registered at the same name and
    address (a plain import leaves them out rather than registering them twice)."""
    wanted = {index: record_key(record) for index, record in enumerate(records) if not record.phone}
    if not wanted:
        return set()
    known = {person.key for person in registered(sorted({records[index].name for index in wanted}))}
    return {index for index, key in wanted.items() if key in known}


# --- matching a revised sheet's rows --------------------------------------------------------------------------


@dataclass(frozen=True)
class Clash:
    """A row with the name and address of `resident` giving the phone of `owner`, of another household."""

    resident: Registered
    owner: Registered


Match = int | Clash | list[Registered] | None  # the resident's id; a phone clash; the candidates; new


@dataclass
class Register:
    """The register indexed for matching: by id, by phone (a household may share one) and by name and address."""

    by_id: dict[int, Registered]
    by_phone: dict[str, list[Registered]]
    by_person: dict[PersonKey, list[Registered]]

    @classmethod
    def load(cls) -> Register:
        by_id: dict[int, Registered] = {}
        by_phone: dict[str, list[Registered]] = {}
        by_person: dict[PersonKey, list[Registered]] = {}
        for person in registered():
            by_id[person.id] = person
            by_person.setdefault(person.key, []).append(person)
            if person.phone:
                by_phone.setdefault(person.phone, []).append(person)
        return cls(by_id, by_phone, by_person)

    def match(self, record: ResidentRecord) -> Match:
        """Which resident a row is: by phone, else by name and address (kit.people decides who may share a phone).

        A row matching nobody is new; one whose name and address are one resident's while its phone is another
        household's is a clash; one that could be several residents gives them all, to be listed, never guessed."""
        key = record_key(record)
        holders = self.by_phone.get(record.phone, []) if record.phone else []
        same = [holder for holder in holders if holder.key == key] or [h for h in holders if h.key[0] == key[0]]
        if len(same) == 1:  # the phone and the name agree (a sheet without addresses, or someone who moved)
            return same[0].id
        if same:
            return same  # one phone, one name, several residents
        people = self.by_person.get(key, [])
        here = address_key(record.building, record.unit, record.room)
        strangers = [holder for holder in holders if not may_share_phone(_address(holder), here)]
        if len(people) == 1:
            return Clash(people[0], strangers[0]) if strangers else people[0].id
        if people:
            return list(people)
        if not strangers:
            return None  # nobody, or a new member of the household that shares the phone
        return strangers[0].id if len(holders) == 1 else list(holders)  # the phone's holder, renamed or moved


def _address(person: Registered) -> Address | None:
    return address_key(person.building, person.unit, person.room)
