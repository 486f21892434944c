"""The demo community generator: deterministic, believable proportions, valid made-up numbers, sane structure."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import peewee
import pytest
from click.testing import CliRunner

from kit import db
from kit.community import init_community
from kit.demo import DemoSummary, generate_demo
from kit.errors import Conflict, ValidationError
from kit.models import AuditEntry, Community, Grid, Household, Resident, ResidentTag, Volunteer, VolunteerGrid
from kit.phones import normalize_phone
from kit.volunteers import SKILLS
from linli.cli.context import LinliGroup
from linli.cli.demo import demo_data

TODAY = date(2026, 11, 20)  # the fixed clock's local date in Shanghai
CLI = LinliGroup(commands=[demo_data])  # the command under the group class `linli` uses, which reports errors


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row the generator writes, in id order."""
    tables: list[type[peewee.Model]] = [Grid, Household, Resident, ResidentTag, Volunteer, VolunteerGrid]
    return {model.__name__: list(model.select().order_by(model.id).tuples()) for model in tables}


def tags_of() -> dict[int, set[str]]:
    tags: dict[int, set[str]] = {}
    for resident_id, tag in ResidentTag.select(ResidentTag.resident, ResidentTag.tag).tuples():
        tags.setdefault(resident_id, set()).add(tag)
    return tags


def reopen(path: Path) -> None:
    db.close()
    db.connect(path)


@pytest.fixture
def demo(community: Community) -> DemoSummary:
    return generate_demo(2000, seed=7)


# --- the community ------------------------------------------------------------------------------------------


def test_a_fresh_database_gets_the_demo_community(database: Path) -> None:
    summary = generate_demo(300)

    community = Community.get()
    assert (community.name, community.region, community.timezone, community.languages) == (
        "幸福里社区（演示）",
        "CN",
        "Asia/Shanghai",
        "zh,en",
    )
    assert summary.residents == Resident.select().count() == 300


def test_an_existing_community_is_filled_not_replaced(community: Community) -> None:
    generate_demo(300)

    assert [c.name for c in Community.select()] == ["幸福里社区"]
    assert Resident.select().count() == 300


def test_a_second_run_is_refused_and_writes_nothing(demo: DemoSummary) -> None:
    before = snapshot()
    audit_entries = AuditEntry.select().count()

    with pytest.raises(Conflict, match=r"already has residents \(2,000\)"):
        generate_demo(2000)

    assert snapshot() == before
    assert AuditEntry.select().count() == audit_entries


def test_the_number_of_residents_is_checked(community: Community) -> None:
    with pytest.raises(ValidationError, match="between 1 and 1,000,000"):
        generate_demo(0)


def test_one_audit_entry_records_the_whole_generation(demo: DemoSummary) -> None:
    entries = list(AuditEntry.select().where(AuditEntry.action == "demo-data"))

    assert len(entries) == 1
    assert entries[0].actor == "demo"
    assert json.loads(entries[0].detail) == {"seed": 7, **demo.as_dict()}


def test_a_tiny_community_still_has_grids_and_volunteers(community: Community) -> None:
    summary = generate_demo(5)

    assert summary.residents == 5
    assert 1 <= summary.grids <= summary.households <= 5
    assert summary.volunteers == 3
    assert Grid.select().count() == summary.grids


# --- determinism --------------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_rows(database: Path, tmp_path: Path) -> None:
    generate_demo(500, seed=11)
    first = snapshot()

    reopen(tmp_path / "again.sqlite3")
    generate_demo(500, seed=11)

    assert snapshot() == first
    assert len(first["Resident"]) == 500


def test_another_seed_gives_another_community(database: Path, tmp_path: Path) -> None:
    generate_demo(500, seed=11)
    first = [(r.name, r.birth_year) for r in Resident.select().order_by(Resident.id)]

    reopen(tmp_path / "other.sqlite3")
    generate_demo(500, seed=12)
    second = [(r.name, r.birth_year) for r in Resident.select().order_by(Resident.id)]

    assert len(second) == 500
    assert sum(a != b for a, b in zip(first, second)) > 400


# --- proportions (2,000 residents) ---------------------------------------------------------------------------


def test_summary_counts_match_the_register(demo: DemoSummary) -> None:
    assert demo.residents == 2000
    assert demo.grids == 8
    assert demo.volunteers == 50
    assert (demo.elderly_alone, demo.no_phone, demo.home_quarantine) == (160, 60, 6)
    assert demo.households == Household.select().count()
    assert 800 <= demo.households <= 1000  # about 2.1 people per household


def test_special_groups_have_their_share(demo: DemoSummary) -> None:
    counts = Counter(tag for (tag,) in ResidentTag.select(ResidentTag.tag).tuples())

    assert counts["elderly-alone"] == 160  # 8%
    assert counts["no-phone"] == 60  # 3%
    assert counts["cannot-read"] == 60  # 3%
    assert counts["disabled"] == 40  # 2%
    assert counts["pregnant"] == 20  # 1%
    assert 150 <= counts["very-old"] <= 260  # 80 and over
    assert 200 <= counts["chronic"] <= 300  # about 30% of those over 60
    assert set(counts) == {"elderly-alone", "very-old", "disabled", "chronic", "pregnant", "cannot-read", "no-phone"}


def test_the_age_pyramid_leans_old(demo: DemoSummary) -> None:
    ages = [2026 - year for (year,) in Resident.select(Resident.birth_year).tuples()]

    assert all(0 <= age <= 98 for age in ages)
    assert 0.35 <= sum(age >= 60 for age in ages) / 2000 <= 0.45
    assert 0.06 <= sum(age >= 80 for age in ages) / 2000 <= 0.13
    assert 0.08 <= sum(age < 18 for age in ages) / 2000 <= 0.18


def test_tags_fit_the_people_who_carry_them(demo: DemoSummary) -> None:
    tags = tags_of()
    household_sizes = Counter(h for (h,) in Resident.select(Resident.household).tuples())

    for resident in Resident.select():
        mine = tags.get(resident.id, set())
        if "elderly-alone" in mine:
            assert resident.birth_year < 1955
            assert household_sizes[resident.household_id] == 1
        if "pregnant" in mine:
            assert 1986 <= resident.birth_year <= 2004
        assert ("very-old" in mine) == (resident.birth_year <= 1946)
        assert ("no-phone" in mine) == (resident.phone is None)


def test_a_few_households_speak_english(demo: DemoSummary) -> None:
    english = list(Resident.select().where(Resident.language == "en"))

    assert 30 <= len(english) <= 40  # about 2%
    assert all(re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", r.name) for r in english)
    assert Resident.select().where(Resident.language.not_in(["zh", "en"])).count() == 0
    chinese = Resident.select().where(Resident.language == "zh")
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", r.name) for r in chinese)


def test_most_elderly_have_a_second_contact(demo: DemoSummary) -> None:
    elderly = list(Resident.select().where(Resident.birth_year <= 1961))
    with_contact = [r for r in elderly if r.second_phone]

    assert 0.8 <= len(with_contact) / len(elderly) <= 0.95
    assert all(r.second_phone for r in Resident.select().where(Resident.phone.is_null()))
    assert Resident.select().where(Resident.second_phone.is_null(False), Resident.birth_year > 1961).count() == 0


# --- phones -------------------------------------------------------------------------------------------------


def test_every_phone_is_valid_unique_and_from_its_block(demo: DemoSummary) -> None:
    residents = list(Resident.select().order_by(Resident.id))
    phones = [r.phone for r in residents if r.phone]
    seconds = [r.second_phone for r in residents if r.second_phone]
    volunteers = [v.phone for v in Volunteer.select().order_by(Volunteer.id)]

    assert len(phones) == 1940
    assert len(set(phones)) == len(phones)
    assert all(r.phone == f"+{8613900000000 + r.id}" for r in residents if r.phone)
    assert all(re.fullmatch(r"\+861370000\d{4}", phone) for phone in seconds)
    assert volunteers == [f"+{8613600000000 + n}" for n in range(1, 51)]
    for phone in [*phones, *seconds, *volunteers]:
        assert normalize_phone(phone, "CN") == phone


def test_no_phone_residents_go_to_the_door(demo: DemoSummary) -> None:
    tags = tags_of()
    without = list(Resident.select().where(Resident.phone.is_null()))

    assert len(without) == 60
    assert all("no-phone" in tags[r.id] for r in without)
    assert all(r.birth_year <= 1956 for r in without)  # the elderly are the ones without a phone


# --- monitoring and status ----------------------------------------------------------------------------------


def test_a_few_are_monitored_with_end_dates_after_today(demo: DemoSummary) -> None:
    monitored = list(Resident.select().where(Resident.monitoring != "none"))

    assert Counter(r.monitoring for r in monitored) == {"home_quarantine": 6, "close_contact": 4}
    for resident in monitored:
        assert 3 <= (resident.monitoring_until - TODAY).days <= 14
        assert resident.phone is not None
    assert Resident.select().where(Resident.monitoring == "none", Resident.monitoring_until.is_null(False)).count() == 0


def test_everybody_is_green_but_the_monitored_handful(demo: DemoSummary) -> None:
    statuses = Counter(status for (status,) in Resident.select(Resident.status).tuples())

    assert statuses == {"green": 1990, "yellow": 10}
    assert Resident.select().where(Resident.status == "yellow", Resident.monitoring == "none").count() == 0


# --- grids, buildings, households ---------------------------------------------------------------------------


def test_grids_are_numbered_and_evenly_sized(demo: DemoSummary) -> None:
    grids = {g.id: g.name for g in Grid.select()}
    per_grid = Counter(grid_id for (grid_id,) in Resident.select(Resident.grid).tuples())

    assert sorted(grids.values(), key=lambda name: int(name[1:-2])) == [f"第{n}网格" for n in range(1, 9)]
    assert set(per_grid) == set(grids)
    assert all(200 <= count <= 300 for count in per_grid.values())


def test_households_are_real_addresses_in_one_grid(demo: DemoSummary) -> None:
    households = {h.id: h for h in Household.select()}
    members: Counter[int] = Counter()
    for resident in Resident.select():
        household = households[resident.household_id]
        assert household.grid_id == resident.grid_id
        members[household.id] += 1

    assert set(members) == set(households)
    assert set(members.values()) == {1, 2, 3, 4}
    grids_of_building: dict[str, set[int]] = {}
    for household in households.values():
        assert household.unit in {"1", "2", "3", "4"}
        floor, door = divmod(int(household.room), 100)
        assert 1 <= floor <= 18 and door in (1, 2)
        grids_of_building.setdefault(household.building, set()).add(household.grid_id)
    assert all(len(grids) == 1 for grids in grids_of_building.values())
    assert 20 <= len(grids_of_building) <= 40


# --- volunteers ---------------------------------------------------------------------------------------------


def test_volunteers_cover_every_grid(demo: DemoSummary) -> None:
    volunteers = list(Volunteer.select())
    coverage: dict[int, list[int]] = {}
    for volunteer_id, grid_id in VolunteerGrid.select(VolunteerGrid.volunteer, VolunteerGrid.grid).tuples():
        coverage.setdefault(volunteer_id, []).append(grid_id)

    assert len(volunteers) == 50
    assert all(1 <= len(coverage[v.id]) <= 2 for v in volunteers)
    assert {g for grids in coverage.values() for g in grids} == {g.id for g in Grid.select()}
    for volunteer in volunteers:
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", volunteer.name)
        assert 1 <= len(volunteer.skill_list) <= 2
        assert set(volunteer.skill_list) <= set(SKILLS)
        assert 0 <= volunteer.points <= 120
    assert Counter(skill for v in volunteers for skill in v.skill_list).most_common(1)[0][0] == "errands"


# --- the command --------------------------------------------------------------------------------------------


def test_the_command_prints_a_summary_and_refuses_a_second_run(database: Path) -> None:
    runner = CliRunner()

    first = runner.invoke(CLI, ["demo-data", "--residents", "400", "--seed", "3", "--json"])
    second = runner.invoke(CLI, ["demo-data", "--residents", "400"])

    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["residents"] == 400
    assert second.exit_code == 2
    assert "已经存在：这个数据库里已经有居民（400 位）" in second.output  # the demo community reads Chinese


def test_the_command_summary_reads_as_a_paragraph(database: Path) -> None:
    result = CliRunner().invoke(CLI, ["demo-data", "--residents", "250"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "幸福里社区（演示）：3 个网格、119 户、250 位居民，由 6 名志愿者照看。其中独居老人 20 人，"
    )


def test_an_english_community_reads_the_summary_and_the_refusal_in_english(database: Path) -> None:
    init_community("Sunny Court", "CN", "Asia/Shanghai", ["en", "zh"], actor="test")
    runner = CliRunner()

    first = runner.invoke(CLI, ["demo-data", "--residents", "250"])
    second = runner.invoke(CLI, ["demo-data", "--residents", "250"])

    assert first.exit_code == 0, first.output
    assert first.output.startswith("Sunny Court: 250 residents in ")
    assert "Among them: 20 elderly living alone, " in first.output
    assert second.exit_code == 2
    assert second.stderr.startswith("Already exists: This database already has residents (250)")


def test_the_command_help_has_an_example() -> None:
    result = CliRunner().invoke(CLI, ["demo-data", "--help"])

    assert result.exit_code == 0
    assert "Example:" in result.output
    assert any(line.strip().startswith("linli demo-data") for line in result.output.splitlines())
