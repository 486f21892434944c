"""Helpers for driving the keypad menus in tests: press keys as a resident would, or walk every path."""

from __future__ import annotations

from collections import deque

from ivr import flows
from ivr.flows import Outcome, Step
from ivr.state import CallState

SILENCE = None  # the resident pressed nothing before the timeout
# Every kind of input a resident can give: silence, "#" alone, each key, and longer entries.
INPUTS: tuple[str | None, ...] = (
    SILENCE, "", *"0123456789", "*", "12", "38", "385", "101", "999", "13800138000",
)  # fmt: skip
STARTS = (
    flows.checkin_call("zh", 1, 7),
    flows.checkin_call("en", None),
    flows.notice_call("zh", 1, 7),
    flows.notice_call("zh", None, 7),
    flows.hotline_call("zh", "+8613800000009", None),
    flows.hotline_call("zh", "", None),
    flows.hotline_call("en", "+8613800000001", 1),
    flows.ask_each(flows.checkin_call("zh", 1, 7), (1, 2)),  # a phone a household shares
)


def drive(state: CallState, *keys: str | None) -> list[Step]:
    """The steps of a call answered in `state` where the resident then presses `keys`, one entry per question."""
    steps = [flows.answer(state)]
    for key in keys:
        asking = steps[-1].gather
        assert asking is not None, f"the call already ended before {key!r}"
        steps.append(flows.advance(asking.state, key))
    return steps


def outcome(state: CallState, *keys: str | None) -> Outcome | None:
    """The outcome of a call that ends after `keys` (asserts it ends there)."""
    last = drive(state, *keys)[-1]
    assert last.hangs_up, f"the call goes on after {keys!r}: {last}"
    return last.outcome


def said(step: Step) -> list[str]:
    return [prompt.key for prompt in step.say]


def explore() -> tuple[set[CallState], list[Step]]:
    """Every state the menus can reach from STARTS with INPUTS, and every step they can take."""
    seen: set[CallState] = set()
    steps: list[Step] = []
    todo = deque(STARTS)
    while todo:
        state = todo.popleft()
        if state in seen:
            continue
        seen.add(state)
        steps.append(flows.answer(state))
        for key in INPUTS:
            step = flows.advance(state, key)
            steps.append(step)
            if step.gather is not None and step.gather.state not in seen:
                todo.append(step.gather.state)
    return seen, steps
