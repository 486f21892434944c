"""Nothing a resident says is lost: a reply nobody understood needs reading until an operator corrects it, answers it
or marks it read, is counted on the community's status, and raises an alert once when nobody read it in time."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import peewee
import pytest

from kit import needs_reading
from kit.clock import FixedClock
from kit.config import InboxSettings, Settings
from kit.errors import NotFound
from kit.inbox import correct_intent, reply_to
from kit.migrations import known_migrations
from kit.models import Alert, AuditEntry, Community, Message, Report, Task
from kit.residents import ResidentInput, add_resident
from kit.scheduling import run_due
from kit.stats import community_status
from kit.views import inbound_messages
from sms import router

pytestmark = pytest.mark.each_database  # storage code: runs on SQLite and PostgreSQL

PHONE = "+8613800138000"
NOT_UNDERSTOOD = "家里的事说不清楚，你们来看看吧"


@pytest.fixture
def wang(community: Community) -> int:
    return int(add_resident(ResidentInput(name="王秀英", phone="13800138000", grid="第1网格"), actor="test").id)


def arrives(text: str, number: int = 1) -> Message:
    return router.handle("simulator", f"SIM-{number}", PHONE, text)


def unread_ids() -> list[int]:
    return [line.id for line in inbound_messages(needs_reading_only=True)]


def test_a_reply_nobody_understood_waits_to_be_read(wang: int) -> None:
    understood = arrives("1", 1)
    lost = arrives(NOT_UNDERSTOOD, 2)
    assert json.loads(lost.intent)["intent"] == "unknown"
    assert unread_ids() == [lost.id]
    assert needs_reading.count() == 1
    flags = {line.id: line.needs_reading for line in inbound_messages()}
    assert flags == {understood.id: False, lost.id: True}
    assert needs_reading.count() == 1  # reading the inbox is not reading the message


def test_marking_it_read_takes_it_out_once_and_is_audited(wang: int) -> None:
    lost = arrives(NOT_UNDERSTOOD)
    mark = needs_reading.mark_read(lost.id, actor="李娜")
    assert (mark.by, mark.how) == ("李娜", "read")
    assert unread_ids() == [] and needs_reading.count() == 0
    again = needs_reading.mark_read(lost.id, actor="张伟")
    assert again == mark  # the first reader stays
    assert AuditEntry.select().where((AuditEntry.action == "read") & (AuditEntry.entity_id == lost.id)).count() == 1


def test_replying_to_it_takes_it_out(wang: int) -> None:
    lost = arrives(NOT_UNDERSTOOD)
    reply_to(lost.id, "我们马上打电话给您。", actor="李娜")
    assert needs_reading.count() == 0
    assert needs_reading.marks([lost.id])[lost.id].how == "reply"


def test_correcting_it_takes_it_out(wang: int) -> None:
    lost = arrives(NOT_UNDERSTOOD)
    correct_intent(lost.id, {"intent": "help", "text": "上门看看"}, actor="李娜")
    assert needs_reading.count() == 0
    assert needs_reading.marks([lost.id])[lost.id].how == "correct"


def test_an_unknown_message_cannot_be_marked_read(wang: int) -> None:
    with pytest.raises(NotFound, match="No incoming message 999"):
        needs_reading.mark_read(999, actor="李娜")


def test_the_count_is_in_the_communitys_status(wang: int) -> None:
    arrives(NOT_UNDERSTOOD, 1)
    arrives("？？", 2)
    assert community_status()["today"]["needs_reading"] == 2


def test_nobody_reading_it_in_time_raises_one_alert(wang: int, fixed_clock: FixedClock) -> None:
    settings = Settings(inbox=InboxSettings(read_within_minutes=30))
    lost = arrives(NOT_UNDERSTOOD)
    fixed_clock.advance(minutes=29)
    assert run_due(settings=settings).unread_alerted == 0
    assert not Alert.select().where(Alert.kind == "unread").exists()
    fixed_clock.advance(minutes=2)
    assert run_due(settings=settings).unread_alerted == 1
    fixed_clock.advance(minutes=30)
    assert run_due(settings=settings).unread_alerted == 0  # once per message
    alert = Alert.get(Alert.kind == "unread")
    assert alert.text.startswith(f"王秀英（+86 138 0013 8000）的短信（编号{lost.id}）已过去30分钟还没有人阅读")
    assert NOT_UNDERSTOOD in alert.text and alert.resident_id == wang
    needs_reading.mark_read(lost.id, actor="李娜")
    assert Alert.get_by_id(alert.id).acknowledged_by == "李娜"  # the alert was only about reading it


def test_no_alert_when_the_setting_is_zero_or_it_was_read(wang: int, fixed_clock: FixedClock) -> None:
    read = arrives(NOT_UNDERSTOOD, 1)
    arrives("？？", 2)
    needs_reading.mark_read(read.id, actor="李娜")
    fixed_clock.advance(hours=2)
    assert run_due(settings=Settings(inbox=InboxSettings(read_within_minutes=0))).unread_alerted == 0
    assert needs_reading.alert_unread(30) == 1  # only the one nobody read


def test_a_need_in_free_text_is_a_help_request_not_a_lost_reply(wang: int) -> None:
    message = arrives("家里没米了，也不会网上买")
    assert json.loads(message.intent) == {
        "intent": "help", "symptoms": [], "task_number": None, "temperature_c": None, "text": "家里没米了,也不会网上买"
    }  # fmt: skip
    assert needs_reading.count() == 0
    report = Report.get(Report.message == message.id)
    assert (report.kind, report.text) == ("help", "家里没米了，也不会网上买")
    assert Task.get(Task.resident == wang).need == "家里没米了,也不会网上买"


def test_the_migration_queues_the_last_days_replies_nobody_understood(tmp_path: Path) -> None:
    target = peewee.SqliteDatabase(str(tmp_path / "old.sqlite3"))
    migrations = known_migrations()
    for migration in migrations[:9]:
        migration.migrate(target)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    unknown = json.dumps({"intent": "unknown", "symptoms": [], "task_number": None, "temperature_c": None, "text": ""})
    well = unknown.replace("unknown", "well")
    rows = [  # (intent, corrected, hours ago)
        (unknown, "", 2),
        (unknown, "", 30),
        (unknown, '{"intent": "help"}', 2),
        (well, "", 2),
    ]
    with target.bind_ctx([Message]):
        ids = [
            Message.insert(
                direction="in", peer=PHONE, status="handled", intent=intent, corrected_intent=corrected,
                created_at=now - timedelta(hours=hours),
            ).execute()
            for intent, corrected, hours in rows
        ]  # fmt: skip
        migrations[9].migrate(target)
        queued = {row.id: row.needs_reading_since for row in Message.select().where(Message.id.in_(ids))}
    assert queued == {ids[0]: now - timedelta(hours=2), ids[1]: None, ids[2]: None, ids[3]: None}
    target.close()
