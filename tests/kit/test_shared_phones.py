"""Households that share a phone: who may, which of them a reply names, one notice, one prompt, one reminder and one
call per phone, and the migration that lets a number be shared."""

from __future__ import annotations

import string
from datetime import datetime
from pathlib import Path
from typing import Any

import peewee
import pytest

import data
import kit.migrations
from kit import db, shared_phones
from kit.checkin import advance_ladder, start_round
from kit.clock import FixedClock, utcnow
from kit.config import CheckinSettings
from kit.errors import Conflict, ImportFailed, ValidationError
from kit.importer import import_residents
from kit.migrations import LATEST, apply_pending, current_version, known_migrations
from kit.models import CheckinAsk, Community, Household, Message, Resident
from kit.notices import Audience, preview_notice, send_notice
from kit.reports import record_report
from kit.residents import ResidentInput, add_resident, edit_resident, get_resident
from kit.segments import analyze
from kit.templates import render

pytestmark = pytest.mark.each_database  # storage code: runs on SQLite and PostgreSQL

HOME = "+8613800000001"
AT_HOME: dict[str, Any] = {"phone": HOME, "grid": "东区", "building": "3", "unit": "2", "room": "201"}


@pytest.fixture
def couple(community: Community) -> tuple[Resident, Resident]:
    return add_resident(ResidentInput(name="黄倩", **AT_HOME)), add_resident(ResidentInput(name="王明", **AT_HOME))


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    return path


# --- which of them a reply names -----------------------------------------------------------------------------


def test_a_reply_names_one_of_them_at_its_start_or_end(couple: tuple[Resident, Resident]) -> None:
    huang, wang = couple
    people = [huang, wang]
    cases = {
        "黄倩 1": (huang, "1"),
        "黄倩1": (huang, "1"),
        "1 黄倩": (huang, "1"),
        "王明：发烧38.5": (wang, "发烧38.5"),
        "王 明 好": (wang, "好"),
        "1": (None, "1"),
        "黄倩 王明 1": (None, "黄倩 王明 1"),  # both named: nobody
        "我是黄倩的邻居": (None, "我是黄倩的邻居"),  # in the middle: not a name at the start or end
    }
    assert {body: (shared_phones.named_in(body, people).resident, shared_phones.named_in(body, people).rest)
            for body in cases} == cases  # fmt: skip


def test_latin_names_ignore_case_and_need_a_whole_word(community: Community) -> None:
    lin = add_resident(ResidentInput(name="Lin", phone=HOME, building="5", room="1"))
    linda = add_resident(ResidentInput(name="Linda", phone=HOME, building="5", room="1"))
    assert shared_phones.named_in("linda 1", [lin, linda]) == shared_phones.Named(linda, "1")
    assert shared_phones.named_in("LIN 2", [lin, linda]) == shared_phones.Named(lin, "2")


def test_only_residents_still_here_share_the_phone(couple: tuple[Resident, Resident]) -> None:
    _, wang = couple
    Resident.update(moved_out_at=datetime(2026, 11, 1)).where(Resident.id == wang.id).execute()
    assert [r.name for r in shared_phones.on_phone(HOME)] == ["黄倩"]


def test_the_choice_is_read_from_the_configuration_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, community: Community
) -> None:
    monkeypatch.setattr(shared_phones, "_settings", None)  # put back after the test, whatever it sets
    assert shared_phones.answers_for_all() is False
    config = tmp_path / "linli.toml"
    config.write_text("[checkin]\nshared_phone_answers_for_all = true\n", encoding="utf-8")
    monkeypatch.setenv("LINLI_CONFIG", str(config))
    assert shared_phones.answers_for_all() is True
    shared_phones.use_settings(CheckinSettings())
    assert shared_phones.answers_for_all() is False  # the running kit's own settings first


# --- who may share a phone ---------------------------------------------------------------------------------------


def test_two_residents_of_one_household_share_a_phone(couple: tuple[Resident, Resident]) -> None:
    huang, wang = couple
    assert huang.phone == wang.phone == HOME
    assert huang.household_id == wang.household_id is not None
    assert Household.select().count() == 1


def test_the_same_phone_at_another_address_is_refused(couple: tuple[Resident, Resident]) -> None:
    with pytest.raises(Conflict, match="Only residents at one address share a phone"):
        add_resident(ResidentInput(name="李四", **{**AT_HOME, "room": "202"}))
    with pytest.raises(Conflict, match="is already the number of 黄倩"):
        add_resident(ResidentInput(name="黄倩", **AT_HOME))  # the same person twice is not a household
    assert Resident.select().count() == 2


def test_looking_a_resident_up_by_a_shared_phone_asks_for_the_number(couple: tuple[Resident, Resident]) -> None:
    huang, wang = couple
    with pytest.raises(ValidationError) as caught:
        get_resident("138 0000 0001")
    assert caught.value.message == (
        f"+8613800000001 is the phone of 黄倩 (#{huang.id}), 王明 (#{wang.id}): give the resident's id (after #) "
        "instead."
    )
    assert get_resident(wang.id).name == "王明"


def test_moving_one_of_them_away_with_the_shared_phone_is_refused(couple: tuple[Resident, Resident]) -> None:
    _, wang = couple
    with pytest.raises(Conflict, match="Only residents at one address share a phone"):
        edit_resident(wang.id, {"room": "502"})
    assert Resident.get_by_id(wang.id).household_id == couple[0].household_id


def test_an_import_shares_a_phone_within_a_household_only(community: Community, tmp_path: Path) -> None:
    rows = [
        ["姓名", "手机", "楼栋", "单元", "房号"],
        ["黄倩", "13800000001", "3", "2", "201"],
        ["王明", "138 0000 0001", "3", "2", "201"],
        ["李四", "13800000001", "3", "2", "202"],
        ["黄倩", "13800000001", "3", "2", "201"],
    ]
    path = write_csv(tmp_path / "households.csv", rows)
    with pytest.raises(ImportFailed) as caught:
        import_residents(path)
    assert caught.value.problems == [
        (4, "phone +8613800000001 is already on line 2, at another address"),
        (5, "phone +8613800000001 is already on line 2, with the same name"),
    ]
    result = import_residents(path, skip_invalid=True)
    assert result.imported == 2
    assert sorted(r.name for r in Resident.select().where(Resident.phone == HOME)) == ["王明", "黄倩"]
    assert len({r.household_id for r in Resident.select()}) == 1


def test_importing_the_household_again_adds_nobody(couple: tuple[Resident, Resident], tmp_path: Path) -> None:
    rows = [
        ["姓名", "手机", "楼栋", "单元", "房号"],
        ["黄倩", "13800000001", "3", "2", "201"],
        ["王明", "13800000001", "3", "2", "201"],
        ["陈芳", "13800000001", "3", "2", "201"],  # their daughter moves in: she shares it too
        ["李四", "13800000001", "3", "2", "202"],
    ]
    result = import_residents(write_csv(tmp_path / "again.csv", rows), skip_invalid=True)
    elsewhere = import_residents(write_csv(tmp_path / "elsewhere.csv", [rows[0], rows[4]]), skip_invalid=True)
    huang, wang = couple
    assert [(r.line, r.reason) for r in result.rejected] == [
        (2, f"phone: +8613800000001 is already registered to 黄倩 (resident #{huang.id})"),
        (3, f"phone: +8613800000001 is already registered to 王明 (resident #{wang.id})"),
        (5, "phone +8613800000001 is already on line 2, at another address"),
    ]
    assert [r.reason for r in elsewhere.rejected] == [
        f"phone: +8613800000001 is already registered to 黄倩 (resident #{huang.id}), at another address"
    ]
    assert sorted(r.name for r in Resident.select()) == ["王明", "陈芳", "黄倩"]


# --- one notice and one prompt per phone -------------------------------------------------------------------------


def test_a_notice_goes_once_per_phone_and_the_preview_counts_it(couple: tuple[Resident, Resident]) -> None:
    add_resident(ResidentInput(name="张三", phone="13900000002", grid="东区", room="301"))
    preview = preview_notice("Masks at the north gate at 9.", Audience())
    assert (preview.in_audience, preview.recipients, preview.sms_recipients) == (3, 3, 2)
    assert (preview.total_segments, preview.sms_cost) == (2, 0.1)  # two messages, not three
    send_notice("Masks at the north gate at 9.", Audience(), confirm=True, actor="test")
    sent = [(m.peer, m.resident.name) for m in Message.select().where(Message.kind == "notice").order_by(Message.id)]
    assert sent == [(HOME, "黄倩"), ("+8613900000002", "张三")]


def test_a_notice_to_an_audience_of_one_of_them_reaches_that_one(couple: tuple[Resident, Resident]) -> None:
    _, wang = couple
    edit_resident(wang.id, {"tags": "独居老人"})
    preview = preview_notice("Masks at the north gate at 9.", Audience(tags=("elderly-alone",)))
    assert (preview.recipients, preview.sms_recipients) == (1, 1)
    send_notice("Masks at the north gate at 9.", Audience(tags=("elderly-alone",)), confirm=True, actor="test")
    assert [m.resident_id for m in Message.select().where(Message.kind == "notice")] == [wang.id]


def test_the_round_prompt_goes_once_per_phone(couple: tuple[Resident, Resident]) -> None:
    add_resident(ResidentInput(name="张三", phone="13900000002", grid="东区", room="301"))
    round_ = start_round(settings=CheckinSettings(), actor="test")
    queued = Message.select().where(Message.kind == "checkin").order_by(Message.id)
    prompts = [(m.peer, m.resident.name) for m in queued]
    assert prompts == [(HOME, "黄倩"), ("+8613900000002", "张三")]
    assert round_.asked == 3  # both of them are asked, and answer on the one prompt
    start_round(settings=CheckinSettings(), actor="test")
    assert Message.select().where(Message.kind == "checkin").count() == 2


def test_the_round_prompt_once_per_phone_across_chunks(
    couple: tuple[Resident, Resident], monkeypatch: pytest.MonkeyPatch
) -> None:
    import kit.checkin.rounds

    monkeypatch.setattr(kit.checkin.rounds, "CHUNK", 1)  # each of them in a chunk of their own
    start_round(settings=CheckinSettings(), actor="test")
    assert [m.resident.name for m in Message.select().where(Message.kind == "checkin")] == ["黄倩"]


def _deliver_everything() -> None:
    Message.update(status="delivered", sent_at=utcnow()).where(Message.status == "queued").execute()


def test_a_silent_household_gets_one_reminder_on_its_phone(
    couple: tuple[Resident, Resident], fixed_clock: FixedClock
) -> None:
    start_round(settings=CheckinSettings(), actor="test")
    _deliver_everything()
    fixed_clock.advance(hours=3)
    report = advance_ladder(settings=CheckinSettings())
    reminders = [(m.peer, m.resident.name) for m in Message.select().where(Message.kind == "reminder")]
    assert reminders == [(HOME, "黄倩")]  # one reminder for the phone, not one per person
    assert report.reminded == 2  # both of them were reminded, by the one message
    assert {ask.stage for ask in CheckinAsk.select()} == {"reminded"}  # both move on up the ladder


def test_when_one_of_them_answered_the_other_is_reminded(
    couple: tuple[Resident, Resident], fixed_clock: FixedClock
) -> None:
    huang, _ = couple
    start_round(settings=CheckinSettings(), actor="test")
    _deliver_everything()
    record_report(huang.id, "well", channel="sms")
    fixed_clock.advance(hours=3)
    advance_ladder(settings=CheckinSettings())
    reminders = [m.resident.name for m in Message.select().where(Message.kind == "reminder")]
    assert reminders == ["王明"]


def test_a_silent_household_gets_one_call_that_asks_each_of_them(
    couple: tuple[Resident, Resident], fixed_clock: FixedClock
) -> None:
    settings = CheckinSettings()
    start_round(settings=settings, actor="test")
    _deliver_everything()
    fixed_clock.advance(hours=settings.reminder_after_hours)
    advance_ladder(settings=settings)
    _deliver_everything()
    fixed_clock.advance(hours=settings.call_after_hours)
    report = advance_ladder(settings=settings)
    calls = [(m.peer, m.resident.name) for m in Message.select().where(Message.kind == "checkin_call")]
    assert calls == [(HOME, "黄倩")]  # the call asks 黄倩, then 王明 by name (ivr.flows.ask_each)
    assert report.called == 2 and {ask.stage for ask in CheckinAsk.select()} == {"called"}


# --- the migration --------------------------------------------------------------------------------------------


def _open(target: Path | str) -> peewee.Database:
    return db.open_postgresql(target) if isinstance(target, str) else peewee.SqliteDatabase(str(target))


def test_the_migration_keeps_the_residents_and_lets_a_household_share_the_phone(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_backend: str
) -> None:
    target: Path | str = (
        request.getfixturevalue("postgres_url") if database_backend == "postgresql" else tmp_path / "old.sqlite3"
    )
    handle = _open(target)
    real = known_migrations()
    before = [m for m in real if m.version < 6]
    monkeypatch.setattr(kit.migrations, "known_migrations", lambda: before)
    apply_pending(handle)
    mark = handle.param
    insert = (
        "INSERT INTO resident (name, phone, language, status, monitoring, opted_out, notes, search_text, created_at, "
        f"updated_at) VALUES ({mark}, {mark}, 'zh', 'green', 'none', {mark}, '', '', {mark}, {mark})"
    )
    at = datetime(2026, 11, 1)
    handle.execute_sql(insert, ("黄倩", HOME, False, at, at))
    with pytest.raises(peewee.IntegrityError), handle.atomic():
        handle.execute_sql(insert, ("王明", HOME, False, at, at))  # unique before 0006
    monkeypatch.setattr(kit.migrations, "known_migrations", lambda: real)
    assert apply_pending(handle) == list(range(6, LATEST + 1))
    assert current_version(handle) == LATEST
    handle.execute_sql(insert, ("王明", HOME, False, at, at))
    rows = handle.execute_sql("SELECT name, phone FROM resident ORDER BY id").fetchall()
    assert [tuple(row) for row in rows] == [("黄倩", HOME), ("王明", HOME)]
    indexes = {index.name: index for index in handle.get_indexes("resident")}
    assert indexes["resident_phone"].columns == ["phone"] and not indexes["resident_phone"].unique
    handle.close()


# --- the words -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_question_fits_one_sms_and_has_the_same_placeholders(language: str) -> None:
    assert set(_placeholders("shared_phone_which", language)) == {"names", "example"}
    assert set(_placeholders("ack_shared_well", language)) == {"names"}
    names = "、".join(["欧阳娜娜", "王明"]) if language == "zh" else "Huang Qian, Wang Ming"
    text = render("shared_phone_which", language, names=names, example="Huang Qian")
    assert analyze(text).segments == 1, text


def _placeholders(key: str, language: str) -> list[str]:
    table = data.read_toml("templates", f"{language}.toml")
    return [name for _, name, _, _ in string.Formatter().parse(table[key]) if name]
