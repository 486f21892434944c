from __future__ import annotations

import json
import random
from datetime import date, datetime
from typing import Any

import pytest

from kit import audit, ui_words
from kit.db import transaction
from kit.errors import Conflict, InvalidPhone, NotFound, ValidationError
from kit.importer import store_residents
from kit.models import AuditEntry, Community, Grid, Household, Resident, ResidentTag
from kit.resident_search import ResidentFilter, count_residents, find_residents, iter_residents, view_of
from kit.residents import (
    ResidentInput,
    ResidentRecord,
    add_resident,
    edit_resident,
    get_resident,
    set_monitoring,
    set_status,
    validate_resident,
)

TODAY = date(2026, 11, 20)


def details(action: str, entity_id: int) -> list[dict[str, Any]]:
    entries = AuditEntry.select().where(
        (AuditEntry.action == action) & (AuditEntry.entity == "resident") & (AuditEntry.entity_id == entity_id)
    )
    return [json.loads(entry.detail) for entry in entries.order_by(AuditEntry.id)]


def wang(**overrides: Any) -> ResidentInput:
    values: dict[str, Any] = {
        "name": " 王秀英 ",
        "phone": "138-0013-8000",
        "grid": "东区",
        "building": "3",
        "unit": "2",
        "room": "201",
        "language": "中文",
        "tags": "独居老人、慢性病",
        "birth_year": "1945年",
    }
    values.update(overrides)
    return ResidentInput(**values)


# --- add --------------------------------------------------------------------------------------------------


def test_add_normalises_every_field(community: Community) -> None:
    resident = add_resident(wang(second_phone="0086 139 0013 9000", status="黄码", notes="  耳背，\n大声说话 "))
    view = view_of(resident)
    assert view.name == "王秀英"
    assert view.phone == "+8613800138000"
    assert view.second_phone == "+8613900139000"
    assert view.grid == "东区"
    assert (view.building, view.unit, view.room, view.address) == ("3", "2", "201", "3-2-201")
    assert view.language == "zh"
    assert view.tags == ("elderly-alone", "chronic")
    assert view.birth_year == 1945
    assert view.status == "yellow"
    assert view.monitoring == "none"
    assert view.monitoring_until is None
    assert view.notes == "耳背， 大声说话"
    assert view.opted_out is False
    assert view.updated_at == datetime(2026, 11, 20, 1, 0)  # the fixed clock, naive UTC
    assert resident.search_text == "王秀英 8613800138000 3-2-201 东区"
    assert details("add", resident.id) == [{"name": "王秀英", "phone": "+8613800138000"}]


def test_english_language_and_tags(community: Community) -> None:
    view = view_of(add_resident(wang(language="English", tags="lives alone; Pregnancy")))
    assert view.language == "en"
    assert view.tags == ("elderly-alone", "pregnant")


def test_no_language_means_the_communitys_first(community: Community) -> None:
    assert view_of(add_resident(wang(language=""))).language == "zh"


def test_two_residents_at_one_address_share_the_grid_and_household(community: Community) -> None:
    first = add_resident(wang())
    second = add_resident(wang(name="李建国", phone="13900139000", tags=None, grid="东区", building=" 3 "))
    assert Grid.select().count() == 1
    assert Household.select().count() == 1
    assert first.grid_id == second.grid_id == Grid.get(Grid.name == "东区").id
    assert first.household_id == second.household_id
    household = Household.get_by_id(first.household_id)
    assert household.address == "3-2-201"
    assert household.grid_id == first.grid_id


def test_a_household_without_a_grid_takes_the_grid_of_a_later_resident(community: Community) -> None:
    first = add_resident(wang(grid=None))
    assert Household.get_by_id(first.household_id).grid_id is None
    second = add_resident(wang(name="李建国", phone="13900139000", grid="西区"))
    assert Household.get_by_id(first.household_id).grid_id == second.grid_id


def test_a_resident_without_an_address_has_no_household(community: Community) -> None:
    resident = add_resident(wang(building="", unit="", room=""))
    assert resident.household_id is None
    assert Household.select().count() == 0


def test_a_resident_without_a_phone_is_tagged_no_phone(community: Community) -> None:
    view = view_of(add_resident(wang(phone="", tags="独居老人")))
    assert view.phone is None
    assert view.tags == ("elderly-alone", "no-phone")
    # Two residents without a phone do not collide on the unique phone column.
    other = view_of(add_resident(wang(name="李建国", phone=None, tags=None)))
    assert other.tags == ("no-phone",)


def test_a_resident_with_a_phone_loses_a_no_phone_tag(community: Community) -> None:
    assert view_of(add_resident(wang(tags="无手机、慢性病"))).tags == ("chronic",)


def test_a_duplicate_phone_names_the_owner(community: Community) -> None:
    first = add_resident(wang())
    with pytest.raises(Conflict) as caught:
        add_resident(wang(name="李建国", phone="+86 138 0013 8000", room="202"))
    assert caught.value.message == (
        f"+8613800138000 is already the number of 王秀英 (resident #{first.id}). Only residents at one address share "
        "a phone: give the same building, unit and room, or give it as the second phone of someone they look after."
    )
    assert Resident.select().count() == 1


def test_a_refusal_is_said_in_the_language_of_whoever_reads_it(community: Community) -> None:
    with pytest.raises(InvalidPhone) as caught:
        add_resident(wang(second_phone="1380013"))
    ui_words.use_language("zh")
    assert caught.value.message == "第二联系人：“1380013”（7位）不是有效的中国号码，请核对数字。"
    assert (
        caught.value.text("en")
        == "Second contact: '1380013' (7 digits) is not a valid number in China; check the digits."
    )
    with pytest.raises(NotFound) as missing:
        get_resident(99)
    assert (missing.value.title, missing.value.message) == ("找不到", "找不到居民 99。")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param({"name": "  "}, "name", "The name is empty.", id="empty name"),
        pytest.param({"name": "王" * 101}, "name", "The name is longer than 100 characters.", id="long name"),
        pytest.param({"phone": "12345"}, "phone", "'12345' (5 digits) is not a valid number in China", id="phone"),
        pytest.param({"phone": "abc"}, "phone", "'abc' is not a phone number", id="phone letters"),
        pytest.param(
            {"second_phone": "1380013"}, "second_phone", "Second contact: '1380013' (7 digits)", id="second phone"
        ),
        pytest.param(
            {"second_phone": "13800138000"},
            "second_phone",
            "The second contact is the resident's own number.",
            id="second is own",
        ),
        pytest.param(
            {"birth_year": "四五年"}, "birth_year", "Birth year '四五年' should be four digits, e.g. 1948.", id="year"
        ),
        pytest.param(
            {"birth_year": "1845"}, "birth_year", "Birth year 1845 is not between 1900 and 2026.", id="old year"
        ),
        pytest.param(
            {"birth_year": 2027}, "birth_year", "Birth year 2027 is not between 1900 and 2026.", id="future year"
        ),
        pytest.param(
            {"language": "fr"}, "language", "Language 'fr' is not one this community uses (zh, en).", id="language"
        ),
        pytest.param({"status": "purple"}, "status", "'purple' is not a health status", id="status"),
        pytest.param({"monitoring": "住院"}, "monitoring", "'住院' is not a monitoring category", id="monitoring"),
        pytest.param(
            {"monitoring": "密接", "monitoring_until": "next week"},
            "monitoring_until",
            "The monitoring end date 'next week' should look like 2026-12-01.",
            id="end date",
        ),
    ],
)
def test_validation_names_the_field(community: Community, overrides: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        add_resident(wang(**overrides))
    assert caught.value.field == field
    assert message in caught.value.message
    assert Resident.select().count() == 0


def test_an_invalid_phone_is_an_invalid_phone(community: Community) -> None:
    with pytest.raises(InvalidPhone):
        add_resident(wang(phone="138001"))


@pytest.mark.parametrize(
    ("raw", "year"),
    [
        ("1945", 1945),
        ("1945年", 1945),
        (" 1945 年 ", 1945),
        ("1945.0", 1945),
        (1945, 1945),
        (1945.0, 1945),
        ("1945年3月", 1945),
        ("1945年3月5日", 1945),
        ("1945-03", 1945),
        ("1945.3", 1945),
        ("1945/3/5", 1945),
        (datetime(1945, 3, 1), 1945),
        (date(1945, 3, 1), 1945),
        ("", None),
        (None, None),
    ],
)
def test_birth_years_as_people_write_them(community: Community, raw: Any, year: int | None) -> None:
    """The import maps a 出生年月 (year and month of birth) column to birth_year, so its forms must be read."""
    assert validate_resident(wang(birth_year=raw), community, today=TODAY).birth_year == year


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("2026/12/01", date(2026, 12, 1)),
        ("2026.12.01", date(2026, 12, 1)),
        ("2026年12月1日", date(2026, 12, 1)),
        (datetime(2026, 12, 1, 0, 0), date(2026, 12, 1)),
        (date(2026, 12, 1), date(2026, 12, 1)),
    ],
)
def test_monitoring_end_dates(community: Community, raw: Any, expected: date) -> None:
    record = validate_resident(wang(monitoring="居家隔离", monitoring_until=raw), community, today=TODAY)
    assert record.monitoring == "home_quarantine"
    assert record.monitoring_until == expected


def test_no_monitoring_drops_the_end_date(community: Community) -> None:
    record = validate_resident(wang(monitoring="无", monitoring_until="2026-12-01"), community, today=TODAY)
    assert (record.monitoring, record.monitoring_until) == ("none", None)


# --- edit -------------------------------------------------------------------------------------------------


def test_edit_changes_only_the_given_fields_and_is_audited(community: Community) -> None:
    resident = add_resident(wang(second_phone="13900139000", status="黄"))
    before = view_of(resident)
    edited = edit_resident(resident.id, {"phone": "+86 137 0013 7000", "room": "202"}, actor="小李")
    after = view_of(edited)
    assert after.phone == "+8613700137000"
    assert after.room == "202"
    unchanged = ("name", "second_phone", "grid", "building", "unit", "language", "tags", "birth_year", "status")
    for name in unchanged:
        assert getattr(after, name) == getattr(before, name), name
    assert edited.search_text == "王秀英 8613700137000 3-2-202 东区"
    entry = AuditEntry.select().where(AuditEntry.action == "edit").get()
    assert (entry.actor, entry.entity, entry.entity_id) == ("小李", "resident", resident.id)
    assert json.loads(entry.detail) == {"phone": ["+8613800138000", "+8613700137000"], "room": ["201", "202"]}
    assert Household.select().count() == 2  # 3-2-202 is another household


def test_edit_tags_and_birth_year(community: Community) -> None:
    resident = add_resident(wang())
    after = view_of(edit_resident(resident.id, {"tags": "透析", "birth_year": "1950年"}))
    assert after.tags == ("dialysis",)
    assert after.birth_year == 1950
    assert details("edit", resident.id) == [
        {"birth_year": [1945, 1950], "tags": [["elderly-alone", "chronic"], ["dialysis"]]}
    ]


def test_an_edit_that_changes_nothing_is_not_audited(community: Community) -> None:
    resident = add_resident(wang())
    edit_resident(resident.id, {"phone": "13800138000", "language": "普通话"})
    assert details("edit", resident.id) == []


def test_removing_the_phone_adds_no_phone_and_adding_one_removes_it(community: Community) -> None:
    resident = add_resident(wang())
    assert view_of(edit_resident(resident.id, {"phone": ""})).tags == ("elderly-alone", "chronic", "no-phone")
    assert view_of(edit_resident(resident.id, {"phone": "13800138000"})).tags == ("elderly-alone", "chronic")


def test_edit_to_a_taken_phone_is_a_conflict(community: Community) -> None:
    first = add_resident(wang())
    second = add_resident(wang(name="李建国", phone="13900139000", room="202"))
    with pytest.raises(Conflict) as caught:
        edit_resident(second.id, {"phone": "138 0013 8000", "notes": "x"})
    assert caught.value.message == (
        f"+8613800138000 is already the number of 王秀英 (resident #{first.id}). Only residents at one address share "
        "a phone: give the same building, unit and room, or give it as the second phone of someone they look after."
    )
    assert view_of(second).phone == "+8613900139000"
    assert view_of(second).notes == ""


def test_edit_rejects_unknown_fields_and_bad_values(community: Community) -> None:
    resident = add_resident(wang())
    with pytest.raises(ValidationError) as caught:
        edit_resident(resident.id, {"points": 3})
    assert caught.value.message.startswith("Cannot edit points; editable: name, phone, second_phone, grid,")
    with pytest.raises(ValidationError) as caught:
        edit_resident(resident.id, {"name": ""})
    assert caught.value.field == "name"
    assert view_of(resident).name == "王秀英"
    with pytest.raises(NotFound):
        edit_resident(999, {"name": "x"})


# --- get, status, monitoring ------------------------------------------------------------------------------


def test_get_resident_by_id_and_by_phone_as_written(community: Community) -> None:
    resident = add_resident(wang())
    for key in (resident.id, str(resident.id), "13800138000", "138 0013 8000", "+86 138-0013-8000", "0086138001380 00"):
        assert get_resident(key).id == resident.id, key
    with pytest.raises(NotFound) as caught:
        get_resident(999)
    assert caught.value.message == "No resident 999."
    with pytest.raises(NotFound) as caught:
        get_resident("13900139000")
    assert caught.value.message == "No resident 13900139000."


def test_set_status(community: Community) -> None:
    resident = add_resident(wang())
    assert set_status(resident.id, "红码", reason="发烧 38.5", actor="小李").status == "red"
    assert Resident.get_by_id(resident.id).status == "red"
    assert details("status", resident.id) == [{"old": "green", "new": "red", "reason": "发烧 38.5"}]
    set_status(resident.id, "red")  # no change, no audit entry
    assert len(details("status", resident.id)) == 1
    with pytest.raises(ValidationError) as caught:
        set_status(resident.id, "")
    assert caught.value.field == "status"
    with pytest.raises(ValidationError) as caught:
        set_status(resident.id, "purple")
    assert caught.value.field == "status"


def test_home_quarantine_needs_an_end_date(community: Community) -> None:
    resident = add_resident(wang())
    with pytest.raises(ValidationError) as caught:
        set_monitoring(resident.id, "居家隔离")
    assert caught.value.field == "monitoring_until"
    assert caught.value.message == "Give the date monitoring ends, e.g. 2026-12-05."
    assert Resident.get_by_id(resident.id).monitoring == "none"

    updated = set_monitoring(resident.id, "居家隔离", "2026年12月4日")
    assert (updated.monitoring, updated.monitoring_until) == ("home_quarantine", date(2026, 12, 4))
    stored = Resident.get_by_id(resident.id)
    assert (stored.monitoring, stored.monitoring_until) == ("home_quarantine", date(2026, 12, 4))


def test_monitoring_none_clears_the_end_date(community: Community) -> None:
    resident = add_resident(wang())
    set_monitoring(resident.id, "close contact", "2026-12-04")
    cleared = set_monitoring(resident.id, "无", "2026-12-10")
    assert (cleared.monitoring, cleared.monitoring_until) == ("none", None)
    stored = Resident.get_by_id(resident.id)
    assert (stored.monitoring, stored.monitoring_until) == ("none", None)
    # The audit trail says what was stored, not the date that was ignored.
    assert details("monitoring", resident.id) == [
        {"old": ["none", None], "new": ["close_contact", "2026-12-04"]},
        {"old": ["close_contact", "2026-12-04"], "new": ["none", None]},
    ]


def test_recovered_needs_no_end_date(community: Community) -> None:
    resident = add_resident(wang())
    assert set_monitoring(resident.id, "康复").monitoring == "recovered"


# --- find -------------------------------------------------------------------------------------------------


@pytest.fixture
def neighbours(community: Community) -> dict[str, int]:
    people = {
        "王秀英": wang(),
        "李建国": wang(name="李建国", phone="13900139000", tags="慢性病", room="202", status="红"),
        "张伟": wang(name="张伟", phone="010-12345678", grid="西区", building="5", unit="1", room="101", tags=None),
        "Alice Smith": wang(name="Alice Smith", phone="13700137000", grid="西区", building="7", unit="", room="3",
                            tags="孕妇", language="en", monitoring="密接", monitoring_until="2026-11-30"),
        "赵敏": wang(name="赵敏", phone=None, grid=None, building="", unit="", room="", tags=None, status="黄"),
    }  # fmt: skip
    return {name: add_resident(raw).id for name, raw in people.items()}


def names(flt: ResidentFilter, **paging: Any) -> list[str]:
    return [view.name for view in find_residents(flt, **paging)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("秀英", ["王秀英"], id="part of a name"),
        pytest.param("alice", ["Alice Smith"], id="name, any case"),
        pytest.param("ＳＭＩＴＨ", ["Alice Smith"], id="full-width letters"),
        pytest.param("0013", ["王秀英", "李建国", "Alice Smith"], id="phone digits"),
        pytest.param("13800138000", ["王秀英"], id="national number"),
        pytest.param("+86 138 0013 8000", ["王秀英"], id="as display_phone shows it"),
        pytest.param("138-0013-8000", ["王秀英"], id="with dashes"),
        pytest.param("010-12345678", ["张伟"], id="landline as written"),
        pytest.param("3-2-20", ["王秀英", "李建国"], id="part of an address"),
        pytest.param("3-2-202", ["李建国"], id="address"),
        pytest.param("西区", ["张伟", "Alice Smith"], id="grid"),
        pytest.param("李 202", ["李建国"], id="every word must match"),
        pytest.param("王 202", [], id="no match"),
        pytest.param("  ", ["王秀英", "李建国", "张伟", "Alice Smith", "赵敏"], id="blank is everybody"),
    ],
)
def test_find_by_query(neighbours: dict[str, int], query: str, expected: list[str]) -> None:
    assert names(ResidentFilter(query=query)) == expected
    assert count_residents(ResidentFilter(query=query)) == len(expected)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        pytest.param(ResidentFilter(grid="东区"), ["王秀英", "李建国"], id="grid"),
        pytest.param(ResidentFilter(grid="北区"), [], id="unknown grid"),
        pytest.param(ResidentFilter(tag="慢性病"), ["王秀英", "李建国"], id="tag in Chinese"),
        pytest.param(ResidentFilter(tag="no-phone"), ["赵敏"], id="no-phone tag"),
        pytest.param(ResidentFilter(tag="pregnant"), ["Alice Smith"], id="canonical tag"),
        pytest.param(ResidentFilter(tag="  "), ["王秀英", "李建国", "张伟", "Alice Smith", "赵敏"], id="blank tag"),
        pytest.param(ResidentFilter(status="red"), ["李建国"], id="status"),
        pytest.param(ResidentFilter(status="黄码"), ["赵敏"], id="status in Chinese"),
        pytest.param(ResidentFilter(monitoring="close_contact"), ["Alice Smith"], id="monitoring"),
        pytest.param(ResidentFilter(monitoring="none"), ["王秀英", "李建国", "张伟", "赵敏"], id="monitoring none"),
        pytest.param(ResidentFilter(grid="东区", tag="独居"), ["王秀英"], id="grid and tag"),
        pytest.param(ResidentFilter(query="李", grid="西区"), [], id="query and grid"),
    ],
)
def test_find_by_filters(neighbours: dict[str, int], flt: ResidentFilter, expected: list[str]) -> None:
    assert names(flt) == expected
    assert count_residents(flt) == len(expected)


def test_find_by_ids(neighbours: dict[str, int]) -> None:
    flt = ResidentFilter(ids=[neighbours["赵敏"], neighbours["张伟"], 999])
    assert names(flt) == ["张伟", "赵敏"]


def test_found_residents_read_as_people_read_them(neighbours: dict[str, int]) -> None:
    alice, zhao = find_residents(ResidentFilter(query="alice")) + find_residents(ResidentFilter(query="赵敏"))
    assert alice.as_dict() == {
        "id": neighbours["Alice Smith"],
        "name": "Alice Smith",
        "phone": "+8613700137000",
        "second_phone": None,
        "grid": "西区",
        "building": "7",
        "unit": "",
        "room": "3",
        "address": "7-3",
        "language": "en",
        "tags": ["pregnant"],
        "birth_year": 1945,
        "status": "green",
        "monitoring": "close_contact",
        "monitoring_until": "2026-11-30",
        "opted_out": False,
        "notes": "",
    }
    assert (zhao.grid, zhao.address, zhao.phone, zhao.tags) == (None, "", None, ("no-phone",))


def test_paging(community: Community) -> None:
    ids = [add_resident(wang(name=f"居民{n:02d}", phone=f"1380000{n:04d}", room=str(n))).id for n in range(12)]
    assert count_residents() == 12
    assert [v.id for v in find_residents(limit=5)] == ids[:5]
    assert [v.id for v in find_residents(limit=5, offset=5)] == ids[5:10]
    assert [v.id for v in find_residents(limit=5, offset=10)] == ids[10:]
    assert find_residents(limit=5, offset=12) == []
    assert [v.id for v in find_residents(limit=None)] == ids
    assert len(find_residents()) == 12  # the default page is 50
    flt = ResidentFilter(query="居民0")
    assert count_residents(flt) == 10
    assert [v.name for v in find_residents(flt, limit=3, offset=8)] == ["居民08", "居民09"]


def test_iter_residents_walks_5000_rows_in_batches(community: Community) -> None:
    rng = random.Random(5000)
    records = [
        ResidentRecord(
            name=f"居民{n}", phone=f"+86138{n:08d}", second_phone=None, grid=f"网格{n % 7}",
            building=str(n % 40), unit=str(n % 3), room=str(100 + n % 11), language="zh",
            tags=tuple(rng.sample(["chronic", "elderly-alone", "disabled"], k=n % 3)), birth_year=1930 + n % 60,
            status="green", monitoring="none", monitoring_until=None, notes="",
        )
        for n in range(5000)
    ]  # fmt: skip
    with transaction():
        ids = store_residents(records)
    assert count_residents() == 5000
    seen = list(iter_residents(batch=1234))
    assert [v.id for v in seen] == ids == sorted(ids)
    assert [v.name for v in seen] == [r.name for r in records]
    assert [v.tags for v in seen] == [r.tags for r in records]
    assert seen[4999].phone == "+8613800004999"
    assert seen[4999].grid == "网格1"
    in_grid = [v.id for v in iter_residents(ResidentFilter(grid="网格3"), batch=100)]
    assert in_grid == [i for i, r in zip(ids, records) if r.grid == "网格3"]
    assert len(in_grid) == 714


def test_tags_are_stored_once_per_resident(community: Community) -> None:
    resident = add_resident(wang(tags="独居,独居老人,alone,慢性病"))
    assert ResidentTag.select().where(ResidentTag.resident == resident.id).count() == 2


def test_audit_recent(community: Community) -> None:
    resident = add_resident(wang())
    set_status(resident.id, "red")
    latest = audit.recent(limit=1, entity="resident", entity_id=resident.id)
    assert [(e.action, e.entity_id) for e in latest] == [("status", resident.id)]


def test_silent_today_finds_who_was_asked_and_has_not_answered(community: Community) -> None:
    from datetime import date

    from kit.checkin import start_round
    from kit.config import CheckinSettings
    from kit.reports import record_report

    quiet = add_resident(ResidentInput(name="王秀英", phone="13800138000"), actor="test")
    answered = add_resident(ResidentInput(name="李建国", phone="13700137000"), actor="test")
    start_round(settings=CheckinSettings(), actor="test")
    record_report(answered.id, "well", actor="test")
    silent = find_residents(ResidentFilter(silent_on=date(2026, 11, 20)))
    assert [view.id for view in silent] == [quiet.id]
    assert count_residents(ResidentFilter(silent_on=date(2026, 11, 21))) == 0


def test_a_whole_phone_number_is_found_by_the_exact_number(community: Community) -> None:
    wang = add_resident(ResidentInput(name="王秀英", phone="13800138000"), actor="test")
    add_resident(ResidentInput(name="李建国", phone="13800138001"), actor="test")
    for written in ("138 0013 8000", "+86 138-0013-8000", "008613800138000"):
        assert [view.id for view in find_residents(ResidentFilter(query=written))] == [wang.id]
