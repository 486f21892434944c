"""Understanding replies in batches: one pass over a mixed inbox ends exactly as acting on each message alone, and a
message that fails takes nothing of its batch down with it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kit.report_batch
import kit.reports
import sms.batch
import sms.router
from kit import clock, db
from kit.checkin import start_round
from kit.clock import utcnow
from kit.community import init_community
from kit.config import CheckinSettings
from kit.errors import ValidationError
from kit.models import Alert, AuditEntry, CheckinAsk, Message, MessageEvent, Report, Resident, Task
from kit.outbox import Draft, queue
from kit.residents import ResidentInput, add_resident
from kit.tasks import Visit, create_door_knocks, create_task
from kit.volunteers import add_volunteer
from sms.router import process, process_pending, receive

ZHANG = "+8613900000009"  # the volunteer of 东区
DAUGHTER = "+8613600000001"  # 居民0's second contact, asked about her this morning
SHARED = "+8613700000088"  # 黄倩 and 王明, one household, one phone
STRANGER = "+8613500000077"
RESIDENTS = 8
FAILS = "发烧 41.9"  # a reply whose acknowledgement cannot be written (see `acknowledgement_fails_at_41_9`)
BODIES = (
    "1", "好", "2 发烧 38.5", "3 买药", "1 体温36.6 一切正常", "2 咳嗽", "3", "asdf ??", "STOP", "START", "DONE",
    "DONE 2", "完成 1", "自动回复：我现在不方便", FAILS, "黄倩 1", "王明 发烧38.5",
)  # fmt: skip
SENDERS = (*(f"+86138{n:08d}" for n in range(RESIDENTS)), ZHANG, DAUGHTER, SHARED, STRANGER)


def phone(number: int) -> str:
    return f"+86138{number:08d}"


def the_community() -> None:
    """Residents asked in today's round (居民3 already on the door-knock list), two volunteers with two tasks of
    theirs, a second contact we asked, and a phone two residents of one household share."""
    init_community("幸福里社区", "CN", "Asia/Shanghai", ["zh", "en"], actor="test")
    for number in range(RESIDENTS):
        second = DAUGHTER if number == 0 else None
        add_resident(ResidentInput(name=f"居民{number}", phone=phone(number), second_phone=second, grid="东区"))
    for name in ("黄倩", "王明"):
        add_resident(ResidentInput(name=name, phone=SHARED, grid="东区", building="3", unit="1", room="201"))
    add_volunteer("张三", ZHANG, grids=["东区"])
    round_ = start_round(settings=CheckinSettings())
    for number in range(2):
        create_task("help", resident_id=number + 5, need=f"买药{number}", actor="test")
    add_volunteer("李四", "+8613900000010", grids=["东区"])  # who never texts: help goes to them after 张三's STOP
    knocked = Resident.get(Resident.phone == phone(3))
    task_ids = create_door_knocks(
        [Visit(knocked.id, knocked.grid_id)], due_at=utcnow() + timedelta(hours=2), round_id=round_.id, actor="test"
    )
    CheckinAsk.update(stage="door_knock", task=task_ids[knocked.id]).where(CheckinAsk.resident == knocked.id).execute()
    queue(Draft(peer=DAUGHTER, body="您的家人没有回复", kind="second_contact", key="second:1", resident_id=1))


@contextmanager
def opened(path: Path) -> Iterator[None]:
    db.connect(path)
    try:
        yield
    finally:
        db.close()


@pytest.fixture
def template(tmp_path: Path, fixed_clock: clock.FixedClock) -> Path:
    """The community above, stored once; each run starts from a copy of it."""
    path = tmp_path / "template.sqlite3"
    with opened(path):
        the_community()
    return path


@pytest.fixture(autouse=True)
def acknowledgement_fails_at_41_9(monkeypatch: pytest.MonkeyPatch) -> None:
    """A report of 41.9 °C cannot be acknowledged: whichever way its report is written, it fails the same way."""
    original = kit.reports.ack_draft

    def refusing(resident: Resident, kind: str, temperature_c: float | None, *rest: Any) -> Draft:
        if temperature_c == 41.9:
            raise ValidationError("No acknowledgement for 41.9 °C.")
        return original(resident, kind, temperature_c, *rest)

    monkeypatch.setattr(kit.reports, "ack_draft", refusing)


def outcome() -> dict[str, Any]:
    """Everything the replies changed, each table in an order that depends on its contents, not on row ids (the
    batch writes rows of one table together, so their ids come in another order; ids people see, such as task
    numbers, are compared)."""

    def rows(query: Any) -> list[tuple[Any, ...]]:
        return sorted(query.tuples(), key=repr)

    return {
        "inbox": rows(Message.select(Message.id, Message.status, Message.error, Message.intent, Message.resident)
                      .where(Message.direction == "in")),
        "outbox": rows(Message.select(Message.peer, Message.body, Message.kind, Message.key, Message.status,
                                      Message.resident, Message.volunteer, Message.task, Message.priority)
                       .where(Message.direction == "out")),
        "events": rows(MessageEvent.select(Message.key, MessageEvent.status).join(Message)),
        "reports": rows(Report.select(Report.resident, Report.kind, Report.temperature_c, Report.symptoms,
                                      Report.text, Report.message, Report.round, Report.channel)),
        "asks": rows(CheckinAsk.select(CheckinAsk.resident, CheckinAsk.stage, CheckinAsk.outcome,
                                       CheckinAsk.answered_at)),
        "statuses": rows(Resident.select(Resident.id, Resident.status, Resident.opted_out)),
        "alerts": rows(Alert.select(Alert.kind, Alert.key, Alert.severity, Alert.text, Alert.resident, Alert.task)),
        "tasks": rows(Task.select(Task.id, Task.kind, Task.need, Task.state, Task.volunteer, Task.resident, Task.due_at,
                                  Task.notes)),
        "audit": rows(AuditEntry.select(AuditEntry.actor, AuditEntry.action, AuditEntry.entity, AuditEntry.entity_id,
                                        AuditEntry.detail)),
    }  # fmt: skip


def run(template: Path, folder: Path, name: str, replies: list[tuple[str, str]], act: Callable[[], object]) -> Any:
    path = folder / f"{name}.sqlite3"
    shutil.copy(template, path)
    with opened(path):
        for i, (peer, body) in enumerate(replies):
            receive("twilio", f"SM{i:04d}", peer, body)
        act()
        return outcome()


def one_by_one() -> None:
    for (message_id,) in Message.select(Message.id).where(Message.direction == "in").order_by(Message.id).tuples():
        process(message_id)


def the_mixed_inbox() -> list[tuple[str, str]]:
    replies = []
    for i in range(200):
        if i % 25 == 3:
            replies.append((ZHANG, "DONE 2" if i < 100 else "完成"))
        elif i % 31 == 7:
            replies.append((f"+86137{i:08d}", "hello"))  # nobody we know
        elif i % 40 == 11:
            replies.append((DAUGHTER, "1" if i < 100 else "你们是谁"))
        else:
            replies.append((SENDERS[i % len(SENDERS)], BODIES[i % len(BODIES)]))
    return replies


def test_a_mixed_inbox_in_one_pass_ends_as_one_message_at_a_time(template: Path, tmp_path: Path) -> None:
    replies = the_mixed_inbox()
    alone = run(template, tmp_path, "alone", replies, one_by_one)
    together = run(template, tmp_path, "together", replies, process_pending)

    assert together == alone
    assert {kind for _, kind, *_ in alone["reports"]} == {"well", "unwell", "help"}
    assert {status for _, status, _ in alone["statuses"]} >= {"red", "green"}
    assert {kind for kind, *_ in alone["alerts"]} >= {"fever", "red", "unknown_sender", "family_reply", "inbound_error"}
    assert {state for _, kind, _, state, *_ in alone["tasks"] if kind == "door_knock"} == {"cancelled"}
    assert {state for _, kind, _, state, *_ in alone["tasks"] if kind == "help"} >= {"assigned", "done"}
    assert {status for _, status, *_ in together["inbox"]} == {"handled", "error"}
    errors = [error for _, status, error, *_ in together["inbox"] if status == "error"]
    assert errors and set(errors) == {"No acknowledgement for 41.9 °C."}  # a resident's "发烧 41.9", each time


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(SENDERS), st.sampled_from(BODIES)), min_size=1, max_size=40))
def test_any_inbox_in_batches_ends_as_one_message_at_a_time(
    template: Path, monkeypatch: pytest.MonkeyPatch, replies: list[tuple[str, str]]
) -> None:
    monkeypatch.setattr(sms.batch, "MOST", 7)  # several transactions, cut anywhere
    monkeypatch.setattr(sms.batch, "FEWEST", 3)
    with tempfile.TemporaryDirectory() as folder:
        alone = run(template, Path(folder), "alone", replies, one_by_one)
        together = run(template, Path(folder), "together", replies, process_pending)
    assert together == alone


@pytest.mark.parametrize(("most", "fewest", "seconds"), [(64, 64, 60.0), (200, 1, 0.0)])  # by size; by time, one each
def test_a_pass_takes_the_whole_inbox_however_its_transactions_are_cut(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, most: int, fewest: int, seconds: float
) -> None:
    monkeypatch.setattr(sms.batch, "MOST", most)
    monkeypatch.setattr(sms.batch, "FEWEST", fewest)
    monkeypatch.setattr(sms.batch, "BATCH_SECONDS", seconds)

    def twice() -> None:
        assert process_pending() == 200
        assert process_pending() == 0

    together = run(template, tmp_path, "together", the_mixed_inbox(), twice)
    assert all(status != "received" for _, status, *_ in together["inbox"])


def test_a_failing_message_ends_in_error_and_the_rest_of_its_batch_goes_through(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = kit.report_batch.record_reports
    broken: list[int] = []

    def fails_halfway(requests: Any) -> Any:
        result = original(requests)  # everything is written, then something breaks
        if any(r.message_id in broken for r in requests):
            raise RuntimeError("disk full")
        return result

    path = tmp_path / "linli.sqlite3"
    shutil.copy(template, path)
    with opened(path):
        ids = [receive("twilio", f"SM{i}", phone(i % 4), f"{i % 3 + 1} 第{i}条")[0].id for i in range(12)]
        broken.append(ids[4])
        monkeypatch.setattr(sms.batch, "record_reports", fails_halfway)
        original_alone = kit.reports.record_report

        def fails_alone(resident_id: int, kind: str, **options: Any) -> Any:
            if options.get("message_id") == ids[4]:
                raise RuntimeError("disk full")
            return original_alone(resident_id, kind, **options)

        monkeypatch.setattr(sms.router, "record_report", fails_alone)

        assert process_pending() == 12

        statuses = {m.id: (m.status, m.error) for m in Message.select().where(Message.direction == "in")}
        assert statuses[ids[4]] == ("error", "RuntimeError: disk full")
        assert {statuses[i] for i in ids if i != ids[4]} == {("handled", "")}
        assert {r.message_id for r in Report.select()} == set(ids) - {ids[4]}  # its half-done work was undone
        assert Report.select().count() == 11  # and nobody's report was written twice
        assert {m.key for m in Message.select().where(Message.key.startswith("ack:"))} == {
            f"ack:{i}" for i in ids if i != ids[4]
        }
        [alert] = Alert.select().where(Alert.kind == "inbound_error")
        assert str(ids[4]) in alert.text


def test_a_report_waiting_in_a_batch_is_written_before_the_next_message_of_its_resident(
    template: Path, tmp_path: Path
) -> None:
    replies = [(phone(1), "2 发烧 38.5"), (phone(1), "1"), (phone(1), "STOP"), (phone(1), "3 买药")]
    together = run(template, tmp_path, "together", replies, process_pending)
    alone = run(template, tmp_path, "alone", replies, one_by_one)
    assert together == alone
    reports = [(kind, round_id is not None) for _, kind, _, _, _, _, round_id, _ in together["reports"]]
    assert sorted(reports) == [("help", False), ("unwell", True), ("well", False)]  # only the first answered the ask
    acks = {status for _, _, _, key, status, *_ in together["outbox"] if key.startswith("ack:")}
    assert acks == {"queued", "skipped"}  # after STOP, the acknowledgement of "3 买药" is skipped, not sent
