"""The demo community's people: households of one to four, their ages and sexes, and their names.

Everything is drawn from the `random.Random` the caller passes, so a seed always gives the same people. Ages are
drawn as of `AS_OF_YEAR`, not the clock's year, for the same reason. Names are composed from the word lists in
`data/demo`. `kit.demo` lays the households out in grids, marks their needs and stores them.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import accumulate
from typing import TypeVar

import data

AS_OF_YEAR = 2026
# Shares of all residents.
ELDERLY_ALONE = 0.08
ENGLISH = 0.02
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

T = TypeVar("T")


@dataclass(slots=True)
class DemoPerson:
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
class DemoHousehold:
    kind: str
    members: list[DemoPerson]
    grid: str = ""
    building: str = ""
    unit: str = ""
    room: str = ""


def draw_households(rng: random.Random, residents: int, *, english: bool) -> list[DemoHousehold]:
    """Households totalling `residents` people, in a shuffled order, everybody named."""
    households = [
        DemoHousehold("elderly_alone", _members(rng, "elderly_alone"))
        for _ in range(share_of(residents, ELDERLY_ALONE))
    ]
    kinds, weights = list(HOUSEHOLD_KINDS), list(accumulate(HOUSEHOLD_KINDS.values()))
    left = residents - len(households)
    while left > 0:
        kind = weighted(rng, kinds, weights)
        members = _members(rng, kind)[:left]
        households.append(DemoHousehold(kind, members))
        left -= len(members)
    rng.shuffle(households)
    speaking_english = _english_households(rng, households, share_of(residents, ENGLISH)) if english else set()
    namer = names()
    for index, household in enumerate(households):
        namer.name_household(rng, household.members, english=index in speaking_english)
    return households


def _members(rng: random.Random, kind: str) -> list[DemoPerson]:
    """The people of one household as (age, sex, keeps the household's surname); an older neighbourhood, so
    elderly ages lean towards their lower end."""

    def age(low: int, high: int, mode: int) -> int:
        return round(rng.triangular(low, high, mode))

    def sex() -> str:
        return rng.choice("mf")

    def wife(husband: int, youngest: int) -> DemoPerson:
        return DemoPerson(max(youngest, husband - rng.randint(-2, 5)), "f", False)

    if kind == "elderly_alone":  # women outlive men
        return [DemoPerson(age(72, 98, 78), "f" if rng.random() < 0.7 else "m", True)]
    if kind == "single":
        return [DemoPerson(age(22, 69, 28), sex(), True)]  # young renters, the divorced, the widowed
    if kind in ("couple", "elderly_couple"):  # mostly couples whose children have moved out
        husband = age(24, 66, 54) if kind == "couple" else age(58, 93, 66)
        return [DemoPerson(husband, "m", True), wife(husband, 22)]
    if kind == "elderly_with_child":  # a widowed parent and a grown child who stayed
        parent = age(70, 96, 78)
        return [DemoPerson(parent, sex(), True), DemoPerson(parent - rng.randint(24, 34), sex(), True)]
    if kind == "family":  # children from babies to grown-ups still living at home
        father = rng.randint(30, 60)
        children = rng.choice((1, 1, 1, 2))
        ages = [rng.randint(max(0, father - 40), min(30, father - 24)) for _ in range(children)]
        return [DemoPerson(father, "m", True), wife(father, 24), *(DemoPerson(a, sex(), True) for a in ages)]
    if kind == "three_generations":  # grandparents or a grandmother, their son's family, one grandchild
        father = rng.randint(30, 50)
        grandfather = father + rng.randint(24, 32)
        child = DemoPerson(rng.randint(0, min(20, father - 24)), sex(), True)
        if rng.random() < 0.5:
            return [DemoPerson(grandfather, "m", True), wife(grandfather, 50), DemoPerson(father, "m", True), child]
        parents = [DemoPerson(father, "m", True), wife(father, 24)][: rng.choice((1, 2))]
        return [DemoPerson(grandfather - rng.randint(-2, 5), "f", False), *parents, child]
    raise ValueError(f"unknown household kind {kind!r}")


def _english_households(rng: random.Random, households: Sequence[DemoHousehold], wanted: int) -> set[int]:
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
class Names:
    surnames: list[str]
    surname_weights: list[float]  # cumulative, by rank
    given: dict[tuple[str, str], list[str]]  # (sex, generation) -> given names
    english_given: dict[str, list[str]]  # sex -> given names
    english_surnames: list[str]

    def chinese(self, rng: random.Random, sex: str, age: int, surname: str | None = None) -> str:
        family = surname or weighted(rng, self.surnames, self.surname_weights)
        generation = "old" if AS_OF_YEAR - age < 1975 else "new"
        return family + rng.choice(self.given[sex, generation])

    def name_household(self, rng: random.Random, members: Sequence[DemoPerson], *, english: bool) -> None:
        if english:
            surname = rng.choice(self.english_surnames)
            for person in members:
                person.name = f"{rng.choice(self.english_given[person.sex])} {surname}"
                person.language = "en"
            return
        surname = weighted(rng, self.surnames, self.surname_weights)
        for person in members:
            person.name = self.chinese(rng, person.sex, person.age, surname if person.keeps_surname else None)


@lru_cache(maxsize=1)
def names() -> Names:
    surnames = _lines("surnames.txt")
    given: dict[tuple[str, str], list[str]] = {}
    for line in _lines("given_names.txt"):
        name, sex, generation = line.split()
        given.setdefault((sex, generation), []).append(name)
    english_given: dict[str, list[str]] = {}
    for line in _lines("english_given_names.txt"):
        name, sex = line.split()
        english_given.setdefault(sex, []).append(name)
    return Names(
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


def weighted(rng: random.Random, items: Sequence[T], cum_weights: Sequence[float]) -> T:
    """One of `items` by cumulative weight: what `rng.choices(items, cum_weights=...)[0]` picks, without its
    overhead (it runs for every resident)."""
    return items[bisect(cum_weights, rng.random() * cum_weights[-1])]


def share_of(total: int, rate: float, minimum: int = 0) -> int:
    return max(minimum, round(total * rate))
