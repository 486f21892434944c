"""The keypad menus as pure functions: `answer(state)` and `advance(state, digits)` return a Step.

A Step says what to say (prompt keys and values, in the call's language), whether to listen for keys (how many,
for how long, and the state that will read them), the Outcome to record, and whether to hang up. Nothing here
touches the database, the network or the clock; `ivr.calls` carries Steps to Twilio or the simulator.

`digits` is what the resident pressed, or None when they pressed nothing before the timeout (or only `#`).

The menus:
- check-in: "press 1 if you are well, 2 if you have fever or cough, 3 if you need help"; after 2 an optional
  temperature (3 8 5 is 38.5; `#` or silence skips); after 3 the kind of help (1 medicine, 2 food, 3 other).
- hotline: known callers get the check-in menu; an unknown caller can press 1 to ask for a call back (and types
  a number to call back when theirs is withheld).
- check-in on a phone a household shares (`ask_each`): the menu for each resident by name ("黄倩，身体好请按1…"),
  one after another; each one's answer is that resident's outcome.
- notice: the notice read out; 1 hears it again, 9 asks for help.

A wrong key or silence repeats a question once; the second time the call ends politely (outcome "no_input" on
the main menus: the check-in ladder carries on with a person).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from ivr.state import MAX_PLAYS, MAX_SHARING, MAX_TRIES, CallState
from kit.health import CELSIUS_RANGE, FAHRENHEIT_RANGE, FEVER_C

OutcomeKind = Literal["well", "unwell", "help", "no_input", "hangup", "heard"]
REPORTED: tuple[OutcomeKind, ...] = ("well", "unwell", "help")  # the outcomes that become a resident's report
NEEDS = {"1": "medicine", "2": "food", "3": "other"}  # help menu keys
MENU_TIMEOUT = 6  # seconds of silence after a question before it counts as no answer
TEMPERATURE_TIMEOUT = 8
NUMBER_TIMEOUT = 10
NUMBER_DIGITS = (5, 15)  # a call-back number typed on the keypad: shortest, longest


@dataclass(frozen=True)
class Outcome:
    """What a call ended with; the same reports, tasks and alerts follow as from an SMS."""

    kind: OutcomeKind
    temperature_c: float | None = None
    symptoms: tuple[str, ...] = ()
    # help: "medicine", "food", "other", "" (not said); or, for a caller Linli does not know, a sentence for the
    # operator ("hotline call from +86...").
    need: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (by hand, like `kit.jsonable.record_dict` would give it: the menus need no kit)."""
        return {
            "kind": self.kind,
            "temperature_c": self.temperature_c,
            "symptoms": list(self.symptoms),
            "need": self.need,
        }


@dataclass(frozen=True)
class Prompt:
    """One sentence to say: a key of data/voice/<language>.toml and the values for its placeholders."""

    key: str
    values: tuple[tuple[str, str], ...] = ()


def prompt(key: str, **values: str) -> Prompt:
    return Prompt(key, tuple(sorted(values.items())))


@dataclass(frozen=True)
class Gather:
    """Listen for up to `num_digits` keys (`#` ends early); `state` reads them, or reads silence after `timeout`."""

    state: CallState
    num_digits: int
    timeout: int


@dataclass(frozen=True)
class Step:
    language: str
    say: tuple[Prompt, ...]
    gather: Gather | None = None  # None: hang up after speaking
    outcome: Outcome | None = None  # to record (once per call) when this step is taken

    @property
    def hangs_up(self) -> bool:
        return self.gather is None


# --- starting a call ------------------------------------------------------------------------------------------


def checkin_call(language: str, resident_id: int | None, message_id: int | None = None) -> CallState:
    return CallState("checkin", "menu", language, resident_id=resident_id, message_id=message_id)


def notice_call(language: str, resident_id: int | None, message_id: int | None) -> CallState:
    return CallState("notice", "play", language, resident_id=resident_id, message_id=message_id, plays=1)


def hotline_call(language: str, caller: str, resident_id: int | None) -> CallState:
    """An inbound call: a known caller gets the check-in menu, anybody else the help line."""
    if resident_id is not None:
        return CallState("checkin", "menu", language, resident_id=resident_id, caller=caller)
    return CallState("hotline", "ask", language, caller=caller)


def ask_each(state: CallState, household: Sequence[int]) -> CallState:
    """`state`, a check-in call's first question, asking every resident of `household` (a shared phone) by name in
    turn, `state`'s own resident first; `state` itself when nobody else shares the phone."""
    if state.flow != "checkin" or state.resident_id is None:
        return state
    others = tuple(resident_id for resident_id in household if resident_id != state.resident_id)
    if not others:
        return state
    return replace(state, shared=True, then=others[:MAX_SHARING])


def outbound_call(kind: str, language: str, resident_id: int | None, message_id: int) -> CallState:
    """The first state of a call placed for an outbox row of `kind`; ValueError for a kind that is not a call."""
    if kind == "checkin_call":
        return checkin_call(language, resident_id, message_id)
    if kind == "voice_notice":
        return notice_call(language, resident_id, message_id)
    raise ValueError(f"an outbox message of kind {kind!r} cannot be placed as a call")


# --- the menus ------------------------------------------------------------------------------------------------


def answer(state: CallState) -> Step:
    """What to say when the call is answered in `state`."""
    return _ask(state, opening=True)


def advance(state: CallState, digits: str | None) -> Step:
    """The step after the resident pressed `digits` (None: nothing) while in `state`."""
    keys = (digits or "").strip() or None
    handler = _HANDLERS[(state.flow, state.step)]
    return handler(state, keys)


def hang_up(state: CallState | None) -> Outcome:
    """What it means when the resident hangs up while `state` waits for keys (None: before any question).
    Choosing 2 or 3 is kept even if the follow-up question is never answered."""
    if state is None:
        return Outcome("hangup")
    if state.flow == "checkin" and state.step == "temp":
        return Outcome("unwell")
    if state.flow == "checkin" and state.step == "help":
        return Outcome("help")
    if state.flow == "hotline" and state.step == "number":
        return Outcome("help", need=_hotline_need(""))
    if state.flow == "notice":
        return Outcome("heard")
    return Outcome("hangup")


def _ask(state: CallState, *, opening: bool = False, before: tuple[Prompt, ...] = ()) -> Step:
    """Ask the question of `state`, after `before`."""
    flow, step = state.flow, state.step
    say: tuple[Prompt, ...]
    if flow == "checkin" and step == "menu" and state.shared:  # each resident of a shared phone, by name
        say = (prompt("greeting_shared"), prompt("person_menu")) if opening else (prompt("person_menu"),)
        gather = Gather(state, 1, MENU_TIMEOUT)
    elif flow == "checkin" and step == "menu":
        say = (prompt("greeting"), prompt("checkin_menu")) if opening else (prompt("checkin_menu"),)
        gather = Gather(state, 1, MENU_TIMEOUT)
    elif flow == "checkin" and step == "temp":
        say, gather = (prompt("temperature"),), Gather(state, 3, TEMPERATURE_TIMEOUT)
    elif flow == "checkin" and step == "help":
        say, gather = (prompt("help_menu"),), Gather(state, 1, MENU_TIMEOUT)
    elif flow == "hotline" and step == "ask":
        say = (prompt("hotline_welcome"), prompt("hotline_menu")) if opening else (prompt("hotline_menu"),)
        gather = Gather(state, 1, MENU_TIMEOUT)
    elif flow == "hotline" and step == "number":
        say, gather = (prompt("hotline_number"),), Gather(state, NUMBER_DIGITS[1], NUMBER_TIMEOUT)
    else:  # notice/play
        say = (prompt("notice"), prompt("notice_menu")) if state.tries == 0 else (prompt("notice_menu"),)
        gather = Gather(state, 1, MENU_TIMEOUT)
    return Step(state.language, before + say, gather)


def _end(state: CallState, outcome: Outcome, *say: Prompt) -> Step:
    if state.then:
        return _next_person(state, outcome, *say)
    return Step(state.language, (*say, prompt("goodbye")), None, outcome)


def _next_person(state: CallState, outcome: Outcome, *say: Prompt) -> Step:
    """On a shared phone: record `outcome` for this resident, then ask the next one by name."""
    following = CallState(
        "checkin", "menu", state.language, resident_id=state.then[0], message_id=state.message_id,
        caller=state.caller, shared=True, then=state.then[1:],
    )  # fmt: skip
    return Step(state.language, (*say, prompt("person_menu")), Gather(following, 1, MENU_TIMEOUT), outcome)


def _again(state: CallState, digits: str | None, *, give_up: Step, wrong: str = "invalid_key") -> Step:
    """A wrong key or silence: ask once more, then take `give_up`."""
    if state.tries + 1 < MAX_TRIES:
        excuse = prompt("no_input") if digits is None else prompt(wrong)
        return _ask(state.at(state.step, tries=state.tries + 1), before=(excuse,))
    return give_up


def _no_answer(state: CallState) -> Step:
    """Two questions without a usable key: a polite goodbye (or the next resident of a shared phone); somebody will
    follow up."""
    if state.then:
        return _next_person(state, Outcome("no_input"), prompt("no_input"))
    return Step(state.language, (prompt("goodbye_no_answer"),), None, Outcome("no_input"))


def _recorded(state: CallState, outcome: Outcome) -> Step:
    """Say what was recorded, then goodbye."""
    if outcome.kind == "well":
        return _end(state, outcome, prompt("recorded_well"))
    if outcome.kind == "unwell":
        if outcome.temperature_c is not None:
            return _end(state, outcome, prompt("recorded_temperature", temperature=f"{outcome.temperature_c:.1f}"))
        return _end(state, outcome, prompt("recorded_unwell"))
    if outcome.kind == "help" and outcome.need in NEEDS.values():
        return _end(state, outcome, prompt(f"recorded_help_{outcome.need}"))
    if outcome.kind == "help" and state.flow == "hotline":
        return _end(state, outcome, prompt("hotline_recorded"))
    if outcome.kind == "help":
        return _end(state, outcome, prompt("recorded_help_general"))
    return _end(state, outcome)


def _checkin_menu(state: CallState, digits: str | None) -> Step:
    if digits == "1":
        return _recorded(state, Outcome("well"))
    if digits == "2":
        return _ask(state.at("temp"))
    if digits == "3":
        return _ask(state.at("help"))
    return _again(state, digits, give_up=_no_answer(state))


def _checkin_temperature(state: CallState, digits: str | None) -> Step:
    if digits is None:  # skipped with # or by waiting
        return _recorded(state, Outcome("unwell"))
    temperature = temperature_from_keys(digits)
    if temperature is None:
        return _again(state, digits, give_up=_recorded(state, Outcome("unwell")), wrong="invalid_temperature")
    symptoms = ("fever",) if temperature >= FEVER_C else ()
    return _recorded(state, Outcome("unwell", temperature_c=temperature, symptoms=symptoms))


def _checkin_help(state: CallState, digits: str | None) -> Step:
    if digits in NEEDS:
        return _recorded(state, Outcome("help", need=NEEDS[digits]))
    return _again(state, digits, give_up=_recorded(state, Outcome("help")))


def _hotline_ask(state: CallState, digits: str | None) -> Step:
    if digits == "1":
        if state.caller:
            return _recorded(state, Outcome("help", need=_hotline_need(state.caller)))
        return _ask(state.at("number"))
    return _again(state, digits, give_up=_no_answer(state))


def _hotline_number(state: CallState, digits: str | None) -> Step:
    typed = digits or ""
    if typed.isascii() and typed.isdigit() and NUMBER_DIGITS[0] <= len(typed) <= NUMBER_DIGITS[1]:
        return _recorded(state, Outcome("help", need=_hotline_need("", typed=typed)))
    unreachable = _end(state, Outcome("help", need=_hotline_need("")), prompt("hotline_no_number"))
    return _again(state, digits, give_up=unreachable, wrong="invalid_number")


def _notice_play(state: CallState, digits: str | None) -> Step:
    if digits == "1" and state.plays < MAX_PLAYS:
        return _ask(state.at("play", plays=state.plays + 1))
    if digits == "9":
        if state.resident_id is not None:
            return _ask(CallState("checkin", "help", state.language, resident_id=state.resident_id,
                                  message_id=state.message_id))  # fmt: skip
        return _recorded(state, Outcome("help", need="asked for help after a voice notice"))
    if digits is None or digits == "1":
        return _end(state, Outcome("heard"))
    return _again(state, digits, give_up=_end(state, Outcome("heard")))


_HANDLERS = {
    ("checkin", "menu"): _checkin_menu,
    ("checkin", "temp"): _checkin_temperature,
    ("checkin", "help"): _checkin_help,
    ("hotline", "ask"): _hotline_ask,
    ("hotline", "number"): _hotline_number,
    ("notice", "play"): _notice_play,
}


def _hotline_need(caller: str, *, typed: str = "") -> str:
    if caller:
        return f"hotline call from {caller}"
    if typed:
        return f"hotline call from a withheld number; call back on {typed}"
    return "hotline call from a withheld number; no number to call back"


def temperature_from_keys(digits: str) -> float | None:
    """A body temperature in °C from keypad digits: "385" is 38.5, "38" is 38.0, "1004" or "101" are °F (38.0 and
    38.3); `*` can stand for the decimal point ("38*5"). None when the keys are not a plausible temperature."""
    text = digits.replace("*", ".")
    if not text or text.count(".") > 1 or not text.replace(".", "").isdigit():
        return None
    if "." in text:
        candidates = [float(text)] if text.strip(".") else []
    else:
        whole = int(text)
        candidates = [whole / 10, float(whole)] if len(text) >= 3 else [float(whole)]
    for value in candidates:
        if CELSIUS_RANGE[0] <= value <= CELSIUS_RANGE[1]:
            return round(value, 1)
    for value in candidates:
        if FAHRENHEIT_RANGE[0] <= value <= FAHRENHEIT_RANGE[1]:
            return round((value - 32) * 5 / 9, 1)
    return None


def apology(language: str) -> Step:
    """What a caller hears when Linli cannot go on with the call (a fault on our side)."""
    return Step(language, (prompt("error"), prompt("goodbye")))
