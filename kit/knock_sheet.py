"""The door-knock sheet's content: what a volunteer carries on paper, as data, in the community's language.

`knock_sheet` turns the day's door-knock list (kit.checkin.door_knock_list) into pages, one per volunteer, each a
list of flats to visit in walking order, every resident to see there listed under the flat. kit.knock_sheet_render
writes it as PDF, HTML or plain text; nothing here knows about either.

Decisions:
- One visit per flat: residents of one household are one row group, so a volunteer knocks once and ticks a result
  for each person they see there.
- Walking order is building, unit, floor, room, compared as numbers (1-1-301 before 1-1-1002), by `natural_key`.
  Room numbers carry their floor (301 is the 3rd floor, 1002 the 10th), so comparing rooms as numbers orders
  floors first without guessing where a floor ends; a room written with letters ("B12") still sorts.
- Every piece of outside text (names, phones, grids, addresses) goes through kit.plaintext.visible here, once, so
  no renderer can put a terminal escape or a right-to-left override on paper or on screen.
- The words come from data/ui/<language>.toml's [sheet] table, in the community's language unless one is asked.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Final
from zoneinfo import ZoneInfo

from kit import ui_words
from kit.checkin import DoorKnock, door_knock_list
from kit.clock import utcnow
from kit.community import community_zone, get_community
from kit.errors import NotFound
from kit.localtime import local_date
from kit.models import Grid, Household, Resident
from kit.people import deadline_text
from kit.phones import display_phone
from kit.plaintext import visible

RESULTS: Final = ("well", "unwell", "temperature", "nobody", "help")
"""The outcomes a volunteer ticks for each resident, in the order printed."""

_NUMBER: Final = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[tuple[int, int, str], ...], str]:
    """A sort key that compares the runs of digits in `text` as numbers: "301" < "1002", "B2" < "B10".

    Text runs compare case-insensitively; numbers come before letters at the same place; the text itself breaks
    the remaining ties ("0301" and "301"), so the order is total and the same on every run."""
    parts = []
    for index, piece in enumerate(_NUMBER.split(text.strip())):
        if not piece:
            continue
        if index % 2:  # a run of digits (Chinese full-width digits too: int() reads them)
            parts.append((0, int(piece), ""))
        else:
            parts.append((1, 0, piece.casefold()))
    return tuple(parts), text


@dataclass(frozen=True)
class Person:
    """A resident to see at a flat."""

    name: str
    phone: str  # their own number, or "" without one
    second_contact: str  # a family member's number, or ""
    reason: str  # why they are on the sheet, in words
    task_id: int | None


@dataclass(frozen=True)
class Flat:
    """One visit: an address and everybody to see there."""

    grid: str
    address: str
    deadline: str  # local "HH:MM" (or "MM-DD HH:MM" another day), "" without one
    overdue: bool
    people: tuple[Person, ...]


@dataclass(frozen=True)
class Page:
    """One volunteer's visits."""

    volunteer: str  # the name, or the words for "not assigned yet"
    grids: tuple[str, ...]
    deadline: str  # the earliest of the page's deadlines
    flats: tuple[Flat, ...]

    @property
    def people(self) -> int:
        return sum(len(flat.people) for flat in self.flats)


@dataclass(frozen=True)
class KnockSheet:
    """The whole sheet: a page per volunteer, with the words every renderer needs."""

    language: str
    community: str
    day: date
    grid: str | None  # the one grid asked for, or None for all
    pages: tuple[Page, ...]

    def word(self, key: str, **values: object) -> str:
        """A word of the sheet ("sheet.title", "sheet.result.well", ...) in the sheet's language."""
        return ui_words.text(self.language, f"sheet.{key}", **values)

    def labelled(self, label: str, value: str) -> str:
        """ "日期：2026-11-20" / "Date: 2026-11-20": a word of the sheet and its value."""
        return self.word("labelled", label=self.word(label), value=value)

    def result_words(self) -> tuple[str, ...]:
        return tuple(self.word(f"result.{result}") for result in RESULTS)


def flat_order(building: str, unit: str, room: str) -> tuple[object, ...]:
    """The walking order of an address: building, unit, then floor and room (both in the room number)."""
    return natural_key(building), natural_key(unit), natural_key(room)


def knock_sheet(local_day: date | None = None, grid: str | None = None, language: str | None = None) -> KnockSheet:
    """The door-knock sheet of `local_day` (today by default), for one grid or all, in `language` (by default the
    community's)."""
    community = get_community()
    zone = community_zone()
    words = ui_words.base_language(language or community.language)
    day = local_day or local_date(utcnow(), zone)
    if grid is not None and not Grid.select().where(Grid.name == grid).exists():
        names = [visible(name) for (name,) in Grid.select(Grid.name).order_by(Grid.name).tuples()]
        message = ui_words.text(words, "sheet.no_grid", grid=visible(grid), grids=", ".join(names) or "-")
        raise NotFound(message)
    visits = door_knock_list(day, grid)
    homes = _homes([visit.resident_id for visit in visits])
    by_volunteer: dict[str, list[DoorKnock]] = defaultdict(list)
    for visit in visits:
        by_volunteer[visit.volunteer].append(visit)
    pages = [
        _page(name, mine, homes, words, zone)
        for name, mine in sorted(by_volunteer.items(), key=lambda item: (item[0] == "", natural_key(item[0])))
    ]
    return KnockSheet(
        language=words,
        community=visible(community.name),
        day=day,
        grid=visible(grid) if grid else None,
        pages=tuple(pages),
    )


_Home = tuple[int, str, str, str]  # household id (0 without one), building, unit, room


def _homes(resident_ids: list[int]) -> dict[int, _Home]:
    """Each resident's household and its address parts, in one query."""
    rows = (
        Resident.select(Resident.id, Household.id, Household.building, Household.unit, Household.room)
        .join(Household, on=(Resident.household == Household.id))
        .where(Resident.id.in_(resident_ids))
        .tuples()
    )
    return {rid: (hid, building or "", unit or "", room or "") for rid, hid, building, unit, room in rows}


def _page(volunteer: str, visits: list[DoorKnock], homes: dict[int, _Home], language: str, zone: ZoneInfo) -> Page:
    flats: dict[tuple[str, int | str], list[DoorKnock]] = defaultdict(list)
    for visit in visits:
        home = homes.get(visit.resident_id)
        # Residents without a household are visits of their own.
        flats[(visit.grid or "", home[0] if home and home[0] else f"resident:{visit.resident_id}")].append(visit)

    def order(key: tuple[str, int | str]) -> tuple[object, ...]:
        first = flats[key][0]
        _, building, unit, room = homes.get(first.resident_id, (0, "", "", ""))
        return natural_key(key[0]), flat_order(building, unit, room), natural_key(first.name)

    rows = [_flat(flats[key], language, zone) for key in sorted(flats, key=order)]
    due = [visit.due_at for visit in visits if visit.due_at is not None]
    return Page(
        volunteer=visible(volunteer) if volunteer else ui_words.text(language, "sheet.unassigned"),
        grids=tuple(sorted({flat.grid for flat in rows if flat.grid}, key=natural_key)),
        deadline=deadline_text(min(due), zone) if due else "",
        flats=tuple(rows),
    )


def _flat(visits: list[DoorKnock], language: str, zone: ZoneInfo) -> Flat:
    first = visits[0]
    due = [visit.due_at for visit in visits if visit.due_at is not None]
    people = tuple(
        Person(
            name=visible(visit.name),
            phone=visible(display_phone(visit.phone)),
            second_contact=visible(display_phone(visit.second_phone)),
            reason=ui_words.text(language, f"sheet.reason.{visit.reason}"),
            task_id=visit.task_id,
        )
        for visit in sorted(visits, key=lambda v: natural_key(v.name))
    )
    return Flat(
        grid=visible(first.grid or ""),
        address=visible(first.address),
        deadline=deadline_text(min(due), zone) if due else "",
        overdue=any(visit.overdue for visit in visits),
        people=people,
    )
