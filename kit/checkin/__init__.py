"""The daily check-in round and the ladder for residents who do not answer (README, "The daily loop").

`start_round` (kit.checkin.rounds) asks everybody in the audience: one `CheckinAsk` each and the prompt queued in
their language. `advance_ladder` (kit.checkin.ladder) moves every silent resident on, one step at a time:

    asked -> reminded (SMS) -> called (voice, tried twice) -> second_contact (SMS to a family member, if there is one)
          -> door_knock (a task for the grid's volunteer, with a deadline) -> alerted (the task was not done in time)

An answer (`record_answer` in kit.checkin.answers, called by `kit.reports`) takes a resident off the ladder at any
step. Every step changes the ask and queues its messages in one transaction, with keys, so running it twice queues
once. kit.checkin.doorknocks lists the residents to visit; kit.checkin.reading counts the rounds.

Decisions
- Messages of a round expire at `checkin.expire_at` on the round's day (the first such time after the round
  started, for a round started later than that). After it, the SMS and call steps are still taken on time but
  queue nothing, so a silent resident still reaches the door-knock.
- Opting out of SMS is not opting out of care. A resident who opted out (STOP, TD, or at the carrier) gets no
  SMS but stays on the ladder: with `checkin.call_opted_out` (the default) their ask starts at "reminded" and the
  next pass places the check-in call, then the second contact and the door-knock follow as for anybody; without
  it they go straight to the door-knock list, like residents without a phone. A resident who opts out mid-ladder
  gets no reminder: at the reminder's time they are called (or sent to the door). The outbox lets the check-in
  call through to an opted-out number (`kit.outbox.opt_out_stops`); every other message to it is skipped.
  Asks with stage "opted_out" (rounds before this rule) stay off the ladder.
- The modules import each other one way only: rounds <- rungs <- ladder <- answers; doorknocks and reading stand
  alone. A test that patches a module's setting (`CHUNK`, `BATCH`) patches the module that uses it, not this one.
"""

from __future__ import annotations

from kit.audience import monitored_condition
from kit.checkin.answers import REACHABLE_CHANNELS, record_answer, todays_round_id
from kit.checkin.doorknocks import DoorKnock, door_knock_list, door_knock_sheet
from kit.checkin.ladder import ON_THE_LADDER, LadderReport, advance_ladder
from kit.checkin.reading import ESCALATED, round_summary
from kit.checkin.rounds import (
    LIVING_ALONE,
    PRIORITY_FIRST,
    asked_first_condition,
    audience_condition,
    round_expiry,
    start_round,
)

__all__ = [
    "ESCALATED",
    "LIVING_ALONE",
    "ON_THE_LADDER",
    "PRIORITY_FIRST",
    "REACHABLE_CHANNELS",
    "DoorKnock",
    "LadderReport",
    "advance_ladder",
    "asked_first_condition",
    "audience_condition",
    "door_knock_list",
    "door_knock_sheet",
    "monitored_condition",
    "record_answer",
    "round_expiry",
    "round_summary",
    "start_round",
    "todays_round_id",
]
