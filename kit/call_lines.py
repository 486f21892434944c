"""A voice call in the inbox as one line: the keys pressed and what the call meant ("通话：按2，体温38.5").

A call stores a row per step in the inbox (ivr.calls: the keys, then the call's one outcome, under provider ids
"<call>:<step>", kit.voice.step_id). Shown one by one they would read as replies nobody understood; `fold_calls`
turns each call's rows into one line whose body says what was pressed and whose intent is the call's outcome, in the
shape the parser gives an SMS (so the inbox shows "不适 38.5°C" as for a text).

Decisions:
- The folded line keeps the id, time and status of the call's newest row: a key pressed during the call brings it
  to the top, as a new SMS would, and the operator's answer or correction goes to a real row of the call.
- A temperature typed on the keypad is shown as the temperature the call read ("体温38.5"), not as the keys 3 8 5.
- A call still going on says so ("通话中") and has no intent yet, rather than "not understood".
- Pure: rows in, lines out, words from data/ui/<language>.toml's [call] table.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any, Final

from kit import ui_words
from kit.views import MessageLine
from kit.voice import OUTCOME_STEP

TEMPERATURE_STEP: Final = "temp"  # ivr.flows' check-in question whose keys are a temperature


def call_id(line: MessageLine) -> str | None:
    """The call an inbox row belongs to, or None for an SMS."""
    if line.channel != "voice" or ":" not in line.provider_id:
        return None
    return line.provider_id.rpartition(":")[0]


def _step(line: MessageLine) -> str:
    """ "menu" from a key row's step key "checkin.menu.0"; "outcome" for the outcome row."""
    if line.provider_id.rpartition(":")[2] == OUTCOME_STEP:
        return OUTCOME_STEP
    parts = str(line.intent.get("step") or "").split(".")
    return parts[1] if len(parts) > 1 else ""


def call_outcome(rows: list[MessageLine]) -> dict[str, Any]:
    """The call's outcome as recorded (kind, temperature_c, symptoms, need), {} while the call goes on."""
    outcome: dict[str, Any] = {}
    for row in rows:
        found = row.intent.get("outcome")
        if isinstance(found, dict) and found.get("kind"):
            outcome = found
    return outcome


def outcome_intent(outcome: dict[str, Any], language: str) -> dict[str, Any]:
    """A call's outcome in the shape of a parsed SMS: {"intent", "temperature_c", "symptoms", "text"}."""
    if not outcome:
        return {}
    need = str(outcome.get("need") or "")
    words = ui_words.table(language)
    return {
        "intent": str(outcome.get("kind")),
        "temperature_c": outcome.get("temperature_c"),
        "symptoms": list(outcome.get("symptoms") or []),
        "text": words.get(f"call.need.{need}", need) if need else "",
    }


def outcome_words(outcome: dict[str, Any], language: str) -> str:
    """A call's outcome as people read it: "不适 38.5°C", "求助 买药", "没有按键"."""
    if not outcome:
        return ""
    words = ui_words.table(language)
    kind = str(outcome.get("kind"))
    parts = [words.get(f"intent.{kind}") or words.get(f"call.outcome.{kind}") or kind]
    if outcome.get("temperature_c") is not None:
        parts.append(f"{float(outcome['temperature_c']):.1f}°C")
    if outcome.get("need"):
        parts.append(words.get(f"call.need.{outcome['need']}", str(outcome["need"])))
    return " ".join(parts)


def call_summary(rows: list[MessageLine], language: str) -> str:
    """ "通话：按2，体温38.5": the keys of each step in order, then the temperature the call read."""
    outcome = call_outcome(rows)
    parts = []
    for row in sorted(rows, key=lambda r: r.id):
        step = _step(row)
        if step in (OUTCOME_STEP, TEMPERATURE_STEP):
            continue
        digits = row.intent.get("digits") or row.body
        parts.append(
            ui_words.text(language, "call.pressed", keys=digits) if digits else ui_words.text(language, "call.silence")
        )
    if outcome.get("temperature_c") is not None:
        parts.append(ui_words.text(language, "call.temperature", value=f"{float(outcome['temperature_c']):.1f}"))
    what = ui_words.text(language, "call.comma").join(parts) or ui_words.text(language, "call.silence")
    return ui_words.text(language, "call.line" if outcome else "call.going", what=what)


def fold_calls(lines: list[MessageLine], language: str) -> list[MessageLine]:
    """Inbox lines (newest first) with each voice call's rows made one line, where its newest row was."""
    calls: dict[str, list[MessageLine]] = defaultdict(list)
    for line in lines:
        key = call_id(line)
        if key is not None:
            calls[key].append(line)
    folded: list[MessageLine] = []
    for line in lines:
        key = call_id(line)
        if key is None:
            folded.append(line)
            continue
        rows = calls.pop(key, None)
        if rows is None:  # an older row of a call already shown
            continue
        outcome = call_outcome(rows)
        folded.append(replace(line, body=call_summary(rows, language), intent=outcome_intent(outcome, language)))
    return folded
