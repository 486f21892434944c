"""Understanding replies in batches: one pass over a mixed inbox ends exactly as acting on each message alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import kit.reports
import sms.router
from kit import clock, db
from kit.community import init_community
from kit.errors import ValidationError
from kit.models import Alert, Message, Report, Resident, Task
from kit.outbox import Draft, queue
from kit.residents import ResidentInput, add_resident
from kit.tasks import create_task
from kit.volunteers import add_volunteer
from sms.router import process, process_pending, receive

ZHANG = "+8613900000009"
DAUGHTER = "+8613600000001"
RESIDENTS = 40
BODIES = ("1", "2 发烧 38.5", "3 买药", "STOP", "好", "asdf ??", "发烧38.5", "1", "START", "3 帮我买菜")


def phone(number: int) -> str:
    return f"+86138{number:08d}"


@contextmanager
def fresh_database(path: Path) -> Iterator[None]:
    db.connect(path)
    try:
        init_community("幸福里社区", "CN", "Asia/Shanghai", ["zh", "en"], actor="test")
        yield
    finally:
        db.close()


def the_inbox() -> None:
    """A community, a volunteer with three tasks, a second contact we asked, and 200 mixed replies stored."""
    for number in range(RESIDENTS):
        second = DAUGHTER if number == 0 else None
        add_resident(ResidentInput(name=f"居民{number}", phone=phone(number), second_phone=second, grid="东区"))
    add_volunteer("张三", ZHANG, grids=["东区"])
    for number in range(3):
        create_task("help", resident_id=number + 1, need=f"买药{number}", actor="test")
    queue(Draft(peer=DAUGHTER, body="您的家人没有回复", kind="second_contact", key="second:1", resident_id=1))
    for i in range(200):
        if i % 25 == 3:
            peer, body = ZHANG, "DONE 3" if i < 100 else "完成"
        elif i % 31 == 7:
            peer, body = f"+86137{i:08d}", "hello"  # nobody we know
        elif i % 40 == 11:
            peer, body = DAUGHTER, "1" if i < 100 else "你们是谁"
        else:
            peer, body = phone(i % RESIDENTS), BODIES[i % len(BODIES)]
        receive("twilio", f"SM{i:04d}", peer, body)


def outcome() -> dict[str, Any]:
    """Everything the replies changed, without row ids that depend on nothing but insertion order."""
    return {
        "messages": list(Message.select(Message.peer, Message.status, Message.error, Message.intent).tuples()),
        "outbox": list(
            Message.select(Message.peer, Message.body, Message.kind, Message.key, Message.status)
            .where(Message.direction == "out")
            .order_by(Message.id)
            .tuples()
        ),
        "reports": list(
            Report.select(Report.resident, Report.kind, Report.temperature_c, Report.symptoms, Report.text)
            .order_by(Report.id)
            .tuples()
        ),
        "statuses": list(Resident.select(Resident.phone, Resident.status).order_by(Resident.id).tuples()),
        "alerts": list(Alert.select(Alert.kind, Alert.key, Alert.severity, Alert.text).order_by(Alert.id).tuples()),
        "tasks": list(Task.select(Task.need, Task.state, Task.volunteer).order_by(Task.id).tuples()),
    }


def run(path: Path, act: Callable[[], object]) -> dict[str, Any]:
    with fresh_database(path):
        the_inbox()
        act()
        return outcome()


def one_by_one() -> None:
    for (message_id,) in Message.select(Message.id).where(Message.direction == "in").order_by(Message.id).tuples():
        process(message_id)


def test_a_mixed_inbox_in_one_pass_ends_as_one_message_at_a_time(tmp_path: Path, fixed_clock: clock.FixedClock) -> None:
    alone = run(tmp_path / "alone.sqlite3", one_by_one)
    together = run(tmp_path / "together.sqlite3", lambda: process_pending())

    assert together == alone
    kinds = {kind for _, kind, *_ in alone["reports"]}
    assert kinds == {"well", "unwell", "help"}
    assert {status for _, status in alone["statuses"]} >= {"red"}
    assert {kind for kind, *_ in alone["alerts"]} >= {"fever", "red", "unknown_sender", "family_reply"}
    assert "done" in {state for _, state, _ in alone["tasks"]}
    assert all(status != "received" for _, status, *_ in together["messages"])


@pytest.mark.parametrize(("batch", "seconds"), [(64, 60.0), (200, 0.0)])  # cut by size; by time, one each
def test_a_pass_takes_the_whole_inbox_however_its_batches_are_cut(
    tmp_path: Path, fixed_clock: clock.FixedClock, monkeypatch: pytest.MonkeyPatch, batch: int, seconds: float
) -> None:
    monkeypatch.setattr(sms.router, "BATCH", batch)
    monkeypatch.setattr(sms.router, "BATCH_SECONDS", seconds)
    with fresh_database(tmp_path / "linli.sqlite3"):
        the_inbox()
        assert process_pending() == 200
        assert process_pending() == 0
        assert Message.select().where(Message.status == "received").count() == 0


def test_a_failing_message_ends_in_error_and_the_rest_of_its_batch_goes_through(
    tmp_path: Path, fixed_clock: clock.FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = kit.reports.record_report

    def fails_halfway(resident_id: int, kind: str, **options: Any) -> Any:
        result = original(resident_id, kind, **options)  # the report is written, then something breaks
        if options.get("message_id") in (broken, refused):
            raise RuntimeError("disk full") if options["message_id"] == broken else ValidationError("Too long.")
        return result

    with fresh_database(tmp_path / "linli.sqlite3"):
        add_resident(ResidentInput(name="王芳", phone=phone(0), grid="东区"))
        add_resident(ResidentInput(name="李四", phone=phone(1), grid="东区"))
        ids = [receive("twilio", f"SM{i}", phone(i % 2), f"{i % 3 + 1} 第{i}条")[0].id for i in range(12)]
        broken, refused = ids[4], ids[7]
        monkeypatch.setattr(sms.router, "record_report", fails_halfway)

        assert process_pending() == 12

        statuses = {m.id: (m.status, m.error) for m in Message.select().where(Message.direction == "in")}
        assert statuses[broken] == ("error", "RuntimeError: disk full")
        assert statuses[refused] == ("error", "Too long.")
        assert {statuses[i] for i in ids if i not in (broken, refused)} == {("handled", "")}
        reported = {r.message_id for r in Report.select()}
        assert reported == set(ids) - {broken, refused}  # their half-done work was undone, nobody else's
        assert Alert.select().where(Alert.kind == "inbound_error").count() == 2
