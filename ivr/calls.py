"""One voice call's turns, the same for Twilio and the simulator: answer, keys, end.

Nothing about a call is kept in memory. The state travels in the call's URLs; every request that reads keys is
stored in the inbox first, idempotently by (call id, step), so a provider's retry records nothing new and gets the
same answer. A call ends with exactly one Outcome, handed once to the injected recorder: the outcome of the step
the resident reached, or, when they hang up, what their last choice meant (pressing 2 and hanging up during the
temperature question is still "unwell"). Call statuses go to the outbox (`kit.outbox.record_status`) so the
check-in ladder sees busy, no-answer and failed calls.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl

from ivr import flows
from ivr.flows import Outcome, Step
from ivr.state import BadState, CallState, caller_number, speakable_language
from kit import outbox, voice
from kit.db import transaction
from kit.models import Message
from kit.voice import OUTCOME_STEP, Caller, step_id

log = logging.getLogger(__name__)

FINAL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")


class Directory(Protocol):
    """What a call needs to know about people and messages (`kit.voice.Register` reads the register)."""

    def caller(self, phone: str) -> Caller | None:
        """The resident with this phone number."""
        ...

    def resident(self, resident_id: int) -> Caller | None: ...

    def household(self, phone: str, *, waiting: bool) -> tuple[int, ...]:
        """The residents on `phone` (several on a phone a household shares); with `waiting`, only those still
        unanswered today."""
        ...

    def notice_text(self, message_id: int) -> str:
        """The text of the outbox row of a voice notice."""
        ...

    def community_name(self) -> str: ...

    def default_language(self) -> str: ...

    def resident_for_message(self, message_id: int, peer: str) -> int | None:
        """The resident an outbox row is for (by the row, else by its number)."""
        ...


@dataclass(frozen=True)
class CallFacts:
    """Who and which call an Outcome belongs to."""

    call_sid: str
    peer: str  # the resident's (or caller's) number, E.164
    resident_id: int | None
    language: str
    message_id: int | None  # the inbox row that holds the keys (or the call's outcome row)
    outbox_id: int | None = None  # the outbox row of an outbound call


RecordOutcome = Callable[[CallFacts, Outcome], None]


@dataclass(frozen=True)
class Turn:
    """What to do next on a call: the Step and the call's facts its prompts need."""

    step: Step
    facts: dict[str, str]
    replayed: bool = False  # a retried request: nothing was recorded this time


class VoiceCalls:
    """The calls of one gateway. `gateway` is its name ("twilio", "simulator"): call statuses are matched to outbox
    rows sent by it, and key presses are stored in the inbox under "<gateway>-voice"."""

    def __init__(self, gateway: str, *, record_outcome: RecordOutcome, directory: Directory) -> None:
        self.gateway = gateway
        self.inbox_gateway = f"{gateway}-voice"
        self.record_outcome = record_outcome
        self.directory = directory

    # --- the three requests of a call ---------------------------------------------------------------------------

    def answer(self, *, call_sid: str, peer: str, state: CallState | None) -> Turn:
        """The call was answered: outbound calls carry their `state`; an inbound call (None) is the hotline."""
        hotline = state is None
        if state is None:
            state = self.hotline_state(peer)
        if state.flow == "checkin" and not state.shared:  # a household's shared phone: each of them in turn (on a
            # check-in call, those still unanswered; calling the hotline, all of them)
            state = flows.ask_each(state, self.directory.household(caller_number(peer), waiting=not hotline))
        return Turn(flows.answer(state), self.facts(state))

    def gather(self, *, call_sid: str, peer: str, state: CallState, digits: str | None) -> Turn:
        """The resident pressed `digits` (None: nothing) in `state`. Recorded once per (call, step)."""
        with transaction():
            row, created = outbox.record_inbound(
                gateway=self.inbox_gateway,
                provider_id=step_id(call_sid, state.step_key),
                peer=peer,
                body=digits or "",
                channel="voice",
            )
            if not created:  # a retry: answer exactly as the first time, record nothing
                step = flows.advance(state, row.body or None)
                return Turn(step, self.facts(_asking(step, state)), replayed=True)
            step = flows.advance(state, digits)
            if step.outcome is not None:  # on a shared phone, one outcome per resident asked before the last
                self._record_once(call_sid, peer, state, step.outcome, row.id, per_resident=bool(state.then))
            following = step.gather.state.to_query() if step.gather else ""
            outbox.mark_handled(
                row.id,
                {
                    "step": state.step_key,
                    "digits": digits,
                    "next": following,
                    "outcome": step.outcome.as_dict() if step.outcome else None,
                },
            )
        return Turn(step, self.facts(_asking(step, state)))

    def status_changed(self, *, call_sid: str, status: str, peer: str = "") -> Outcome | None:
        """A call status (Twilio's status callback): the outbox row takes it. A completed call that has no outcome
        yet gets the one its last state means (see `flows.hang_up`); that Outcome is returned."""
        with transaction():
            sent = outbox.record_status(call_sid, status, gateway=self.gateway)
            if status != "completed" or voice.has_outcome(self.inbox_gateway, call_sid):
                return None
            last = voice.last_key_press(self.inbox_gateway, call_sid)
            state = _next_state(last)
            outcome = flows.hang_up(state)
            if state is None:  # hung up before pressing anything: who it was comes from the outbox row
                state = self._state_of_sent(sent)
            peer = peer or (last.peer if last else "") or (sent.peer if sent else "")
            self._record_once(call_sid, peer, state, outcome, last.id if last else None)
        return outcome

    # --- helpers --------------------------------------------------------------------------------------------------

    def hotline_state(self, raw_caller: str) -> CallState:
        number = caller_number(raw_caller)
        known = self.directory.caller(number) if number else None
        if known is not None:
            return flows.hotline_call(speakable_language(known.language), number, known.resident_id)
        return flows.hotline_call(speakable_language(self.directory.default_language()), number, None)

    def facts(self, state: CallState) -> dict[str, str]:
        """The values prompts may use: the resident's name, the community, the notice text."""
        facts = {"community": self.directory.community_name()}
        if state.resident_id is not None:
            resident = self.directory.resident(state.resident_id)
            if resident is not None:
                facts["name"] = resident.name
        if state.flow == "notice" and state.message_id is not None:
            facts["notice"] = self.directory.notice_text(state.message_id)
        return facts

    def _record_once(
        self,
        call_sid: str,
        peer: str,
        state: CallState | None,
        outcome: Outcome,
        keys_id: int | None,
        *,
        per_resident: bool = False,
    ) -> bool:
        marker, created = outbox.record_inbound(
            gateway=self.inbox_gateway,
            provider_id=voice.resident_outcome_id(call_sid, state.resident_id)
            if per_resident and state is not None and state.resident_id is not None
            else step_id(call_sid, OUTCOME_STEP),
            peer=peer,
            body=outcome.kind,
            channel="voice",
        )
        if not created:
            return False
        facts = CallFacts(
            call_sid=call_sid,
            peer=peer,
            resident_id=state.resident_id if state else None,
            language=state.language if state else speakable_language(self.directory.default_language()),
            message_id=keys_id if keys_id is not None else marker.id,
            outbox_id=state.message_id if state else None,
        )
        self.record_outcome(facts, outcome)
        outbox.mark_handled(marker.id, {"outcome": outcome.as_dict(), "step": state.step_key if state else ""})
        return True

    def current_state(self, call_sid: str) -> CallState | None:
        """The state waiting for keys on a call, from its last key-press row; None if no key was read yet (or the
        call's last step hung up)."""
        return _next_state(voice.last_key_press(self.inbox_gateway, call_sid))

    def _state_of_sent(self, sent: Message | None) -> CallState | None:
        if sent is None:
            return None
        try:
            return flows.outbound_call(sent.kind, speakable_language(sent.language), sent.resident_id, sent.id)
        except (ValueError, BadState):
            return None


def _asking(step: Step, state: CallState) -> CallState:
    """The state whose resident the step's prompts speak of: the next question's (on a shared phone, the next
    resident's), else the one answered."""
    return step.gather.state if step.gather is not None else state


def _next_state(row: Message | None) -> CallState | None:
    if row is None or not row.intent:
        return None
    try:
        following = json.loads(row.intent).get("next") or ""
        return CallState.from_query(dict(parse_qsl(following))) if following else None
    except (ValueError, AttributeError) as error:
        log.warning("call row %s has an unreadable state: %s", row.id, error)
        return None
