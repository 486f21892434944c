"""The voice simulator: a real voice gateway whose calls a person (or a test) answers on a pretend keypad.

`send` places a simulated call that rings until somebody acts as the resident: `answer`, `press(call, "2")`,
`press(call, None)` for silence, `hang_up`, or the call is `no_answer` / `busy` / `fail`. `call_in(phone)` is a
resident ringing the hotline. Every turn goes through the same menus and the same recording as a Twilio call
(`ivr.calls.VoiceCalls`), and call statuses reach the outbox the same way, so the check-in ladder cannot tell the
difference. What was said is kept on the call (`said`) for the operators' screen.

The registry of calls is in memory, but nothing depends on it alone: a call this process did not place (another
process's dispatcher, or before a restart) is found again from its outbox row and its last recorded keys.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from ivr import flows
from ivr.calls import Directory, RecordOutcome, Turn, VoiceCalls
from ivr.flows import Outcome
from ivr.prompts import speak
from ivr.state import CallState, speakable_language
from kit import voice
from kit.errors import LinliError
from kit.gateway import GatewayError, Outgoing, SendResult

IN_FLIGHT = ("sending", "sent", "ringing", "in-progress")


class SimulatedCallError(LinliError):
    title_key = "no_such_call"


@dataclass
class SimulatedCall:
    call_id: str
    peer: str  # the resident's number
    inbound: bool
    opening: CallState | None  # outbound: the state the call is answered in
    status: str = "ringing"  # ringing, in-progress, completed, busy, no-answer, failed
    state: CallState | None = None  # the state waiting for keys while the call is in progress
    said: list[str] = field(default_factory=list)  # everything Linli said, in order
    outcome: Outcome | None = None

    @property
    def active(self) -> bool:
        return self.status in ("ringing", "in-progress")


class SimulatorVoiceGateway:
    name = "simulator"
    channel = "voice"

    def __init__(self, *, record_outcome: RecordOutcome | None = None, directory: Directory | None = None) -> None:
        if record_outcome is None:
            from ivr.outcomes import record_outcome as record_with_kit

            record_outcome = record_with_kit
        if directory is None:
            directory = voice.Register()
        self.calls = VoiceCalls(self.name, record_outcome=record_outcome, directory=directory)
        self._registry: dict[str, SimulatedCall] = {}
        self._lock = threading.RLock()

    # --- the Gateway protocol -------------------------------------------------------------------------------------

    def send(self, message: Outgoing) -> SendResult:
        directory = self.calls.directory
        language = speakable_language(message.language, speakable_language(directory.default_language()))
        resident_id = directory.resident_for_message(message.message_id, message.peer)
        try:
            opening = flows.outbound_call(message.kind, language, resident_id, message.message_id)
        except ValueError as error:
            raise GatewayError(str(error), code="kind", permanent=True) from None
        call_id = f"SIMCA{message.message_id:08d}{uuid.uuid4().hex[:8]}"
        with self._lock:
            self._registry[call_id] = SimulatedCall(call_id, message.peer, inbound=False, opening=opening)
        return SendResult(provider_id=call_id, status="queued")

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        # A simulated call that was not committed as sent never rang anybody: place it again.
        return None

    # --- acting as the resident -----------------------------------------------------------------------------------

    def call_in(self, phone: str) -> SimulatedCall:
        """`phone` rings the community hotline; the call is answered at once."""
        call = SimulatedCall(f"SIMIN{uuid.uuid4().hex[:16]}", phone, inbound=True, opening=None)
        with self._lock:
            self._registry[call.call_id] = call
            self._answer(call)
        return call

    def answer(self, call: str | SimulatedCall) -> SimulatedCall:
        """The resident picks up: Linli greets them and asks its first question."""
        with self._lock:
            found = self.find(call)
            if found.status != "ringing":
                raise SimulatedCallError("voice.not_ringing", call=found.call_id, state=found.status)
            self._answer(found)
            return found

    def press(self, call: str | SimulatedCall, digits: str | None) -> SimulatedCall:
        """The resident presses `digits` (None: waits in silence until the menu times out). A ringing call is
        answered first."""
        with self._lock:
            found = self.find(call)
            if found.status == "ringing":
                self._answer(found)
            if found.status != "in-progress" or found.state is None:
                raise SimulatedCallError("voice.ended", call=found.call_id, state=found.status)
            turn = self.calls.gather(call_sid=found.call_id, peer=found.peer, state=found.state, digits=digits)
            self._said(found, turn)
            if turn.step.gather is not None:
                found.state = turn.step.gather.state
            else:
                found.outcome = turn.step.outcome
                self._end(found, "completed")
            return found

    def hang_up(self, call: str | SimulatedCall) -> SimulatedCall:
        """The resident hangs up (declining a ringing call counts as busy, as the phone network reports it)."""
        with self._lock:
            found = self.find(call)
            if found.status == "ringing":
                self._end(found, "busy")
            elif found.status == "in-progress":
                self._end(found, "completed")
            return found

    def no_answer(self, call: str | SimulatedCall) -> SimulatedCall:
        return self._unanswered(call, "no-answer")

    def busy(self, call: str | SimulatedCall) -> SimulatedCall:
        return self._unanswered(call, "busy")

    def fail(self, call: str | SimulatedCall) -> SimulatedCall:
        return self._unanswered(call, "failed")

    def active_calls(self) -> list[SimulatedCall]:
        """Calls ringing or in progress that this process knows of, oldest first."""
        with self._lock:
            return [call for call in self._registry.values() if call.active]

    def find(self, call: str | SimulatedCall) -> SimulatedCall:
        """A call by its id or by the resident's number (their newest active call), from this process's
        registry, else from the outbox (a call placed before a restart or by another process)."""
        with self._lock:
            if isinstance(call, SimulatedCall):
                return call
            if call in self._registry:
                return self._registry[call]
            for known in reversed(list(self._registry.values())):
                if known.peer == call and known.active:
                    return known
            restored = self._restore(call)
            if restored is None:
                raise SimulatedCallError("voice.no_live_call", call=call)
            self._registry[restored.call_id] = restored
            return restored

    # --- inside -----------------------------------------------------------------------------------------------

    def _answer(self, call: SimulatedCall) -> None:
        self.calls.status_changed(call_sid=call.call_id, status="in-progress", peer=call.peer)
        turn = self.calls.answer(call_sid=call.call_id, peer=call.peer, state=call.opening)
        call.status = "in-progress"
        self._said(call, turn)
        call.state = turn.step.gather.state if turn.step.gather else None
        if call.state is None:
            self._end(call, "completed")

    def _unanswered(self, call: str | SimulatedCall, status: str) -> SimulatedCall:
        with self._lock:
            found = self.find(call)
            if found.status != "ringing":
                raise SimulatedCallError("voice.answered", call=found.call_id, state=found.status)
            self._end(found, status)
            return found

    def _end(self, call: SimulatedCall, status: str) -> None:
        outcome = self.calls.status_changed(call_sid=call.call_id, status=status, peer=call.peer)
        call.status = status
        call.state = None
        if outcome is not None:
            call.outcome = outcome

    def _said(self, call: SimulatedCall, turn: Turn) -> None:
        call.said.extend(speak(turn.step, turn.facts).lines)

    def _restore(self, key: str) -> SimulatedCall | None:
        row = voice.call_in_flight(self.name, key, IN_FLIGHT)
        if row is None or not row.provider_id:
            return None
        try:
            opening = flows.outbound_call(row.kind, speakable_language(row.language), row.resident_id, row.id)
        except ValueError:
            return None
        call = SimulatedCall(str(row.provider_id), row.peer, inbound=False, opening=opening)
        answered = voice.was_answered(row.id)
        waiting = self.calls.current_state(call.call_id)
        if answered or waiting is not None:
            call.status = "in-progress"
            call.state = waiting or opening
        return call
