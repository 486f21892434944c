"""`linli report push`: send the day's figures per grid (counts only) to the district, now."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from kit import clock, ui_words
from kit.community import community_zone
from kit.district_outbox import push_day, push_lines, push_pending
from kit.localtime import local_date
from kit.plaintext import visible
from kit.residents import parse_date
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_plain, echo_table
from linli.district_push import http_sender


@click.command("push")
@click.option("--date", "day_text", metavar="DATE", help="The local date to push, e.g. 2026-11-30. Default: today.")
@click.option("--pending", is_flag=True, help="Push every day still waiting (after being offline) instead.")
@click.option("--list", "show_list", is_flag=True, help="Show the days pushed or waiting, and send nothing.")
@pass_kit
def report_push(kit: Kit, day_text: str | None, pending: bool, show_list: bool) -> None:
    """Push the day's figures to the district: per-grid counts only, never a name, phone or address.

    One HTTPS request to district.url with the community's district.token. If the district cannot be
    reached the day is kept and pushed again when it is back (`linli serve` retries on its own; or run
    this again). Pushing a day again replaces what the district had for it.

    \b
    Example:
      linli report push
      linli report push --date 2026-11-29
    """
    kit.open(create=False)
    settings = kit.settings.district
    if show_list:
        _show_list()
        return
    send = http_sender(settings)
    if pending:
        run = push_pending(send, retry_minutes=settings.retry_minutes)
        for day in run.pushed:
            click.echo(ui_words.say("cli.push.pushed_day", day=day))
        for day, why in run.failed:
            echo_plain(ui_words.say("cli.push.not_pushed_day", day=day, why=why), err=True)
        if not run.pushed and not run.failed:
            click.echo(ui_words.say("cli.push.nothing_waiting"))
        if run.failed:
            raise SystemExit(2)
        return
    day = parse_date(day_text, "date", "date") or local_date(clock.utcnow(), community_zone())
    receipt = push_day(day, send, retry_minutes=settings.retry_minutes)  # a failure: one line, exit 2, day kept
    click.echo(_pushed_line(day, receipt))
    ignored = receipt.get("ignored")
    if isinstance(ignored, list) and ignored:
        echo_plain(ui_words.say("cli.push.ignored", names=", ".join(str(name) for name in ignored)))


def _pushed_line(day: date, receipt: dict[str, Any]) -> str:
    """What the district took, from its receipt (its own words, the receipt's "note", are for programs)."""
    grids = receipt.get("grids")
    if not isinstance(grids, int) or isinstance(grids, bool):
        return ui_words.say("cli.push.pushed_plain", day=day)
    key = "cli.push.pushed_replacing" if receipt.get("replaced") else "cli.push.pushed"
    return ui_words.say_count(key, grids, day=day)


def _show_list() -> None:
    rows = [
        [
            line.day.isoformat(),
            ui_words.say(f"cli.push.state_{line.state}"),
            str(line.attempts),
            line.pushed_at.strftime("%Y-%m-%d %H:%M") if line.pushed_at else "",
            visible(line.last_error)[:80],
        ]
        for line in push_lines()
    ]
    headers = [ui_words.say(f"cli.push.col_{name}") for name in ("date", "state", "tries", "pushed", "error")]
    echo_table(headers, rows, empty=ui_words.say("cli.push.nothing_pushed"))
