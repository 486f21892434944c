"""Conversation tests: drive the check-in loop on the simulator with the fixed clock, and read what was said.

    convo = Conversation(fixed_clock)
    convo.start_round()
    convo.say("+8613800000001", "2 38度5")
    convo.expect('''
        +8613800000001 < 今日健康打卡：回复1 身体好，回复2 发烧或咳嗽，回复3 需要帮助。
        +8613800000001 > 2 38度5
        +8613800000001 < 已记录：发烧38.5度。网格员会尽快联系您，请在家休息。
    ''')

'<' is what Linli sent (and the gateway took), '>' what the person sent. A line may start with the local time
("12:00 +86... < ..."); then the time is checked too. A voice call reads '< [call] ...', how it ended '- [busy]',
and keys pressed on it '> [keys] 1'. `expect` compares the lines not yet expected for the numbers its script names,
in the order they happened, and marks them seen.

Calls go to a gateway that takes them at once, unless `voice` is given: with `ivr.simulator.SimulatorVoiceGateway`
a test acts as the resident (`convo.voice.press(phone, "1")`, `.busy(phone)`, `.no_answer(phone)`).
"""

from __future__ import annotations

import itertools
import re
import textwrap
from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone

from peewee import fn

from kit.assignment import OPEN_STATES
from kit.checkin import ON_THE_LADDER, LadderReport, advance_ladder, start_round
from kit.clock import FixedClock
from kit.community import community_zone
from kit.config import CheckinSettings, DispatchSettings
from kit.dispatcher import Dispatcher, DispatchReport
from kit.escalation import escalate_overdue
from kit.gateway import Gateway
from kit.localtime import at_local, parse_hhmm, to_local
from kit.models import CheckinAsk, CheckinRound, Message, MessageEvent, Task
from sms.router import handle, process_pending
from sms.simulator import SimulatorGateway

_TIMED = re.compile(r"^\d\d:\d\d ")
_UNANSWERED = ("busy", "no-answer", "failed")


class Conversation:
    def __init__(
        self,
        clock: FixedClock,
        *,
        checkin: CheckinSettings | None = None,
        dispatch: DispatchSettings | None = None,
        tick: timedelta = timedelta(hours=1),
        voice: Gateway | None = None,
        people: Callable[[], None] | None = None,
    ) -> None:
        self.clock = clock
        self.checkin = checkin or CheckinSettings()
        self.dispatch = dispatch or DispatchSettings(rate_per_second=0)
        self.zone = community_zone()
        self.tick = tick
        self.dispatcher = Dispatcher(
            {"sms": SimulatorGateway(), "voice": voice or SimulatorGateway(channel="voice")},
            self.dispatch,
            self.zone,
            sleep=lambda _seconds: None,
        )
        self.people = people  # what people do at every moment the clock stops at, after Linli has run
        self._inbound = itertools.count(1)
        self._seen: set[float] = set()

    # --- moving time and running the loop -----------------------------------------------------------------

    def start_round(self, audience: str | None = None, *, dispatch: bool = True) -> CheckinRound:
        round_ = start_round(audience=audience, settings=self.checkin, actor="test")
        if dispatch:
            self.dispatcher.run_once()
        return round_

    def run_due(self, *, dispatch: bool = True) -> LadderReport:
        """What the scheduler and the server do at this moment: the ladder, overdue tasks, the inbox, sending."""
        report = advance_ladder(settings=self.checkin, dispatch=self.dispatch)
        escalate_overdue()
        process_pending()
        if dispatch:
            self.dispatcher.run_once()
        return report

    def send(self) -> DispatchReport:
        return self.dispatcher.run_once()

    def advance(self, *, hours: float = 0, minutes: float = 0, dispatch: bool = True) -> None:
        """Move the clock on, stopping at every moment something can happen, running what is due there."""
        self._run_until(self.clock.now() + timedelta(hours=hours, minutes=minutes), dispatch=dispatch)

    def until(self, hhmm: str, *, dispatch: bool = True) -> None:
        """Move on to the next local `hhmm` (today, or tomorrow if it has passed)."""
        hours, minutes = (int(part) for part in hhmm.split(":"))
        now = self.clock.now()
        day = to_local(now, self.zone).date()
        target = at_local(day, time(hours, minutes), self.zone).replace(tzinfo=timezone.utc)
        if target <= now:
            target = at_local(day + timedelta(days=1), time(hours, minutes), self.zone).replace(tzinfo=timezone.utc)
        self._run_until(target, dispatch=dispatch)

    def _run_until(self, target: datetime, *, dispatch: bool) -> None:
        while self.clock.now() < target:
            self.clock.set(self._next_moment(target))
            self.run_due(dispatch=dispatch)
            if self.people is not None:
                self.people()

    def _next_moment(self, target: datetime) -> datetime:
        """The next time something can happen (a ladder step, a task deadline, a message becoming due or expiring,
        quiet hours starting or ending), at most `tick` away and never past `target`: the clock jumps there."""
        now = self.clock.now().replace(tzinfo=None)
        soonest = [
            CheckinAsk.select(fn.MIN(CheckinAsk.next_step_at)).where(
                CheckinAsk.stage.in_(ON_THE_LADDER) & (CheckinAsk.next_step_at > now)
            ),
            Task.select(fn.MIN(Task.due_at)).where(
                Task.state.in_(OPEN_STATES) & (Task.due_at > now) & Task.escalated_at.is_null()
            ),
            Message.select(fn.MIN(Message.not_before)).where(
                (Message.direction == "out") & (Message.status == "queued") & (Message.not_before > now)
            ),
            Message.select(fn.MIN(Message.expires_at)).where(
                (Message.direction == "out") & (Message.status == "queued") & (Message.expires_at > now)
            ),
        ]
        moments = [now + self.tick, target.replace(tzinfo=None)]
        moments += [value for value in (query.scalar() for query in soonest) if value is not None]
        day = to_local(self.clock.now(), self.zone).date()
        for hhmm in (self.dispatch.quiet_start, self.dispatch.quiet_end):
            for offset in (0, 1):
                moment = at_local(day + timedelta(days=offset), parse_hhmm(hhmm), self.zone)
                if moment > now:
                    moments.append(moment)
        return min(moments).replace(tzinfo=timezone.utc)

    # --- people talking -----------------------------------------------------------------------------------

    def say(self, phone: str, text: str, *, provider_id: str | None = None) -> Message:
        """`phone` sends `text`; the router acts on it and the dispatcher sends any reply."""
        message = handle("simulator", provider_id or f"SIMIN{next(self._inbound):06d}", phone, text)
        self.dispatcher.run_once()
        return message

    # --- what was said ------------------------------------------------------------------------------------

    def _said(self) -> list[tuple[datetime, float, str, str]]:
        """(when, id, peer, line without time) of every message that was said, in the order it happened; a call
        also says how it ended when nobody answered it (busy, no-answer, failed)."""
        rows: list[tuple[datetime, float, str, str]] = []
        unanswered = {
            message_id: (at, status)
            for message_id, status, at in MessageEvent.select(
                MessageEvent.message, MessageEvent.status, MessageEvent.at
            )
            .join(Message)
            .where((Message.channel == "voice") & MessageEvent.status.in_(_UNANSWERED))
            .tuples()
        }
        for message in Message.select().order_by(Message.id):
            if message.direction == "in":
                if message.channel == "voice":
                    if message.provider_id.endswith(":outcome"):
                        continue  # the call's outcome, not something the person said
                    line = f"{message.peer} > [keys] {message.body or '(nothing)'}"
                else:
                    line = f"{message.peer} > {message.body}"
                rows.append((message.created_at, message.id, message.peer, line))
            elif message.sent_at is not None:
                call = "[call] " if message.channel == "voice" else ""
                rows.append((message.sent_at, message.id, message.peer, f"{message.peer} < {call}{message.body}"))
            if message.id in unanswered:
                at, status = unanswered[message.id]
                rows.append((at, message.id + 0.5, message.peer, f"{message.peer} - [{status}]"))
        return sorted(rows)

    def lines(self, *phones: str, timed: bool = False, unseen: bool = False) -> list[str]:
        """What was said with `phones` (everybody when none), optionally with local times, optionally only what
        `expect` has not seen yet."""
        found = []
        for at, message_id, peer, line in self._said():
            if (phones and peer not in phones) or (unseen and message_id in self._seen):
                continue
            found.append(f"{to_local(at, self.zone):%H:%M} {line}" if timed else line)
        return found

    def expect(self, script: str) -> None:
        """Assert the unseen lines of the numbers `script` names are exactly its lines, then mark them seen."""
        wanted = [line.strip() for line in textwrap.dedent(script).strip().splitlines() if line.strip()]
        timed = any(_TIMED.match(line) for line in wanted)
        phones = {line.split()[1 if _TIMED.match(line) else 0] for line in wanted}
        got = []
        for at, message_id, peer, line in self._said():
            if peer in phones and message_id not in self._seen:
                got.append(f"{to_local(at, self.zone):%H:%M} {line}" if timed else line)
                self._seen.add(message_id)
        assert got == wanted, "\n".join(["the conversation went:", *got, "", "expected:", *wanted])

    def skip(self) -> None:
        """Mark everything said so far as seen (what came before is not the point of the test)."""
        self._seen.update(message_id for _, message_id, _, _ in self._said())

    def skip_before(self, hhmm: str) -> None:
        """Mark everything said before local `hhmm` today as seen."""
        hours, minutes = (int(part) for part in hhmm.split(":"))
        day = to_local(self.clock.now(), self.zone).date()
        moment = at_local(day, time(hours, minutes), self.zone)
        self._seen.update(key for at, key, _, _ in self._said() if at < moment)

    def nothing_new(self, *phones: str) -> None:
        """Assert nothing was said with `phones` (everybody when none) since the last `expect`."""
        new = self.lines(*phones, timed=True, unseen=True)
        assert new == [], "\n".join(["expected silence, but:", *new])

    def outbox_to(self, phone: str) -> list[tuple[str, str, str]]:
        """(kind, status, body) of every message queued to `phone`, sent or not."""
        return [
            (m.kind, m.status, m.body)
            for m in Message.select().where((Message.direction == "out") & (Message.peer == phone)).order_by(Message.id)
        ]
