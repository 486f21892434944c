"""The ladder's reminder rung, written by the database itself for whole ranges of asks, and long writes that take
turns with other writers (the per-rung behaviour is specified in test_checkin.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import kit.checkin.ladder
from kit.bulk import Turns
from kit.busy import turn_gap
from kit.checkin import advance_ladder, round_expiry, start_round
from kit.checkin.rungs import Due, Reminders, reminder_draft
from kit.clock import FixedClock, utcnow
from kit.community import community_zone
from kit.config import CheckinSettings
from kit.db import transaction
from kit.models import Alert, CheckinAsk, CheckinRound, Community, Message, OptOut, Resident
from kit.outbox import opt_out
from kit.residents import ResidentInput, add_resident
from kit.segments import analyze
from kit.volunteers import add_volunteer
from tests.kit.test_template_mode import template_only

pytestmark = pytest.mark.each_database  # storage code: runs on SQLite and PostgreSQL

SETTINGS = CheckinSettings()


@pytest.fixture
def street(community: Community) -> list[Resident]:
    """Five residents with phones (one reads English) and one without (a door-knock)."""
    add_volunteer("张三", "+8613900000009", grids=["东区"])
    people = [
        add_resident(ResidentInput(name=f"居民{i}", phone=f"+861380000000{i}", grid="东区", room=f"{i}01"))
        for i in range(1, 5)
    ]
    people.append(add_resident(ResidentInput(name="Amy", phone="+8613800000005", grid="东区", language="en")))
    people.append(add_resident(ResidentInput(name="无手机", phone=None, grid="东区", room="601")))
    return people


def deliver_everything() -> None:
    Message.update(status="delivered", sent_at=utcnow()).where(Message.status == "queued").execute()


def stages() -> dict[str, str]:
    return {name: stage for stage, name in CheckinAsk.select(CheckinAsk.stage, Resident.name).join(Resident).tuples()}


def reminders_per_phone() -> Counter[str]:
    return Counter(peer for (peer,) in Message.select(Message.peer).where(Message.kind == "reminder").tuples())


def test_the_reminders_are_what_the_per_ask_rung_would_queue(street: list[Resident], fixed_clock: FixedClock) -> None:
    round_ = start_round(settings=SETTINGS)
    deliver_everything()
    fixed_clock.advance(hours=3)  # 12:00
    report = advance_ladder(settings=SETTINGS)
    assert (report.reminded, report.alerted, report.waiting) == (5, 1, 0)
    expires = round_expiry(round_.local_date, round_.started_at, SETTINGS, community_zone())
    for person in street[:5]:
        due = Due(0, round_.id, person.id, "asked", None, round_.local_date, round_.started_at, person.phone, None,
                  person.language, person.grid_id, False, None, None, None)  # fmt: skip
        draft = reminder_draft(due, expires)
        message = Message.get(Message.key == draft.key)
        assert (message.peer, message.body, message.kind, message.channel, message.language) == (
            draft.peer, draft.body, draft.kind, draft.channel, draft.language,
        )  # fmt: skip
        assert (message.resident_id, message.round_id, message.priority, message.expires_at) == (
            draft.resident_id, draft.round_id, draft.priority, draft.expires_at,
        )  # fmt: skip
        assert (message.status, message.not_before, message.segments) == (
            "queued",
            utcnow(),
            analyze(draft.body).segments,
        )
    assert Message.get(Message.peer == "+8613800000005", Message.kind == "reminder").body.startswith("Reminder")
    ask = CheckinAsk.get(CheckinAsk.resident == street[0].id)
    assert (ask.stage, ask.next_step_at, ask.outcome, ask.updated_at) == (
        "reminded",
        utcnow() + timedelta(hours=SETTINGS.call_after_hours),
        "",
        utcnow(),
    )
    assert advance_ladder(settings=SETTINGS).reminded == 0  # moved on: the next pass reminds nobody again
    assert reminders_per_phone() == {f"+861380000000{i}": 1 for i in range(1, 6)}


def test_residents_who_opted_out_are_called_instead_in_the_same_step(
    street: list[Resident], fixed_clock: FixedClock
) -> None:
    start_round(settings=SETTINGS)
    deliver_everything()
    opt_out("+8613800000001")  # STOP: in the register and the opt-out list
    OptOut.create(phone="+8613800000002", source="carrier")  # at the carrier only
    fixed_clock.advance(hours=3)
    report = advance_ladder(settings=SETTINGS)
    assert (report.reminded, report.opted_out, report.called) == (3, 2, 2)
    assert reminders_per_phone() == {"+8613800000003": 1, "+8613800000004": 1, "+8613800000005": 1}
    assert stages() == {
        "居民1": "called", "居民2": "called", "居民3": "reminded", "居民4": "reminded", "Amy": "reminded",
        "无手机": "alerted",
    }  # fmt: skip


def test_a_prompt_that_never_went_out_does_not_hold_the_reminder_back(
    street: list[Resident], fixed_clock: FixedClock
) -> None:
    start_round(settings=SETTINGS)
    Message.update(status="failed").where(Message.peer == "+8613800000001").execute()
    fixed_clock.advance(hours=1)  # 10:00: the others go out late
    deliver_everything()
    fixed_clock.advance(hours=2)  # 12:00
    report = advance_ladder(settings=SETTINGS)
    assert report.reminded == 1
    assert reminders_per_phone() == {"+8613800000001": 1}
    later = CheckinAsk.get(CheckinAsk.resident == street[2].id)
    assert (later.stage, later.next_step_at) == ("asked", utcnow() + timedelta(hours=1))  # 3 h after it went out


def test_a_step_cut_short_between_ranges_reminds_everybody_once_when_run_again(
    street: list[Resident], fixed_clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit.checkin.ladder, "RANGE", 2)
    start_round(settings=SETTINGS)
    deliver_everything()
    fixed_clock.advance(hours=3)
    real = Reminders.run
    ranges: list[int] = []

    def crash_in_the_second_range(self: Reminders, first: int, last: int) -> int:
        ranges.append(first)
        if len(ranges) == 2:
            assert self.queue is not None
            self.choose.run(first, last)
            assert self.queue.run(first, last) > 0  # its reminders are queued, its asks not moved yet...
            raise KeyboardInterrupt("the laptop's lid was closed")  # ...when the step stops
        return real(self, first, last)

    monkeypatch.setattr(Reminders, "run", crash_in_the_second_range)
    with pytest.raises(KeyboardInterrupt):
        advance_ladder(settings=SETTINGS)
    reminded = {name for name, stage in stages().items() if stage == "reminded"}
    assert reminded == {"居民1", "居民2"}  # the first range, whole; nothing of the second
    assert reminders_per_phone() == {"+8613800000001": 1, "+8613800000002": 1}

    monkeypatch.setattr(Reminders, "run", real)
    report = advance_ladder(settings=SETTINGS)  # the scheduler's next tick
    assert (report.reminded, report.alerted) == (3, 1)
    assert reminders_per_phone() == {f"+861380000000{i}": 1 for i in range(1, 6)}
    assert set(stages().values()) == {"reminded", "alerted"}


# --- taking turns with other writers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("held", "gap"),
    [(0.0005, 0.006), (0.01, 0.015), (0.05, 0.025), (0.1, 0.03), (0.128, 0.03), (0.15, 0.055), (2.0, 0.105)],
)
def test_the_lock_is_left_free_as_long_as_a_waiting_writer_sleeps(held: float, gap: float) -> None:
    assert turn_gap(held) == pytest.approx(gap)


def fake_timer(*moments: float) -> Iterator[float]:
    yield from moments


def test_a_long_write_leaves_the_lock_free_between_its_transactions(database_backend: str, database: Any) -> None:
    slept: list[float] = []
    moments = fake_timer(0.0, 0.08, 1.0, 1.01, 2.0, 2.2)
    turns = Turns(sleep=slept.append, timer=lambda: next(moments))
    for _ in range(3):
        with turns.transaction():
            CheckinRound.select().count()
    # Nothing before the first; after each, as long as a writer that waited through it sleeps (PostgreSQL: none).
    assert slept == ([turn_gap(0.08), turn_gap(0.01)] if database_backend == "sqlite" else [])


def test_no_pause_inside_a_transaction_that_holds_the_lock_anyway(database: Any) -> None:
    slept: list[float] = []
    turns = Turns(sleep=slept.append, timer=lambda: 0.0)
    with transaction():
        for _ in range(3):
            with turns.transaction():
                CheckinRound.select().count()
    assert slept == []


def test_after_a_transaction_that_held_the_lock_long_the_next_takes_fewer_rows(database: Any) -> None:
    held = [0.01, 0.16, 0.04, 0.01, 0.01]  # a loaded machine in the second transaction
    moments = fake_timer(*[moment for seconds in held for moment in (0.0, seconds)])
    turns = Turns(sleep=lambda _: None, timer=lambda: next(moments))
    sizes = []
    for chunk in turns.chunks(list(range(1, 151)), 40):
        with turns.transaction():
            sizes.append(len(chunk))
    # 40 rows in 160 ms: the next take 30 (HOLD's 120 ms' worth); 30 in 40 ms: back to 40, never more.
    assert sizes == [40, 40, 30, 40]


def test_however_long_a_transaction_held_the_lock_the_next_takes_a_quarter_at_least(database: Any) -> None:
    moments = fake_timer(0.0, 5.0)  # a starved machine: any transaction takes long, whatever its size
    turns = Turns(sleep=lambda _: None, timer=lambda: next(moments))
    with turns.transaction():
        CheckinRound.select().count()
    assert turns.resize(40, 40) == 10


@pytest.mark.parametrize(("mapped", "status"), [({"reminder": "1002"}, "queued"), ({}, "skipped")])
def test_with_a_template_gateway_reminders_are_vetted_as_each_alone_would_be(
    street: list[Resident], fixed_clock: FixedClock, tmp_path: Path, mapped: dict[str, str], status: str
) -> None:
    template_only(tmp_path, {"checkin": "1001", **mapped})
    start_round(settings=SETTINGS)
    deliver_everything()
    fixed_clock.advance(hours=3)
    assert advance_ladder(settings=SETTINGS).reminded == 5
    statuses = Counter(
        status for (status,) in Message.select(Message.status).where(Message.kind == "reminder").tuples()
    )
    assert statuses == {status: 5}  # without an approved reminder: refused one by one, never sent as free text
    assert Alert.select().where(Alert.key.startswith("template:tc1:reminder:")).exists() == (status == "skipped")
