"""A simulated day on the simulator: 500 residents, 20% silent to SMS, half of those answer the call, the rest end
as door-knock tasks; every resident accounted for by the ladder's deadline.

The real round, ladder, router and dispatcher, the SMS simulator and the voice simulator, and the fixed clock moved
from moment to moment. Who does what is drawn once from a seeded generator, so every figure below is exact.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time

import pytest

from ivr.simulator import SimulatedCall, SimulatorVoiceGateway
from kit.checkin import round_summary
from kit.clock import FixedClock
from kit.db import transaction
from kit.importer import store_residents
from kit.localtime import to_local
from kit.models import CheckinAsk, Community, Message, Report, Task
from kit.residents import ResidentRecord
from kit.volunteers import add_volunteer
from sms.router import handle
from tests.conversation import Conversation

RESIDENTS = 500
GRIDS = ["1号网格", "2号网格", "3号网格", "4号网格", "5号网格"]
SMS_EARLY = 350  # answer the morning prompt
SMS_LATE = 50  # answer only after the reminder
SMS_TEXTS = ["1", "１", "ok", "好", "fine", "2 38.5", "咳嗽", "3 买药"]

Act = Callable[[SimulatorVoiceGateway, SimulatedCall], None]


def press(*keys: str) -> Act:
    def act(voice: SimulatorVoiceGateway, call: SimulatedCall) -> None:
        for digits in keys:
            voice.press(call, digits)

    return act


def busy(voice: SimulatorVoiceGateway, call: SimulatedCall) -> None:
    voice.busy(call)


def no_answer(voice: SimulatorVoiceGateway, call: SimulatedCall) -> None:
    voice.no_answer(call)


def fail(voice: SimulatorVoiceGateway, call: SimulatedCall) -> None:
    voice.fail(call)


def hang_up_without_a_key(voice: SimulatorVoiceGateway, call: SimulatedCall) -> None:
    voice.answer(call)
    voice.hang_up(call)


@dataclass(frozen=True)
class Script:
    """What a resident silent to SMS does with each call, in turn; `answers` says whether one of them is an answer."""

    name: str
    calls: tuple[Act, ...]
    answers: bool
    count: int


SILENT = [
    Script("press 1", (press("1"),), True, 20),
    Script("press 2 38.5", (press("2", "385"),), True, 5),
    Script("press 3 food", (press("3", "2"),), True, 5),
    Script("busy, then 1", (busy, press("1")), True, 20),
    Script("no answer twice", (no_answer, no_answer), False, 20),
    Script("busy twice", (busy, busy), False, 10),
    Script("failed twice", (fail, fail), False, 10),
    Script("picked up, no key", (hang_up_without_a_key,), False, 10),
]


@dataclass
class Day:
    convo: Conversation
    voice: SimulatorVoiceGateway
    phones: dict[int, str]  # resident id -> phone
    second: dict[int, str]  # resident id -> second contact, for those who have one
    replies: dict[time, list[tuple[str, str]]]  # local time -> (phone, text) sent then
    scripts: dict[str, Script]  # phone -> what a silent resident does with calls
    calls: Counter[str]  # phone -> calls placed to it so far
    unexpected: list[str]  # calls nobody should have received

    def residents_with(self, answers: bool) -> set[int]:
        return {
            rid
            for rid, phone in self.phones.items()
            if phone in self.scripts and self.scripts[phone].answers is answers
        }

    def pick_up(self) -> None:
        """Every ringing call is picked up (or not) as its resident's script says; then the dispatcher places the
        calls that waited for a free line, until no call is ringing."""
        while True:
            for call in self.voice.active_calls():
                self.calls[call.peer] += 1
                script = self.scripts.get(call.peer)
                turn = self.calls[call.peer]
                if script is None or turn > len(script.calls):
                    self.unexpected.append(f"{call.peer} call {turn}")
                    self.voice.no_answer(call)
                else:
                    script.calls[turn - 1](self.voice, call)
            if self.convo.send().sent == 0 and not self.voice.active_calls():
                return


def at(hours: int, minutes: int) -> time:
    return time(hours, minutes)


@pytest.fixture
def day(community: Community, fixed_clock: FixedClock) -> Day:
    rng = random.Random(20261120)
    records = []
    for number in range(1, RESIDENTS + 1):
        grid = GRIDS[number % len(GRIDS)]
        records.append(
            ResidentRecord(
                name=f"居民{number:03d}", phone=f"+86138{number:08d}",
                second_phone=f"+86137{number:08d}" if rng.random() < 0.4 else None,
                grid=grid, building=str(number % 12 + 1), unit=str(number % 3 + 1), room=f"{number:03d}",
                language="en" if rng.random() < 0.15 else "zh", tags=(), birth_year=1940 + number % 60,
                status="green", monitoring="none", monitoring_until=None, notes="",
            )
        )  # fmt: skip
    with transaction():
        ids = store_residents(records)
    for index, grid in enumerate(GRIDS, start=1):
        add_volunteer(f"志愿者{index}", f"+86139{index:08d}", grids=[grid], actor="test")
    phones = {rid: str(r.phone) for rid, r in zip(ids, records)}
    second = {rid: r.second_phone for rid, r in zip(ids, records) if r.second_phone}
    order = list(ids)
    rng.shuffle(order)
    replies: dict[time, list[tuple[str, str]]] = {}
    for position, rid in enumerate(order[: SMS_EARLY + SMS_LATE]):
        slot = rng.randrange(1, 18) if position < SMS_EARLY else 18 + rng.randrange(1, 12)
        when = at(9 + slot // 6, slot % 6 * 10)  # 09:10-11:50 before the reminder, 12:10-13:50 after it
        replies.setdefault(when, []).append((phones[rid], rng.choice(SMS_TEXTS)))
    silent = iter(order[SMS_EARLY + SMS_LATE :])
    scripts = {phones[rid]: script for script in SILENT for rid in itertools.islice(silent, script.count)}
    assert len(scripts) == RESIDENTS - SMS_EARLY - SMS_LATE and next(silent, None) is None
    voice = SimulatorVoiceGateway()
    convo = Conversation(fixed_clock, voice=voice)
    found = Day(convo, voice, phones, second, replies, scripts, Counter(), [])
    convo.people = found.pick_up
    return found


def test_a_simulated_day(day: Day) -> None:
    convo = day.convo
    inbound = itertools.count(1)
    convo.start_round()
    for when in sorted(day.replies):
        convo.until(f"{when:%H:%M}")
        for phone, text in day.replies[when]:
            handle("simulator", f"SIMDAY{next(inbound):05d}", phone, text)
        convo.send()

    # 09:00 + 3 h to the reminder + 2 h to the call + 20 min to the retry + 1 h to the second contact + 1 h
    convo.until("16:20")
    answered = {rid for (rid,) in CheckinAsk.select(CheckinAsk.resident).where(CheckinAsk.stage == "answered").tuples()}
    knocked = {
        rid: task
        for rid, task in CheckinAsk.select(CheckinAsk.resident, CheckinAsk.task)
        .where(CheckinAsk.stage == "door_knock")
        .tuples()
    }
    unanswered = day.residents_with(answers=False)
    assert len(answered) + len(knocked) == RESIDENTS  # everybody accounted for by the ladder's deadline
    assert set(knocked) == unanswered and len(unanswered) == 50
    assert answered == set(day.phones) - unanswered
    door_knocks = dict(Task.select(Task.resident, Task.id).where(Task.kind == "door_knock").tuples())
    assert door_knocks == knocked  # one door-knock task each, the one on their ask
    assert Counter(channel for (channel,) in Report.select(Report.channel).tuples()) == {"sms": 400, "voice": 50}
    voiced = {rid for (rid,) in Report.select(Report.resident).where(Report.channel == "voice").tuples()}
    assert voiced == day.residents_with(answers=True)

    # Nobody is asked twice; the call is placed at most twice; each silent resident got exactly their script's calls.
    sent = Counter(
        (peer, kind)
        for peer, kind in Message.select(Message.peer, Message.kind)
        .where((Message.direction == "out") & Message.sent_at.is_null(False))
        .tuples()
    )
    phones = set(day.phones.values())
    assert {phone: sent[phone, "checkin"] for phone in phones} == dict.fromkeys(phones, 1)
    reminded = {phone for phone in phones if sent[phone, "reminder"]}
    assert len(reminded) == SMS_LATE + len(day.scripts) and all(sent[phone, "reminder"] == 1 for phone in reminded)
    assert {phone: sent[phone, "checkin_call"] for phone in phones if sent[phone, "checkin_call"]} == {
        phone: len(script.calls) for phone, script in day.scripts.items()
    }
    assert day.calls == Counter({phone: len(script.calls) for phone, script in day.scripts.items()})
    assert day.unexpected == []
    assert sum(sent[phone, "checkin_call"] for phone in phones) == 160  # 100 calls and 60 retries
    seconds = {day.second[rid] for rid in unanswered if rid in day.second}
    assert {peer for (peer, kind) in sent if kind == "second_contact"} == seconds
    assert sum(sent[peer, "second_contact"] for peer in seconds) == len(seconds) > 0

    total = round_summary()["total"]
    assert (total["asked"], total["answered"], total["door_knock"], total["silent"]) == (500, 450, 50, 50)

    # Nobody knocks; the alerts come at the deadlines, and nothing goes out in quiet hours, that night included.
    convo.until("23:00")
    assert CheckinAsk.select().where(CheckinAsk.stage == "alerted").count() == 50
    zone = convo.zone
    late = [
        (m.peer, m.kind, f"{to_local(m.sent_at, zone):%H:%M}")
        for m in Message.select().where((Message.direction == "out") & Message.sent_at.is_null(False))
        if not time(7) <= to_local(m.sent_at, zone).time() < time(21)
    ]
    assert late == []
