"""`linli capacity`: how many messages today needs per channel, what the gateways can send, and when the round
will have gone out, with what would fix it when it cannot go out in time."""

from __future__ import annotations

from datetime import date

import click

from kit.capacity_text import plan_lines
from kit.capacity_today import plan_today
from kit.community import get_community
from kit.residents import parse_date
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_json, echo_plain


@click.command("capacity")
@click.option("--date", "day_text", metavar="DATE", help="The local date to plan, e.g. 2026-11-30. Default: today.")
@click.option("--lang", "language", help="Words in this language (zh, en). Default: the community's first.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@pass_kit
def capacity_command(kit: Kit, day_text: str | None, language: str | None, as_json: bool) -> None:
    """Say whether today's round can go out in time, per channel.

    Counts what the day needs (the round's prompts still to go out, the reminders and calls the
    ladder is expected to send, queued notices and anything else queued), what the healthy
    gateways can send (their pacing outside quiet hours, within their daily caps), and when the
    last prompt of the round will have gone out. When that is after the first reminder or the
    evening's cut-off, it says what would fix it: one more gateway, an earlier start, or the
    monitored and those living alone first. A line starting with "!" is a warning.

    \b
    Example:
      linli capacity
      linli capacity --date 2026-12-01 --json
    """
    kit.open(create=False)
    day: date | None = parse_date(day_text, "date", "date") if day_text else None
    plan = plan_today(kit.settings, day)
    if as_json:
        echo_json(plan.as_dict())
        return
    chosen = language or get_community().language_list[0]
    for channel in plan.channels.values():
        lines = plan_lines(channel, chosen, plan.zone)
        mark = "  " if channel.in_time else "! "
        echo_plain(mark + lines[0])  # gateway names come from the configuration
        for line in lines[1:]:
            echo_plain("  " + line)
