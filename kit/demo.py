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

import dataclasses
import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate, count
from typing import TypeVar
from zoneinfo import ZoneInfo

import data
from kit import audit, clock
from kit.bulk import insert_rows, reserve_ids
from kit.community import init_community
from kit.db import transaction
from kit.errors import Conflict, ValidationError
from kit.importer import store_residents
from kit.models import Community, Grid, Resident, Volunteer, VolunteerGrid
from kit.residents import ResidentRecord
from kit.volunteers import SKILLS

DEMO_COMMUNITY = ("幸福里社区（演示）", "CN", "Asia/Shanghai", ["zh", "en"])
AS_OF_YEAR = 2026
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
ELDERLY_ALONE = 0.08
ENGLISH = 0.02
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

# Households other than the elderly living alone, by relative weight.
HOUSEHOLD_KINDS = {
    "single": 12,
    "couple": 16,
    "elderly_couple": 26,
    "family": 22,
    "three_generations": 14,
    "elderly_with_child": 8,
}
ENGLISH_KINDS = ("single", "couple", "family")
# Buildings: (floors, units, relative weight); two flats per floor, rooms 101 ... 1802.
BUILDING_TYPES = ((6, 4, 6), (7, 3, 1), (11, 2, 2), (18, 2, 1))
OCCUPIED = 0.92
SKILL_WEIGHTS = (5, 2, 1.5, 2)  # errands, medical, counselling, driving

T = TypeVar("T")


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
        return dataclasses.asdict(self)


@dataclass(slots=True)
class _Person:
    age: int
    sex: str  # "m" or "f"
    keeps_surname: bool  # takes the household's surname (the first adult and the children)
    name: str = ""
    language: str = "zh"
    tags: tuple[str, ...] = ()  # in the order they were given
    second_phone: str | None = None
    monitoring: str = "none"
    monitoring_until: date | None = None


@dataclass(slots=True)
class _Household:
    kind: str
    members: list[_Person]
    grid: str = ""
    building: str = ""
    unit: str = ""
    room: str = ""


def generate_demo(residents: int, seed: int = 7, *, actor: str = "demo") -> DemoSummary:
    """Fill an empty register with a demo community of `residents` people (creating the community if there is
    none); the same seed gives the same community. Raises Conflict when the database already holds residents."""
    if not 1 <= residents <= MAX_RESIDENTS:
        raise ValidationError(f"Ask for between 1 and {MAX_RESIDENTS:,} residents.", field="residents")
    rng = random.Random(seed)
    with transaction():
        registered = Resident.select().count()
        if registered:
            raise Conflict(
                f"This database already has residents ({registered:,}); demo data only goes into an empty "
                "register. Use another --db for the demo community."
            )
        community = Community.select().first()
        if community is None:
            name, region, zone, languages = DEMO_COMMUNITY
            community = init_community(name, region, zone, languages, actor=actor)
        today = clock.now().astimezone(ZoneInfo(community.timezone)).date()
        households = _draw_households(rng, residents, english="en" in community.language_list)
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


# --- households and names -----------------------------------------------------------------------------------


def _draw_households(rng: random.Random, residents: int, *, english: bool) -> list[_Household]:
    """Households totalling `residents` people, in a shuffled order, everybody named."""
    households = [
        _Household("elderly_alone", _members(rng, "elderly_alone")) for _ in range(_share(residents, ELDERLY_ALONE))
    ]
    kinds, weights = list(HOUSEHOLD_KINDS), list(accumulate(HOUSEHOLD_KINDS.values()))
    left = residents - len(households)
    while left > 0:
        kind = _weighted(rng, kinds, weights)
        members = _members(rng, kind)[:left]
        households.append(_Household(kind, members))
        left -= len(members)
    rng.shuffle(households)
    speaking_english = _english_households(rng, households, _share(residents, ENGLISH)) if english else set()
    names = _names()
    for index, household in enumerate(households):
        names.name_household(rng, household.members, english=index in speaking_english)
    return households


def _members(rng: random.Random, kind: str) -> list[_Person]:
    """The people of one household as (age, sex, keeps the household's surname); an older neighbourhood, so
    elderly ages lean towards their lower end."""

    def age(low: int, high: int, mode: int) -> int:
        return round(rng.triangular(low, high, mode))

    def sex() -> str:
        return rng.choice("mf")

    def wife(husband: int, youngest: int) -> _Person:
        return _Person(max(youngest, husband - rng.randint(-2, 5)), "f", False)

    if kind == "elderly_alone":  # women outlive men
        return [_Person(age(72, 98, 78), "f" if rng.random() < 0.7 else "m", True)]
    if kind == "single":
        return [_Person(age(22, 69, 28), sex(), True)]  # young renters, the divorced, the widowed
    if kind in ("couple", "elderly_couple"):  # mostly couples whose children have moved out
        husband = age(24, 66, 54) if kind == "couple" else age(58, 93, 66)
        return [_Person(husband, "m", True), wife(husband, 22)]
    if kind == "elderly_with_child":  # a widowed parent and a grown child who stayed
        parent = age(70, 96, 78)
        return [_Person(parent, sex(), True), _Person(parent - rng.randint(24, 34), sex(), True)]
    if kind == "family":  # children from babies to grown-ups still living at home
        father = rng.randint(30, 60)
        children = rng.choice((1, 1, 1, 2))
        ages = [rng.randint(max(0, father - 40), min(30, father - 24)) for _ in range(children)]
        return [_Person(father, "m", True), wife(father, 24), *(_Person(a, sex(), True) for a in ages)]
    if kind == "three_generations":  # grandparents or a grandmother, their son's family, one grandchild
        father = rng.randint(30, 50)
        grandfather = father + rng.randint(24, 32)
        child = _Person(rng.randint(0, min(20, father - 24)), sex(), True)
        if rng.random() < 0.5:
            return [_Person(grandfather, "m", True), wife(grandfather, 50), _Person(father, "m", True), child]
        parents = [_Person(father, "m", True), wife(father, 24)][: rng.choice((1, 2))]
        return [_Person(grandfather - rng.randint(-2, 5), "f", False), *parents, child]
    raise ValueError(f"unknown household kind {kind!r}")


def _english_households(rng: random.Random, households: Sequence[_Household], wanted: int) -> set[int]:
    """Indexes of younger households that speak English, about `wanted` people in all."""
    candidates = [index for index, household in enumerate(households) if household.kind in ENGLISH_KINDS]
    rng.shuffle(candidates)
    chosen: set[int] = set()
    people = 0
    for index in candidates:
        size = len(households[index].members)
        if people + size <= wanted:
            chosen.add(index)
            people += size
        if people >= wanted:
            break
    return chosen


@dataclass(frozen=True)
class _Names:
    surnames: list[str]
    surname_weights: list[float]  # cumulative, by rank
    given: dict[tuple[str, str], list[str]]  # (sex, generation) -> given names
    english_given: dict[str, list[str]]  # sex -> given names
    english_surnames: list[str]

    def chinese(self, rng: random.Random, sex: str, age: int, surname: str | None = None) -> str:
        family = surname or _weighted(rng, self.surnames, self.surname_weights)
        generation = "old" if AS_OF_YEAR - age < 1975 else "new"
        return family + rng.choice(self.given[sex, generation])

    def name_household(self, rng: random.Random, members: Sequence[_Person], *, english: bool) -> None:
        if english:
            surname = rng.choice(self.english_surnames)
            for person in members:
                person.name = f"{rng.choice(self.english_given[person.sex])} {surname}"
                person.language = "en"
            return
        surname = _weighted(rng, self.surnames, self.surname_weights)
        for person in members:
            person.name = self.chinese(rng, person.sex, person.age, surname if person.keeps_surname else None)


@lru_cache(maxsize=1)
def _names() -> _Names:
    surnames = _lines("surnames.txt")
    given: dict[tuple[str, str], list[str]] = {}
    for line in _lines("given_names.txt"):
        name, sex, generation = line.split()
        given.setdefault((sex, generation), []).append(name)
    english_given: dict[str, list[str]] = {}
    for line in _lines("english_given_names.txt"):
        name, sex = line.split()
        english_given.setdefault(sex, []).append(name)
    return _Names(
        surnames=surnames,
        surname_weights=list(accumulate(1 / (rank + 3) for rank in range(len(surnames)))),
        given=given,
        english_given=english_given,
        english_surnames=_lines("english_surnames.txt"),
    )


def _lines(file_name: str) -> list[str]:
    """The entries of a word list in data/demo: one a line, blank lines and # comments skipped."""
    lines = (line.strip() for line in data.read_text("demo", file_name).splitlines())
    return [line for line in lines if line and not line.startswith("#")]


# --- grids and addresses ------------------------------------------------------------------------------------


def _lay_out(rng: random.Random, households: Sequence[_Household], grid_count: int) -> list[str]:
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


def _mark_needs(rng: random.Random, households: Sequence[_Household], people: Sequence[_Person], today: date) -> None:
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
        for person in _pick(rng, pool, _share(total, share)):
            person.tags += (tag,)
    for number, household in enumerate(households, start=1):
        for person in household.members:
            if "no-phone" in person.tags or (person.age >= 65 and rng.random() < SECOND_CONTACT_OF_65_PLUS):
                person.second_phone = f"+{FAMILY_PHONES + number}"
    quarantined = _share(total, HOME_QUARANTINE, 3)
    reachable = [p for p in people if "no-phone" not in p.tags]
    for index, person in enumerate(_pick(rng, reachable, quarantined + _share(total, CLOSE_CONTACT, 2))):
        person.monitoring = "home_quarantine" if index < quarantined else "close_contact"
        person.monitoring_until = today + timedelta(days=rng.randint(3, 14))


def _weighted(rng: random.Random, items: Sequence[T], cum_weights: Sequence[float]) -> T:
    """One of `items` by cumulative weight: what `rng.choices(items, cum_weights=...)[0]` picks, without its
    overhead (it runs for every resident)."""
    return items[bisect(cum_weights, rng.random() * cum_weights[-1])]


def _pick(rng: random.Random, pool: Sequence[_Person], wanted: int) -> list[_Person]:
    return rng.sample(pool, min(wanted, len(pool)))


def _share(total: int, rate: float, minimum: int = 0) -> int:
    return max(minimum, round(total * rate))


def _records(households: Sequence[_Household]) -> list[ResidentRecord]:
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
    names = _names()
    now = clock.utcnow()
    ids = reserve_ids(Volunteer, wanted)
    volunteers: list[tuple[object, ...]] = []
    coverage: list[tuple[int, int]] = []
    for offset in range(wanted):
        volunteer_id = ids[offset]
        skills = {rng.choices(SKILLS, SKILL_WEIGHTS)[0] for _ in range(rng.choice((1, 1, 2)))}
        name = names.chinese(rng, rng.choice("mf"), rng.randint(19, 68))
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
