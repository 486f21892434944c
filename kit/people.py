"""People as a volunteer's SMS names them: a resident's name, address, phone and language, and a due time as a
volunteer reads it. And who may give the same phone: the residents of one household (`may_share_phone`), checked
when a resident is added or edited and when a sheet is imported; a household that shares a phone gets the check-in
prompt once (`first_asked_on_phone`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

import peewee

from kit.clock import utcnow
from kit.db import database
from kit.errors import ValidationError
from kit.localtime import local_date, to_local
from kit.models import CheckinAsk, Household, Resident, ResidentTag, format_address

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


# --- who may share a phone -------------------------------------------------------------------------------------

Address = tuple[str, str, str]  # building, unit, room: one household


class Holder(NamedTuple):
    """A resident registered with a phone number, and their address (None: none given)."""

    id: int
    name: str
    address: Address | None


def address_key(building: str, unit: str, room: str) -> Address | None:
    """The household an address names; None when it names none."""
    return (building, unit, room) if building or unit or room else None


def may_share_phone(one: Address | None, other: Address | None) -> bool:
    """Whether two residents may give the same phone: only the residents of one household (the same address, as
    `Household` stores it) share a number. A carer who looks after someone at another address is that person's
    second contact (`second_phone`), who is asked when they do not answer."""
    return one is not None and one == other


def holders_of(phones: Sequence[str], *, besides: Sequence[int] = ()) -> dict[str, list[Holder]]:
    """The residents registered with each of `phones` (moved-out ones too: their number is still theirs until
    their details are removed), 500 numbers a query. Residents whose ids are `besides` may be left out (an
    import's own rows, just written): when those ids are consecutive, the database leaves them out."""
    found: dict[str, list[Holder]] = {}
    wanted = sorted(set(phones))
    first, last = (besides[0], besides[-1]) if _consecutive(besides) else (0, -1)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = database.execute_sql(_holders_sql(len(chunk)), [*chunk, first, last])
        for rid, name, phone, building, unit, room in rows:
            address = address_key(building or "", unit or "", room or "")
            found.setdefault(phone, []).append(Holder(rid, name, address))
    return found


def _holders_sql(count: int) -> str:
    """`holders_of`'s statement for `count` numbers, built once per count and database: an import asks it twice per
    batch of thousands of rows, and building a 500-number IN list with peewee took longer than running it."""
    key = (count, database.param, type(database.obj))
    if key not in _HOLDERS_SQL:
        query = (
            Resident.select(Resident.id, Resident.name, Resident.phone, Household.building, Household.unit,
                            Household.room)
            .join(Household, peewee.JOIN.LEFT_OUTER, on=(Resident.household == Household.id))
            .where(Resident.phone.in_([f"+{n}" for n in range(count)]) & ~Resident.id.between(-1, -2))
            .order_by(Resident.id)
        )  # fmt: skip
        _HOLDERS_SQL[key] = query.sql()[0]
    return _HOLDERS_SQL[key]


_HOLDERS_SQL: dict[tuple[int, str, type], str] = {}


def _consecutive(ids: Sequence[int]) -> bool:
    return bool(ids) and ids[-1] - ids[0] == len(ids) - 1 and list(ids) == list(range(ids[0], ids[-1] + 1))


def other_household(holders: Sequence[Holder], name: str, address: Address | None) -> Holder | None:
    """The first of a phone's `holders` who stands in the way of registering `name` at `address` with it: the same
    person already registered (same name), or a resident of another household."""
    same = next((holder for holder in holders if holder.name == name), None)
    return same or next((holder for holder in holders if not may_share_phone(holder.address, address)), None)


class SheetPhones:
    """The phones of a sheet's rows read so far, to tell a household's shared phone from a number given twice."""

    def __init__(self) -> None:
        self._first: dict[str, tuple[int, Address | None]] = {}
        self._people: dict[tuple[str, str], int] = {}

    def clash(self, line: int, phone: str, name: str, address: Address | None) -> ValidationError | None:
        """Why row `line` may not have `phone` (None: it may), and the row remembered."""
        first, where = self._first.setdefault(phone, (line, address))
        again = self._people.setdefault((phone, name), line)
        if again != line:
            return ValidationError("import.phone_on_line_same_name", phone=phone, line=again)
        if first != line and not may_share_phone(where, address):
            elsewhere = where is not None and address is not None
            key = "import.phone_on_line_elsewhere" if elsewhere else "import.phone_on_line"
            return ValidationError(key, phone=phone, line=first)
        return None


def first_asked_on_phone(round_id: int) -> peewee.ColumnBase:
    """Of the residents asked in round `round_id`, those with nobody on the same phone asked before them (a lower
    id; by SMS, that is other than at the door): a household that shares a phone gets the check-in prompt once. One
    index lookup per resident (`resident.phone`, then the round's ask), so it costs a round next to nothing."""
    # Nested, not joined: joined, SQLite would walk every earlier ask of the round for each resident.
    sharer = Resident.alias("sharer")
    sharer_ask = CheckinAsk.alias("sharer_ask")
    texted = sharer_ask.select(peewee.SQL("1")).where(
        (sharer_ask.round == round_id) & (sharer_ask.resident == sharer.id) & (sharer_ask.stage != "door_knock")
    )
    earlier = sharer.select(peewee.SQL("1")).where(
        (sharer.phone == Resident.phone) & (sharer.id < Resident.id) & peewee.fn.EXISTS(texted)
    )
    return ~peewee.fn.EXISTS(earlier)


SHARED_AT_MOST = 500  # shared numbers named in a statement; beyond, every row is looked at (`only_for_shared`)


def shared_numbers() -> list[str]:
    """The phone numbers more than one resident gives (a household that shares one): usually none or a few."""
    query = Resident.select(Resident.phone).where(Resident.phone.is_null(False)).group_by(Resident.phone)
    return [phone for (phone,) in query.having(peewee.fn.COUNT(Resident.id) > 1).tuples()]


def only_for_shared(condition: peewee.ColumnBase) -> peewee.ColumnBase:
    """`condition` about a resident's phone, looked at only for the numbers residents share (read once): a row
    per resident of a large round would otherwise pay for a check nearly none of them needs."""
    shared = shared_numbers()
    if not shared:
        return peewee.SQL("1 = 1")
    if len(shared) > SHARED_AT_MOST:
        return condition
    return Resident.phone.not_in(shared) | condition


def first_silent_on_phone() -> peewee.ColumnBase:
    """Of the asks a ladder step reminds (joined to their residents), those with nobody on the same phone before them
    (a lower id) still silent in the same round, reminded in this step or waiting to be: a household that shares a
    phone gets one reminder, and once one of them has answered, the others' reminder still comes."""
    sharer = Resident.alias("sharer")
    sharer_ask = CheckinAsk.alias("sharer_ask")
    silent = sharer_ask.select(peewee.SQL("1")).where(
        (sharer_ask.round == CheckinAsk.round)
        & (sharer_ask.resident == sharer.id)
        & sharer_ask.stage.in_(("asked", "reminded"))
    )
    earlier = sharer.select(peewee.SQL("1")).where(
        (sharer.phone == Resident.phone) & (sharer.id < Resident.id) & peewee.fn.EXISTS(silent)
    )
    return ~peewee.fn.EXISTS(earlier)


SILENT_STAGES = ("asked", "reminded", "called")  # on the ladder and reached by phone


def covered_by_a_sharer(asks: Iterable[tuple[int, int, int, str | None]]) -> set[int]:
    """Of `asks` (ask id, round id, resident id, phone), those whose resident shares the phone with somebody before
    them (a lower id) still silent in the same round: that one's call asks every resident still waiting on the
    phone (ivr.flows.ask_each), so theirs need not ring again. One query for the phones of the batch."""
    wanted = [(ask_id, round_id, resident_id, phone) for ask_id, round_id, resident_id, phone in asks if phone]
    if not wanted:
        return set()
    first = dict(
        ((round_id, phone), resident_id)
        for round_id, phone, resident_id in CheckinAsk.select(
            CheckinAsk.round, Resident.phone, peewee.fn.MIN(Resident.id)
        )
        .join(Resident, on=(CheckinAsk.resident == Resident.id))
        .where(
            Resident.phone.in_(sorted({phone for *_, phone in wanted}))
            & CheckinAsk.round.in_(sorted({round_id for _, round_id, _, _ in wanted}))
            & CheckinAsk.stage.in_(SILENT_STAGES)
        )
        .group_by(CheckinAsk.round, Resident.phone)
        .tuples()
    )
    return {
        ask_id
        for ask_id, round_id, resident_id, phone in wanted
        if first.get((round_id, phone), resident_id) < resident_id
    }


def deadline_text(due_at: datetime, zone: ZoneInfo) -> str:
    """A due time as a volunteer reads it: '12:00' today, '11-21 09:00' another day."""
    local = to_local(due_at, zone)
    if local.date() == local_date(utcnow(), zone):
        return local.strftime("%H:%M")
    return local.strftime("%m-%d %H:%M")
