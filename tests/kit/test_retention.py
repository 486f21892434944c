"""kit.retention: old reports, messages and audit entries are purged in chunks, moved-out residents are anonymised,
the audit trail keeps the counts, and the scheduler purges once a day."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone

import pytest

from kit import audit, retention
from kit.clock import utcnow
from kit.config import RetentionSettings, Settings
from kit.db import transaction
from kit.errors import ConfigError, Conflict
from kit.models import Alert, AuditEntry, Community, Message, MessageEvent, Report, Resident, ResidentTag, Task
from kit.residents import ResidentInput, add_resident, edit_resident
from kit.retention import purge, retention_figures, set_moved_out
from kit.scheduling import run_due
from kit.volunteer_models import VolunteerSignup

DAY = timedelta(days=1)


def message(
    resident: Resident | None, age: timedelta, status: str = "delivered", body: str = "今天身体好吗"
) -> Message:
    at = utcnow() - age
    row = Message.create(
        direction="out", peer="+8613800138000", body=body, kind="checkin", status=status, resident=resident,
        created_at=at, updated_at=at, not_before=at,
    )  # fmt: skip
    MessageEvent.create(message=row.id, status="queued", at=at)
    if status != "queued":
        MessageEvent.create(message=row.id, status=status, at=at)
    return row


def report(resident: Resident, age: timedelta, text: str = "2 发烧38.5") -> Report:
    return Report.create(resident=resident, at=utcnow() - age, kind="unwell", text=text)


def entry(age: timedelta) -> AuditEntry:
    return AuditEntry.create(at=utcnow() - age, actor="test", action="edit", entity="volunteer", entity_id=1)


@pytest.fixture
def wang(community: Community) -> Resident:
    return add_resident(
        ResidentInput(
            name="王秀英",
            phone="13800138000",
            second_phone="13900139000",
            notes="独居，心脏病",
            tags="独居老人,chronic",
        ),
        actor="test",
    )


def test_purge_removes_only_what_is_older_than_kept(wang: Resident) -> None:
    old_report, new_report = report(wang, 91 * DAY), report(wang, 89 * DAY)
    old_message, new_message = message(wang, 91 * DAY), message(wang, 89 * DAY)
    still_queued = message(wang, 200 * DAY, status="queued")
    old_entry, new_entry = entry(91 * DAY), entry(89 * DAY)

    done = purge(RetentionSettings(), actor="test")

    assert (done.reports, done.messages, done.message_events, done.audit_entries) == (1, 1, 2, 1)
    assert [r.id for r in Report.select()] == [new_report.id]
    assert {m.id for m in Message.select()} == {new_message.id, still_queued.id}
    assert not MessageEvent.select().where(MessageEvent.message == old_message.id).exists()
    assert not AuditEntry.select().where(AuditEntry.id.in_([old_entry.id])).exists()
    assert AuditEntry.get_by_id(new_entry.id)
    [record] = audit.recent(1)
    assert (record.actor, record.action, record.entity) == ("test", "purge", "retention")
    assert json.loads(record.detail) == {
        "reports": 1, "messages": 1, "message_events": 2, "signups": 0, "audit_entries": 1, "anonymised": 0,
    }  # fmt: skip
    assert old_report.text not in record.detail


def test_a_dry_run_counts_and_changes_nothing(wang: Resident) -> None:
    report(wang, 100 * DAY)
    message(wang, 100 * DAY)
    entry(100 * DAY)
    entries = AuditEntry.select().count()

    done = purge(RetentionSettings(), dry_run=True)

    assert (done.reports, done.messages, done.message_events, done.audit_entries, done.dry_run) == (1, 1, 2, 1, True)
    assert done.describe().startswith(
        "would purge 1 health report, 1 message (2 status events), 0 volunteer sign-ups, 1 audit entry"
    )
    assert (Report.select().count(), Message.select().count(), AuditEntry.select().count()) == (1, 1, entries)


def test_zero_days_keeps_for_ever_and_other_days_are_settings(wang: Resident) -> None:
    report(wang, 1000 * DAY)
    recent = report(wang, 8 * DAY)
    message(wang, 1000 * DAY)

    done = purge(RetentionSettings(reports_days=7, messages_days=0, audit_days=0))

    assert (done.reports, done.messages, done.audit_entries) == (2, 0, 0)
    assert not Report.select().where(Report.id == recent.id).exists()
    assert Message.select().count() == 1


def test_rows_go_in_chunks_each_in_its_own_transaction(wang: Resident, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(5):
        report(wang, 100 * DAY)
    commits: list[int] = []
    real = transaction

    @contextmanager
    def counted() -> Iterator[None]:
        with real():
            yield
        commits.append(Report.select().count())  # what was left after each commit

    monkeypatch.setattr(retention, "CHUNK", 2)
    monkeypatch.setattr(retention, "transaction", counted)

    assert purge(RetentionSettings(messages_days=0, audit_days=0)).reports == 5
    assert [left for left in commits if left < 5][:3] == [3, 1, 0]  # 2, 2 and 1 at a time


def test_negative_days_are_refused(community: Community) -> None:
    with pytest.raises(ConfigError, match=r"retention.audit_days must be 0 \(keep for ever\) or a number of days"):
        purge(RetentionSettings(audit_days=-1))


# --- moving out ------------------------------------------------------------------------------------------------


def test_a_resident_who_moved_out_long_enough_ago_is_anonymised(wang: Resident) -> None:
    edit_resident(wang.id, {"notes": "独居，心脏病，钥匙在邻居家"}, actor="test")  # an audit entry with their details
    reply = message(wang, 2 * DAY, body="王秀英 今天不舒服")
    in_flight = message(wang, 0 * DAY, status="queued")
    fever = report(wang, 2 * DAY, text="2 发烧38.5 王秀英")
    task = Task.create(kind="help", resident=wang, need="王秀英要买药", notes="钥匙在邻居家")
    alert = Alert.create(kind="fever", resident=wang, text="王秀英 发烧 38.5")
    set_moved_out(wang.id, date(2026, 10, 1), actor="test")
    neighbour = add_resident(ResidentInput(name="李四", phone="13700137000"), actor="test")
    set_moved_out(neighbour.id, date(2026, 11, 10), actor="test")  # 10 days ago: not yet

    done = purge(RetentionSettings(), actor="test")

    assert done.anonymised == 1
    gone = Resident.get_by_id(wang.id)
    assert (gone.name, gone.phone, gone.second_phone, gone.notes, gone.birth_year) == (
        f"已迁出 #{wang.id}", None, None, "", None,
    )  # fmt: skip
    assert gone.anonymised_at == utcnow() and gone.household_id is None
    assert not ResidentTag.select().where(ResidentTag.resident == wang.id).exists()
    assert not Message.select().where(Message.id == reply.id).exists()
    assert Message.get_by_id(in_flight.id).status == "queued"  # the dispatcher still owns it
    assert (Report.get_by_id(fever.id).text, Task.get_by_id(task.id).need, Task.get_by_id(task.id).notes) == (
        "",
        "",
        "",
    )
    assert Alert.get_by_id(alert.id).text == ""
    about_them = AuditEntry.select().where((AuditEntry.entity == "resident") & (AuditEntry.entity_id == wang.id))
    assert all("王秀英" not in e.detail and "钥匙" not in e.detail for e in about_them)
    assert Resident.get_by_id(neighbour.id).name == "李四"
    assert purge(RetentionSettings()).anonymised == 0  # once


def test_moving_out_can_be_undone_until_anonymised(wang: Resident) -> None:
    moved = set_moved_out(wang.id, actor="test")
    assert moved.moved_out_at == utcnow()
    assert retention_figures(RetentionSettings())["moved_out_waiting"] == 1
    assert set_moved_out(wang.id, undo=True, actor="test").moved_out_at is None
    set_moved_out(wang.id, date(2026, 1, 1), actor="test")
    purge(RetentionSettings(anonymise_after_days=0))
    with pytest.raises(Conflict, match="was anonymised"):
        set_moved_out(wang.id, undo=True)


def test_the_move_out_date_is_a_local_day(wang: Resident) -> None:
    moved = set_moved_out(wang.id, date(2026, 11, 1), actor="test")
    assert moved.moved_out_at == datetime(2026, 10, 31, 16, 0)  # 00:00 in Shanghai, as naive UTC


def test_rounds_and_notices_reach_nobody_who_moved_out(wang: Resident) -> None:
    from kit.checkin import start_round
    from kit.config import CheckinSettings
    from kit.models import CheckinAsk
    from kit.notices import preview_notice

    stays = add_resident(ResidentInput(name="李四", phone="13700137000"), actor="test")
    leaving = add_resident(ResidentInput(name="赵六", phone="13600136000"), actor="test")
    set_moved_out(wang.id, date(2026, 10, 1), actor="test")
    purge(RetentionSettings())  # anonymised: no phone left, which must not put them on the door-knock list
    set_moved_out(leaving.id, date(2026, 11, 15), actor="test")  # details kept for now, phone included

    start_round(settings=CheckinSettings(), actor="test")

    assert [ask.resident_id for ask in CheckinAsk.select()] == [stays.id]
    assert not Task.select().where(Task.resident.in_([wang.id, leaving.id])).exists()
    assert preview_notice("停水通知：明天9点到12点").recipients == 1


# --- the scheduler ---------------------------------------------------------------------------------------------


def test_the_scheduler_purges_once_a_day_from_purge_at(wang: Resident) -> None:
    settings = Settings()
    settings.checkin.time = "23:00"  # keep the round out of this test
    report(wang, 100 * DAY)
    before = run_due(settings=settings, at=datetime(2026, 11, 19, 18, 59, tzinfo=timezone.utc))  # 02:59 local
    assert before.purged is None and Report.select().count() == 1

    first = run_due(settings=settings, at=datetime(2026, 11, 19, 19, 0, tzinfo=timezone.utc))  # 03:00 local
    assert first.purged is not None and first.purged.reports == 1 and first.did_something
    assert "retention: purged 1 health report" in "\n".join(first.lines())
    assert first.as_dict()["purged"]["reports"] == 1

    report(wang, 100 * DAY)
    again = run_due(settings=settings, at=datetime(2026, 11, 19, 22, 0, tzinfo=timezone.utc))  # 06:00 local
    assert again.purged is None and Report.select().count() == 1


def test_decided_sign_ups_go_with_the_messages_and_one_still_waiting_stays(community: Community) -> None:
    def signup(phone: str, age: timedelta, status: str) -> VolunteerSignup:
        return VolunteerSignup.create(phone=phone, text="报名 志愿者", status=status, created_at=utcnow() - age)

    old_approved = signup("+8613900000001", 91 * DAY, "approved")
    old_declined = signup("+8613900000002", 91 * DAY, "declined")
    old_waiting = signup("+8613900000003", 91 * DAY, "pending")
    recent = signup("+8613900000004", 89 * DAY, "declined")

    assert purge(RetentionSettings(), dry_run=True).signups == 2
    done = purge(RetentionSettings(), actor="test")

    assert done.signups == 2 and "2 volunteer sign-ups" in done.describe()
    assert {s.id for s in VolunteerSignup.select()} == {old_waiting.id, recent.id}
    assert not {old_approved.id, old_declined.id} & {s.id for s in VolunteerSignup.select()}
    assert json.loads(audit.recent(1)[0].detail)["signups"] == 2
