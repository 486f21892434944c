from __future__ import annotations

import json

import pytest

from kit.errors import Conflict, InvalidPhone, NotFound, ValidationError
from kit.models import AuditEntry, Community, Grid, Volunteer, VolunteerGrid
from kit.volunteers import add_volunteer, get_volunteer, list_volunteers, parse_skills, volunteers_for_grid


def test_add_a_volunteer(community: Community) -> None:
    volunteer = add_volunteer(
        "  陈  静 ", "139-0013-9000", skills="跑腿，开车", grids=["东区", " 西区 "], language="English", actor="小李"
    )
    assert volunteer.name == "陈 静"
    assert volunteer.phone == "+8613900139000"
    assert volunteer.skill_list == ["errands", "driving"]
    assert volunteer.language == "en"
    assert volunteer.points == 0
    assert volunteer.active is True
    assert sorted(Grid.select(Grid.name).tuples()) == [("东区",), ("西区",)]
    assert VolunteerGrid.select().where(VolunteerGrid.volunteer == volunteer.id).count() == 2
    entry = AuditEntry.get((AuditEntry.entity == "volunteer") & (AuditEntry.action == "add"))
    assert (entry.actor, entry.entity_id) == ("小李", volunteer.id)
    assert json.loads(entry.detail) == {"name": "陈 静", "phone": "+8613900139000", "grids": ["东区", " 西区 "]}


def test_defaults(community: Community) -> None:
    volunteer = add_volunteer("陈静", "13900139000")
    assert volunteer.skills == ""
    assert volunteer.skill_list == []
    assert volunteer.language == "zh"


def test_a_duplicate_phone_is_a_conflict(community: Community) -> None:
    add_volunteer("陈静", "13900139000")
    with pytest.raises(Conflict) as caught:
        add_volunteer("刘洋", "+86 139 0013 9000")
    assert caught.value.message == "+8613900139000 is already a volunteer's number."
    assert Volunteer.select().count() == 1


def test_bad_input(community: Community) -> None:
    with pytest.raises(ValidationError) as caught:
        add_volunteer("  ", "13900139000")
    assert (caught.value.field, caught.value.message) == ("name", "The volunteer's name is empty.")
    with pytest.raises(InvalidPhone):
        add_volunteer("陈静", "1390013")
    with pytest.raises(ValidationError) as caught:
        add_volunteer("陈静", "13900139000", skills="跑腿,唱歌")
    assert caught.value.field == "skills"
    assert caught.value.message == "'唱歌' is not a skill; use: errands, medical, counselling, driving."
    with pytest.raises(ValidationError) as caught:
        add_volunteer("陈静", "13900139000", language="fr")
    assert caught.value.field == "language"
    assert Volunteer.select().count() == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("跑腿", ["errands"]),
        ("代购,医护", ["errands", "medical"]),
        ("心理疏导，司机", ["counselling", "driving"]),
        ("Counseling", ["counselling"]),
        (" errands , ERRANDS,跑腿 ", ["errands"]),
        (["开车", "medical"], ["driving", "medical"]),
        ("", []),
        (None, []),
    ],
)
def test_parse_skills(raw: str | list[str] | None, expected: list[str]) -> None:
    assert parse_skills(raw) == expected


def test_skills_listed_with_the_chinese_enumeration_comma() -> None:
    assert parse_skills("跑腿、开车") == ["errands", "driving"]


def test_list_by_grid(community: Community) -> None:
    chen = add_volunteer("陈静", "13900139000", skills="跑腿", grids=["东区"])
    liu = add_volunteer("刘洋", "13700137000", grids=["西区", "东区"])
    zhou = add_volunteer("周杰", "13600136000")
    everyone = list_volunteers()
    assert [v.name for v in everyone] == ["陈静", "刘洋", "周杰"]
    assert everyone[1].as_dict() == {
        "id": liu.id,
        "name": "刘洋",
        "phone": "+8613700137000",
        "language": "zh",
        "skills": [],
        "grids": ["东区", "西区"],
        "points": 0,
        "active": True,
        "status": "active",
    }
    assert everyone[2].grids == ()
    assert [v.id for v in list_volunteers("东区")] == [chen.id, liu.id]
    assert [v.id for v in list_volunteers("西区")] == [liu.id]
    assert list_volunteers("北区") == []
    Volunteer.update(active=False).where(Volunteer.id == chen.id).execute()
    assert [v.id for v in list_volunteers("东区", active_only=True)] == [liu.id]
    assert [v.id for v in list_volunteers(active_only=True)] == [liu.id, zhou.id]


def test_volunteers_for_grid(community: Community) -> None:
    chen = add_volunteer("陈静", "13900139000", grids=["东区"])
    liu = add_volunteer("刘洋", "13700137000", grids=["西区"])
    east = Grid.get(Grid.name == "东区").id
    assert [v.id for v in volunteers_for_grid(east).order_by(Volunteer.id)] == [chen.id]
    assert [v.id for v in volunteers_for_grid(None).order_by(Volunteer.id)] == [chen.id, liu.id]


def test_get_volunteer(community: Community) -> None:
    chen = add_volunteer("陈静", "13900139000")
    assert get_volunteer(chen.id).id == chen.id
    assert get_volunteer(str(chen.id)).id == chen.id
    assert get_volunteer("139 0013 9000").id == chen.id
    with pytest.raises(NotFound) as caught:
        get_volunteer("13700137000")
    assert caught.value.message == "No volunteer 13700137000."
