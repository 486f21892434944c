"""The demo community: a believable, clearly fictional neighbourhood to demo, train and benchmark with.

`generate_demo(2000)` fills an empty register the way an older Chinese neighbourhood looks: grids (网格) of walk-up
buildings and a few towers, households of one to four people, many elderly residents (8% of residents are elderly
people living alone), a few without a phone (they go on the door-knock list), a few English-speaking households and
a handful of people under home quarantine; then volunteers for the grids.

Names are composed from the word lists in `data/demo`; phone numbers come from obviously made-up sequential blocks.
Everything is drawn from `random.Random(seed)`, so a seed always gives the same community; only the monitoring end
dates follow the kit's clock. Ages are drawn as of `AS_OF_YEAR` for the same reason.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from kit import audit, clock
from kit.bulk import insert_rows, reserve_ids
from kit.community import init_community
from kit.db import transaction
from kit.demo_households import AS_OF_YEAR, DemoHousehold, DemoPerson, draw_households, names, share_of
from kit.errors import Conflict, ValidationError
from kit.importer import store_residents
from kit.jsonable import record_dict
from kit.models import Community, Grid, Resident, Volunteer, VolunteerGrid
from kit.residents import ResidentRecord
from kit.volunteers import SKILLS

DEMO_COMMUNITY = ("幸福里社区（演示）", "CN", "Asia/Shanghai", ["zh", "en"])
MAX_RESIDENTS = 1_000_000

RESIDENTS_PER_GRID = 250
RESIDENTS_PER_VOLUNTEER = 40
MIN_GRIDS = 3
MIN_VOLUNTEERS = 3

# Made-up sequential blocks: resident n, the family contact of household n, volunteer n.
RESIDENT_PHONES = 8613900000000
FAMILY_PHONES = 8613700000000
VOLUNTEER_PHONES = 8613600000000

# Shares of all residents.
NO_PHONE = 0.03
CANNOT_READ = 0.03
DISABLED = 0.02
PREGNANT = 0.01
HOME_QUARANTINE = 0.003
CLOSE_CONTACT = 0.002
# Shares of a group.
CHRONIC_OF_60_PLUS = 0.3
SECOND_CONTACT_OF_65_PLUS = 0.85
VERY_OLD_AGE = 80

# Buildings: (floors, units, relative weight); two flats per floor, rooms 101 ... 1802.
BUILDING_TYPES = ((6, 4, 6), (7, 3, 1), (11, 2, 2), (18, 2, 1))
OCCUPIED = 0.92
SKILL_WEIGHTS = (5, 2, 1.5, 2)  # errands, medical, counselling, driving


@dataclass(frozen=True)
class DemoSummary:
    residents: int
    households: int
    grids: int
    volunteers: int
    elderly_alone: int
    no_phone: int
    home_quarantine: int

    def as_dict(self) -> dict[str, int]:
        return record_dict(self)


def generate_demo(residents: int, seed: int = 7, *, actor: str = "demo") -> DemoSummary:
    """Fill an empty register with a demo community of `residents` people (creating the community if there is
    none); the same seed gives the same community. Raises Conflict when the database already holds residents."""
    if not 1 <= residents <= MAX_RESIDENTS:
        raise ValidationError("demo.how_many", field="residents", most=MAX_RESIDENTS)
    rng = random.Random(seed)
    with transaction():
        registered = Resident.select().count()
        if registered:
            raise Conflict("demo.not_empty", count=registered)
        community = Community.select().first()
        if community is None:
            name, region, zone, languages = DEMO_COMMUNITY
            community = init_community(name, region, zone, languages, actor=actor)
        today = clock.now().astimezone(ZoneInfo(community.timezone)).date()
        households = draw_households(rng, residents, english="en" in community.language_list)
        grids = _lay_out(rng, households, max(MIN_GRIDS, round(residents / RESIDENTS_PER_GRID)))
        people = [person for household in households for person in household.members]
        _mark_needs(rng, households, people, today)
        store_residents(_records(households))
        volunteers = _add_volunteers(rng, max(MIN_VOLUNTEERS, round(residents / RESIDENTS_PER_VOLUNTEER)), grids)
        summary = DemoSummary(
            residents=len(people),
            households=len(households),
            grids=len(grids),
            volunteers=volunteers,
            elderly_alone=sum("elderly-alone" in p.tags for p in people),
            no_phone=sum("no-phone" in p.tags for p in people),
            home_quarantine=sum(p.monitoring == "home_quarantine" for p in people),
        )
        audit.record(actor, "demo-data", "community", community.id, seed=seed, **summary.as_dict())
    return summary


# --- grids and addresses ------------------------------------------------------------------------------------


def _lay_out(rng: random.Random, households: Sequence[DemoHousehold], grid_count: int) -> list[str]:
    """Split the households into grids (contiguous blocks) and give each a flat in the grid's own buildings;
    building numbers run on across the community. Returns the grid names."""
    grid_count = min(grid_count, len(households))
    grids = [f"第{number}网格" for number in range(1, grid_count + 1)]
    next_building = 1
    for index, grid in enumerate(grids):
        block = households[len(households) * index // grid_count : len(households) * (index + 1) // grid_count]
        for household, (building, unit, room) in zip(block, _flats(rng, next_building)):
            household.grid, household.building, household.unit, household.room = grid, building, unit, room
        next_building = int(block[-1].building) + 1
    return grids


def _flats(rng: random.Random, first_building: int) -> Iterator[tuple[str, str, str]]:
    """Occupied flats (building, unit, room), building after building, from `first_building` on."""
    shapes = [(floors, units) for floors, units, _ in BUILDING_TYPES]
    weights = [weight for _, _, weight in BUILDING_TYPES]
    for building in count(first_building):
        floors, units = rng.choices(shapes, weights)[0]
        for unit in range(1, units + 1):
            for floor in range(1, floors + 1):
                for door in (1, 2):
                    if rng.random() < OCCUPIED:
                        yield str(building), str(unit), f"{floor}{door:02d}"


# --- needs, contacts and monitoring ------------------------------------------------------------------------


def _mark_needs(
    rng: random.Random, households: Sequence[DemoHousehold], people: Sequence[DemoPerson], today: date
) -> None:
    """Tags, family contacts, home quarantine and close contacts."""
    total = len(people)
    for household in households:
        if household.kind == "elderly_alone":
            household.members[0].tags += ("elderly-alone",)
    for person in people:
        if person.age >= VERY_OLD_AGE:
            person.tags += ("very-old",)
        if person.age >= 60 and rng.random() < CHRONIC_OF_60_PLUS:
            person.tags += ("chronic",)
    mothers = [
        p
        for h in households
        if h.kind in ("couple", "family", "three_generations")
        for p in h.members
        if p.sex == "f" and 22 <= p.age <= 40
    ]
    older_chinese = [p for p in people if p.language == "zh" and p.age >= 65]
    for tag, pool, share in (
        ("disabled", people, DISABLED),
        ("pregnant", mothers, PREGNANT),
        ("cannot-read", older_chinese, CANNOT_READ),
        ("no-phone", [p for p in older_chinese if p.age >= 70], NO_PHONE),
    ):
        for person in _pick(rng, pool, share_of(total, share)):
            person.tags += (tag,)
    for number, household in enumerate(households, start=1):
        for person in household.members:
            if "no-phone" in person.tags or (person.age >= 65 and rng.random() < SECOND_CONTACT_OF_65_PLUS):
                person.second_phone = f"+{FAMILY_PHONES + number}"
    quarantined = share_of(total, HOME_QUARANTINE, 3)
    reachable = [p for p in people if "no-phone" not in p.tags]
    for index, person in enumerate(_pick(rng, reachable, quarantined + share_of(total, CLOSE_CONTACT, 2))):
        person.monitoring = "home_quarantine" if index < quarantined else "close_contact"
        person.monitoring_until = today + timedelta(days=rng.randint(3, 14))


def _pick(rng: random.Random, pool: Sequence[DemoPerson], wanted: int) -> list[DemoPerson]:
    return rng.sample(pool, min(wanted, len(pool)))


def _records(households: Sequence[DemoHousehold]) -> list[ResidentRecord]:
    """Valid records as they are: phones from the resident block (none for no-phone), monitored people yellow."""
    records: list[ResidentRecord] = []
    for household in households:
        for person in household.members:
            number = len(records) + 1
            records.append(
                ResidentRecord(
                    name=person.name,
                    phone=None if "no-phone" in person.tags else f"+{RESIDENT_PHONES + number}",
                    second_phone=person.second_phone,
                    grid=household.grid,
                    building=household.building,
                    unit=household.unit,
                    room=household.room,
                    language=person.language,
                    tags=person.tags,
                    birth_year=AS_OF_YEAR - person.age,
                    status="green" if person.monitoring == "none" else "yellow",
                    monitoring=person.monitoring,
                    monitoring_until=person.monitoring_until,
                    notes="",
                )
            )
    return records


# --- volunteers --------------------------------------------------------------------------------------------


def _add_volunteers(rng: random.Random, wanted: int, grids: Sequence[str]) -> int:
    """`wanted` volunteers in bulk, each covering one grid in turn (so every grid has some) and sometimes the
    next one too; phones from the volunteer block, skipping numbers already registered."""
    grid_ids = dict(Grid.select(Grid.name, Grid.id).where(Grid.name.in_(list(grids))).tuples())
    taken = {phone for (phone,) in Volunteer.select(Volunteer.phone).tuples()}
    phones = (phone for n in count(1) if (phone := f"+{VOLUNTEER_PHONES + n}") not in taken)
    namer = names()
    now = clock.utcnow()
    ids = reserve_ids(Volunteer, wanted)
    volunteers: list[tuple[object, ...]] = []
    coverage: list[tuple[int, int]] = []
    for offset in range(wanted):
        volunteer_id = ids[offset]
        skills = {rng.choices(SKILLS, SKILL_WEIGHTS)[0] for _ in range(rng.choice((1, 1, 2)))}
        name = namer.chinese(rng, rng.choice("mf"), rng.randint(19, 68))
        points = int(rng.random() ** 2 * 120)
        skill_text = ",".join(skill for skill in SKILLS if skill in skills)
        volunteers.append((volunteer_id, name, next(phones), "zh", skill_text, points, True, now))
        covered = [grids[offset % len(grids)]]
        if len(grids) > 1 and rng.random() < 0.3:
            covered.append(grids[(offset + 1) % len(grids)])
        coverage.extend((volunteer_id, grid_ids[grid]) for grid in covered)
    fields = [
        Volunteer.id, Volunteer.name, Volunteer.phone, Volunteer.language, Volunteer.skills, Volunteer.points,
        Volunteer.active, Volunteer.created_at,
    ]  # fmt: skip
    insert_rows(Volunteer, fields, volunteers)
    insert_rows(VolunteerGrid, [VolunteerGrid.volunteer, VolunteerGrid.grid], coverage)
    return wanted
