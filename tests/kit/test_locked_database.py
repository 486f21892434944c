"""Another writer holds the database's lock longer than the busy timeout: nothing is lost, nothing is done twice.

A second sqlite3 connection takes the write lock (BEGIN IMMEDIATE) and keeps it while the kit works; the kit's own
connection waits only a few milliseconds for it (the busy timeout is cut from 10 s for the test). The lock is
released by the test itself at a chosen moment (a gateway's send, the dispatcher's pause), never by a timer.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import kit.checkin.rounds
import kit.notices.sending
import sms.router
from kit import db, outbox
from kit.checkin import start_round
from kit.config import CheckinSettings, DispatchSettings, Settings
from kit.dispatcher import Dispatcher
from kit.errors import Conflict, ValidationError
from kit.gateway import GatewayError, Outgoing, SendResult
from kit.models import (
    Alert,
    AuditEntry,
    CheckinAsk,
    CheckinRound,
    Community,
    Message,
    Notice,
    OptOut,
    Report,
    Resident,
    Task,
)
from kit.notices import send_notice
from kit.outbox import Draft, queue
from kit.residents import ResidentInput, add_resident
from kit.scheduling import run_due
from kit.volunteers import add_volunteer
from sms.parser import Intent, parse_reply
from sms.router import process, process_pending, receive

WANG = "+8613800000001"
ZONE = ZoneInfo("Asia/Shanghai")


class OtherWriter:
    """A second connection to the same file, as another Linli process (an import, a second server) would be."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=0)
        self.holding = False

    def hold(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")
        self.holding = True

    def release(self) -> None:
        if self.holding:
            self.connection.execute("COMMIT")
            self.holding = False


@pytest.fixture
def other(community: Community, database: Path) -> Iterator[OtherWriter]:
    db.database.execute_sql("PRAGMA busy_timeout = 20")  # the kit gives up on a lock after 20 ms, not 10 s
    writer = OtherWriter(database)
    yield writer
    writer.release()
    writer.connection.close()


@pytest.fixture
def wang(community: Community) -> Resident:
    resident = add_resident(ResidentInput(name="王芳", phone=WANG, grid="东区", room="201"))
    add_volunteer("张三", "+8613900000009", grids=["东区"])
    return resident


# --- inbound -------------------------------------------------------------------------------------------------


def test_a_help_request_met_by_a_lock_stays_received_and_is_acted_on_later(wang: Resident, other: OtherWriter) -> None:
    message, _ = receive("twilio", "SM1", WANG, "3 买药")  # stored first, as the webhook does
    other.hold()

    assert process_pending() == 0  # nothing could be done, and nothing blew up
    assert process(message.id) == "busy"
    assert Message.get_by_id(message.id).status == "received"

    other.release()
    assert process_pending() == 1
    stored = Message.get_by_id(message.id)
    assert (stored.status, stored.error) == ("handled", "")
    assert [(r.kind, r.text) for r in Report.select()] == [("help", "3 买药")]
    assert [t.need for t in Task.select()] == ["买药"]
    assert Alert.select().where(Alert.kind == "inbound_error").count() == 0
    assert process(message.id) == "already"  # a second process looking at it later does nothing
    assert process_pending() == 0
    assert Report.select().count() == 1


def test_a_pass_stops_at_the_lock_and_the_next_takes_everything_in_order(wang: Resident, other: OtherWriter) -> None:
    receive("twilio", "SM1", WANG, "1")
    receive("twilio", "SM2", WANG, "3 买药")
    other.hold()
    assert process_pending() == 0
    other.release()
    assert process_pending() == 2
    assert [m.status for m in Message.select().where(Message.direction == "in").order_by(Message.id)] == [
        "handled",
        "handled",
    ]


def test_two_processes_sweeping_at_once_act_on_a_message_once(wang: Resident, monkeypatch: pytest.MonkeyPatch) -> None:
    message, _ = receive("twilio", "SM1", WANG, "3 买药")
    real_parse = parse_reply
    outcomes: list[str] = []

    def the_other_process_gets_there_first(text: str, language: str) -> Intent:
        if not outcomes:  # this process has read the message as 'received'; the other acts on it now
            outcomes.append("")
            outcomes.append(process_pending_elsewhere(message.id))
        return real_parse(text, language)

    def process_pending_elsewhere(message_id: int) -> str:
        monkeypatch.setattr(sms.router, "parse_reply", real_parse)
        return process(message_id)

    monkeypatch.setattr(sms.router, "parse_reply", the_other_process_gets_there_first)
    assert process(message.id) == "already"
    assert outcomes == ["", "help"]
    assert Report.select().count() == 1 and Task.select().count() == 1


def test_the_running_kit_sweeps_up_what_a_lock_left_received(wang: Resident, other: OtherWriter) -> None:
    from linli.runtime import Runtime  # the composition root: its scheduler thread sweeps when no webhook server runs

    message, _ = receive("twilio", "SM1", WANG, "3 买药")
    runtime = Runtime(Settings(), webhooks=False)
    other.hold()
    runtime.sweep_inbox()
    assert (Message.get_by_id(message.id).status, runtime.last_error) == ("received", "")
    other.release()
    runtime.sweep_inbox()
    assert Message.get_by_id(message.id).status == "handled"
    assert [t.need for t in Task.select()] == ["买药"]


def test_a_sweep_that_fails_is_shown_in_the_readers_language(wang: Resident, monkeypatch: pytest.MonkeyPatch) -> None:
    from kit import ui_words
    from linli.runtime import Runtime

    def broken() -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(sms.router, "process_pending", broken)
    runtime = Runtime(Settings(), webhooks=False)
    ui_words.use_language("zh")
    runtime.sweep_inbox()
    assert runtime.last_error == "处理收到的短信出错：RuntimeError: disk on fire"  # on the Today screen


def test_a_message_that_cannot_be_acted_on_ends_in_error_with_one_alert(
    wang: Resident, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> str:
        raise ValidationError("The need is too long to store.")

    monkeypatch.setattr(sms.router, "_act", refuse)
    message, _ = receive("twilio", "SM1", WANG, "3 买药")
    assert process(message.id) == "error"
    assert process_pending() == 0

    stored = Message.get_by_id(message.id)
    assert (stored.status, stored.error) == ("error", "The need is too long to store.")
    [alert] = Alert.select().where(Alert.kind == "inbound_error")
    assert alert.severity == "urgent" and alert.resident_id == wang.id
    assert alert.text == (
        f"来自{WANG}的短信（编号{message.id}）未能处理：The need is too long to store.。请阅读原文并人工跟进：“3 买药”"
    )
    outbox.mark_handled(message.id, error="again")  # marking it again alerts nobody twice
    assert Alert.select().count() == 1


def test_an_unexpected_failure_also_ends_in_error_with_an_alert_in_english(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kit.community import init_community

    init_community("Sunny Court", "CN", "Asia/Shanghai", ["en"], actor="test")
    add_resident(ResidentInput(name="Tom", phone=WANG, language="en"))

    def explode(*args: object) -> str:
        raise KeyError("grid")

    monkeypatch.setattr(sms.router, "_act", explode)
    message, _ = receive("twilio", "SM1", WANG, "3 medicine")
    assert process_pending() == 1
    assert Message.get_by_id(message.id).status == "error"
    [alert] = Alert.select()
    assert alert.text.startswith(f"The SMS from {WANG} (message {message.id}) could not be handled: KeyError: 'grid'.")
    assert alert.text.endswith("“3 medicine”")


# --- the dispatcher ----------------------------------------------------------------------------------------------


class Provider:
    """A gateway that accepts everything and remembers what it took; `on_send` runs after it took a message."""

    name = "provider"
    channel = "sms"

    def __init__(self, on_send: object = None, error: GatewayError | None = None) -> None:
        self.taken: list[int] = []
        self.on_send = on_send
        self.error = error

    def send(self, message: Outgoing) -> SendResult:
        if self.error is not None:
            if callable(self.on_send):
                self.on_send()
            raise self.error
        self.taken.append(message.message_id)
        if callable(self.on_send):
            self.on_send()
        return SendResult(provider_id=f"PR{message.message_id}", status="queued")

    def find_sent(self, message: Outgoing, since: object) -> str | None:
        return f"PR{message.message_id}" if message.message_id in self.taken else None


def queue_three() -> list[int]:
    return [queue(Draft(peer=f"+861380000000{i}", body="通知", kind="notice", key=f"n:{i}")).id for i in range(3)]


def dispatcher(provider: Provider, sleep: object = None) -> Dispatcher:
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        if callable(sleep):
            sleep()

    made = Dispatcher({"sms": provider}, DispatchSettings(rate_per_second=0), ZONE, sleep=pause)
    made.pauses = pauses  # type: ignore[attr-defined]
    return made


def statuses(ids: list[int]) -> list[tuple[str, str | None]]:
    return [(m.status, m.provider_id) for m in Message.select().where(Message.id.in_(ids)).order_by(Message.id)]


def test_a_send_whose_write_meets_a_lock_is_written_after_a_short_pause(
    community: Community, other: OtherWriter
) -> None:
    ids = queue_three()
    provider: Provider = Provider(on_send=lambda: other.hold() if not provider.taken[1:] else None)
    sending = dispatcher(provider, sleep=other.release)

    report = sending.step()

    assert report.sent == 3
    assert sending.pauses == [0.05]  # type: ignore[attr-defined]
    assert statuses(ids) == [("sent", f"PR{i}") for i in ids]
    assert provider.taken == ids


def test_a_batch_the_provider_accepted_is_written_once_the_lock_goes_and_never_sent_again(
    community: Community, other: OtherWriter
) -> None:
    ids = queue_three()
    provider = Provider(on_send=lambda: other.hold() if not other.holding else None)
    sending = dispatcher(provider)

    first = sending.step()  # the lock outlasts every try: the rows stay 'sending', the dispatcher keeps going
    assert first.sent == 3
    assert statuses(ids) == [("sending", None)] * 3

    other.release()
    second = sending.step()  # the same dispatcher, still running: no restart
    assert statuses(ids) == [("sent", f"PR{i}") for i in ids]
    assert provider.taken == ids  # each went to the provider once
    assert second.total == 0
    assert sending.run_once().total == 0
    assert provider.taken == ids


def test_a_failure_that_meets_a_lock_is_settled_with_the_provider_while_running(
    community: Community, other: OtherWriter
) -> None:
    [message_id] = queue_three()[:1]
    Message.update(status="cancelled").where(Message.id != message_id).execute()
    provider = Provider(on_send=other.hold, error=GatewayError("timed out"))
    sending = dispatcher(provider)

    assert sending.step().retried == 0  # the failure could not be written
    assert statuses([message_id]) == [("sending", None)]

    other.release()
    provider.error, provider.on_send = None, None
    report = sending.step()
    assert report.reconciled_requeued == 1  # the provider never had it: queued again, and sent in the same step
    assert report.sent == 1
    assert statuses([message_id]) == [("sent", f"PR{message_id}")]
    assert provider.taken == [message_id]


def test_a_message_that_fails_for_good_raises_one_alert(community: Community) -> None:
    [message_id] = queue_three()[:1]
    Message.update(status="cancelled").where(Message.id != message_id).execute()
    provider = Provider(error=GatewayError("the number does not exist", code="21211", permanent=True))
    report = dispatcher(provider).run_once()
    assert report.failed == 1
    assert Message.get_by_id(message_id).status == "failed"
    [alert] = Alert.select()
    assert (alert.kind, alert.severity) == ("send_failed", "warning")
    assert alert.text == (
        f"发给+8613800000000的消息（编号{message_id}）发送失败：the number does not exist。"
        "请核对号码，或用其他方式联系。"
    )


# --- a round started in chunks -----------------------------------------------------------------------------------

SETTINGS = CheckinSettings()


@pytest.fixture
def street(community: Community) -> list[Resident]:
    """Six residents of one grid: five with phones, one without (a door-knock)."""
    add_volunteer("张三", "+8613900000009", grids=["东区"])
    people = [
        add_resident(ResidentInput(name=f"居民{i}", phone=f"+861380000000{i}", grid="东区", room=f"{i}01"))
        for i in range(1, 6)
    ]
    people.append(add_resident(ResidentInput(name="无手机", phone=None, grid="东区", room="601")))
    return people


def test_a_round_is_started_in_chunks_and_others_write_between_them(
    street: list[Resident], other: OtherWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit.checkin.rounds, "CHUNK", 2)
    real = kit.checkin.rounds._ask_residents
    between: list[int] = []

    def ask_then_let_another_write(*args: Any, **kwargs: Any) -> None:
        other.hold()  # waits for nothing (timeout 0): it fails at once if the round still held the lock
        other.connection.execute("INSERT INTO opt_out (phone, at, source) VALUES (?, '2026-11-20', 'other')",
                                 (f"+86137{len(between):08d}",))  # fmt: skip
        other.release()
        between.append(CheckinAsk.select().count())
        real(*args, **kwargs)

    monkeypatch.setattr(kit.checkin.rounds, "_ask_residents", ask_then_let_another_write)
    round_ = start_round(settings=SETTINGS)

    assert between == [0, 2, 4]  # three chunks of two residents; the other writer got in before each
    assert OptOut.select().where(OptOut.source == "other").count() == 3
    assert round_.asked == 6
    assert prompts_per_phone() == {f"+861380000000{i}": 1 for i in range(1, 6)}


def test_a_start_cut_short_is_completed_by_starting_again_and_nobody_is_asked_twice(
    street: list[Resident], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit.checkin.rounds, "CHUNK", 3)
    real = kit.checkin.rounds._ask_residents
    chunks: list[int] = []

    def crash_in_the_second_chunk(*args: Any, **kwargs: Any) -> None:
        chunks.append(1)
        if len(chunks) == 2:
            raise KeyboardInterrupt("the laptop's lid was closed")
        real(*args, **kwargs)

    monkeypatch.setattr(kit.checkin.rounds, "_ask_residents", crash_in_the_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        start_round(settings=SETTINGS)
    [half] = CheckinRound.select()
    assert (half.asked, CheckinAsk.select().count()) == (0, 3)  # the first chunk, whole; not counted as started
    assert prompts_per_phone() == {f"+861380000000{i}": 1 for i in range(1, 4)}

    monkeypatch.setattr(kit.checkin.rounds, "_ask_residents", real)
    round_ = start_round(settings=SETTINGS)  # the scheduler's next tick, or the operator, starts it again
    assert round_.id == half.id and round_.asked == 6
    stages = Counter(stage for (stage,) in CheckinAsk.select(CheckinAsk.stage).tuples())
    assert stages == {"asked": 5, "door_knock": 1}
    assert prompts_per_phone() == {f"+861380000000{i}": 1 for i in range(1, 6)}
    [knock] = Task.select().where(Task.kind == "door_knock")
    assert CheckinAsk.get(CheckinAsk.stage == "door_knock").task_id == knock.id
    assert AuditEntry.select().where(AuditEntry.entity == "checkin_round").count() == 1

    add_resident(ResidentInput(name="新来的", phone="+8613800000008", grid="东区", room="801"))
    assert start_round(settings=SETTINGS).asked == 6  # started means started: a third call asks nobody new
    assert Message.select().where(Message.kind == "checkin").count() == 5
    assert Task.select().where(Task.kind == "door_knock").count() == 1


def test_the_scheduler_starts_the_round_in_chunks_too(
    street: list[Resident], other: OtherWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit.checkin.rounds, "CHUNK", 4)
    real = kit.checkin.rounds._ask_residents
    free: list[bool] = []

    def ask_after_another_took_the_lock(*args: Any, **kwargs: Any) -> None:
        other.hold()  # fails at once if run_due held the lock around the whole round
        other.release()
        free.append(True)
        real(*args, **kwargs)

    monkeypatch.setattr(kit.checkin.rounds, "_ask_residents", ask_after_another_took_the_lock)
    report = run_due(settings=Settings())
    assert (report.round.state, report.round.asked) == ("started", 6)
    assert free == [True, True]


# --- a notice queued in chunks ---------------------------------------------------------------------------------


def test_a_notice_is_queued_in_chunks_and_others_write_between_them(
    street: list[Resident], other: OtherWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit.notices.sending, "CHUNK", 2)
    queued_when_another_wrote: list[int] = []

    @contextmanager
    def after_another_writer() -> Iterator[None]:
        if not db.database.in_transaction():  # each transaction of its own, not the ones nested in it
            other.hold()  # fails at once if the notice still held the lock
            other.release()
            queued_when_another_wrote.append(Message.select().count())
        with db.transaction():
            yield

    monkeypatch.setattr(kit.notices.sending, "transaction", after_another_writer)
    send_notice("明天8点停水，请提前储水。", confirm=True, actor="test")
    assert queued_when_another_wrote == [0, 0, 2, 4, 5]  # the notice, three chunks, the audit
    assert notices_per_phone() == {f"+861380000000{i}": 1 for i in range(1, 6)}


def test_a_notice_cut_short_is_completed_by_sending_it_again_and_never_twice(
    street: list[Resident], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit.notices.sending, "CHUNK", 3)
    real = kit.notices.sending._insert
    calls: list[int] = []

    def crash_in_the_second_chunk(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("the laptop's lid was closed")
        real(*args, **kwargs)

    monkeypatch.setattr(kit.notices.sending, "_insert", crash_in_the_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        send_notice("明天8点停水，请提前储水。", confirm=True, actor="test")
    assert notices_per_phone() == {f"+861380000000{i}": 1 for i in range(1, 4)}

    monkeypatch.setattr(kit.notices.sending, "_insert", real)
    again = send_notice("明天8点停水，请提前储水。", confirm=True, actor="test")  # the operator sends it again
    assert [n.id for n in Notice.select()] == [again.id]
    assert notices_per_phone() == {f"+861380000000{i}": 1 for i in range(1, 6)}
    assert AuditEntry.select().where(AuditEntry.entity == "notice").count() == 1
    with pytest.raises(Conflict, match="already sent"):
        send_notice("明天8点停水，请提前储水。", confirm=True, actor="test")
    assert Message.select().count() == 5


def notices_per_phone() -> dict[str, int]:
    return dict(Counter(m.peer for m in Message.select().where(Message.kind == "notice")))


def prompts_per_phone() -> dict[str, int]:
    return dict(Counter(m.peer for m in Message.select().where(Message.kind == "checkin")))
