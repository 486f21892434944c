"""A call's Outcome as the kit records it: the same reports, tasks and alerts as an SMS reply.

- well, unwell, help from a known resident: `kit.reports.record_report(..., channel="voice")`, which raises the
  alerts, turns the resident yellow or red and opens the help task, exactly as for an SMS;
- help from a caller Linli does not know: a "call_back" task (due like a help request) saying who called and
  what number to call back;
- no_input, hangup, heard: nothing here. The call's status is in the outbox and the check-in ladder carries on.

The kit services are imported when an outcome is recorded, so the menus and the rendering need no kit at all.
"""

from __future__ import annotations

import logging

from ivr.calls import CallFacts
from ivr.flows import REPORTED, Outcome
from ivr.prompts import need_word

log = logging.getLogger(__name__)


def record_outcome(call: CallFacts, outcome: Outcome) -> None:
    """Record `outcome` through the kit's services (inside the caller's transaction)."""
    if outcome.kind not in REPORTED:
        return
    if call.resident_id is not None:
        from kit.reports import record_report

        record_report(
            call.resident_id,
            outcome.kind,
            temperature_c=outcome.temperature_c,
            symptoms=outcome.symptoms,
            text=report_text(outcome, call.language),
            channel="voice",
            message_id=call.message_id,
        )
    elif outcome.kind == "help":
        from kit.clock import utcnow
        from kit.escalation import help_due_at
        from kit.tasks import create_task

        create_task(
            "call_back",
            need=outcome.need or f"voice call with {call.peer}: asked for help",
            source="voice",
            due_at=help_due_at(utcnow()),
            actor=f"voice:{call.peer or 'withheld'}",
        )
    else:
        log.warning("call %s: %s from %s, who is not a resident; nothing recorded", call.call_sid, outcome.kind,
                    call.peer)  # fmt: skip


def report_text(outcome: Outcome, language: str) -> str:
    """The report's text: for help, what is needed in the resident's language (it becomes the task's need; "other
    help" when the resident did not choose); otherwise the keys that mean the answer ("1", "2", "2 38.5")."""
    if outcome.kind == "help":
        return need_word(outcome.need or "other", language)
    if outcome.kind == "well":
        return "1"
    if outcome.temperature_c is not None:
        return f"2 {outcome.temperature_c:.1f}"
    return "2"
