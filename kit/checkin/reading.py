"""Reading the rounds: `round_summary` counts a day's rounds per round, per grid and in total."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import peewee

from kit.clock import utcnow
from kit.community import community_zone
from kit.localtime import local_date, to_local
from kit.models import CheckinAsk, CheckinRound, Grid, OptOut, Resident

ESCALATED = ("called", "second_contact", "door_knock", "alerted")  # beyond the reminder

_FIGURES = ("asked", "answered", "silent", "escalated", "door_knock", "alerted", "opted_out")
_OUTCOMES = ("well", "unwell", "help", "visited")


def _blank() -> dict[str, int]:
    return dict.fromkeys(_FIGURES + _OUTCOMES, 0)


def _count(figures: dict[str, int], stage: str, outcome: str, count: int, opted_out: bool = False) -> None:
    figures["asked"] += count
    if opted_out and stage != "opted_out":  # followed without SMS: counted here and where they are on the ladder
        figures["opted_out"] += count
    if stage == "answered":
        figures["answered"] += count
        if outcome in _OUTCOMES:
            figures[outcome] += count
    elif stage == "opted_out":
        figures["opted_out"] += count
    else:
        figures["silent"] += count
        if stage in ESCALATED:
            figures["escalated"] += count
        if stage in ("door_knock", "alerted"):
            figures["door_knock"] += count
        if stage == "alerted":
            figures["alerted"] += count


def round_summary(local_day: date | None = None) -> dict[str, Any]:
    """Today's (or `local_day`'s) rounds for the TUI and `linli status`, counted with one GROUP BY.

    Per round, per grid and in total: asked (everybody in the audience), answered, silent (not answered yet,
    wherever on the ladder), escalated (silent and past the reminder), door_knock (silent and waiting for a
    door-knock, alerted included), alerted, opted_out (of SMS: followed by call and door-knock, and counted where
    they are too), and the answers: well, unwell, help, visited."""
    zone = community_zone()
    day = local_day or local_date(utcnow(), zone)
    rounds = list(CheckinRound.select().where(CheckinRound.local_date == day).order_by(CheckinRound.id))
    rows = (
        CheckinAsk.select(
            CheckinAsk.round, Grid.name, CheckinAsk.stage, CheckinAsk.outcome, Resident.opted_out, OptOut.phone,
            peewee.fn.COUNT(CheckinAsk.id),
        )
        .join(Resident, on=(CheckinAsk.resident == Resident.id))
        .join(Grid, peewee.JOIN.LEFT_OUTER, on=(Resident.grid == Grid.id))
        .join(OptOut, peewee.JOIN.LEFT_OUTER, on=(Resident.phone == OptOut.phone))
        .where(CheckinAsk.round.in_([r.id for r in rounds]))
        .group_by(CheckinAsk.round, Grid.name, CheckinAsk.stage, CheckinAsk.outcome, Resident.opted_out, OptOut.phone)
        .tuples()
    )  # fmt: skip
    per_round: dict[int, dict[str, int]] = defaultdict(_blank)
    per_grid: dict[int, dict[str | None, dict[str, int]]] = defaultdict(lambda: defaultdict(_blank))
    total = _blank()
    for round_id, grid, stage, outcome, opted_out, stopped, count in rows:  # stopped: opted out at the carrier
        for figures in (per_round[round_id], per_grid[round_id][grid], total):
            _count(figures, stage, outcome, int(count), bool(opted_out) or stopped is not None)
    return {
        "date": day.isoformat(),
        "rounds": [
            {
                "id": r.id,
                "audience": r.audience,
                "started_at": to_local(r.started_at, zone).strftime("%H:%M"),
                **per_round[r.id],
                "grids": [
                    {"grid": grid, **figures}
                    for grid, figures in sorted(per_grid[r.id].items(), key=lambda item: item[0] or "")
                ],
            }
            for r in rounds
        ],
        "total": total,
    }
