"""`linli report push`: send the day's figures per grid (counts only) to the district, now."""

from __future__ import annotations

import click

from kit import clock
from kit.community import community_zone
from kit.district_outbox import push_day, push_lines, push_pending
from kit.localtime import local_date
from kit.plaintext import visible
from kit.residents import parse_date
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_table
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
            click.echo(f"pushed {day}")
        for day, why in run.failed:
            click.echo(f"not pushed {day}: {why}", err=True)
        if not run.pushed and not run.failed:
            click.echo("Nothing is waiting to be pushed.")
        if run.failed:
            raise SystemExit(2)
        return
    day = parse_date(day_text, "date", "date") or local_date(clock.utcnow(), community_zone())
    receipt = push_day(day, send, retry_minutes=settings.retry_minutes)  # a failure: one line, exit 2, day kept
    line = f"Pushed the figures of {day} to the district: {receipt.get('grids', '?')} grids"
    if receipt.get("replaced"):
        line += ", replacing the earlier push"
    click.echo(line + ".")
    if receipt.get("note"):
        click.echo(visible(str(receipt["note"])))


def _show_list() -> None:
    rows = [
        [
            line.day.isoformat(),
            line.state,
            str(line.attempts),
            line.pushed_at.strftime("%Y-%m-%d %H:%M") if line.pushed_at else "",
            visible(line.last_error)[:80],
        ]
        for line in push_lines()
    ]
    echo_table(["date", "state", "tries", "pushed (UTC)", "last error"], rows, empty="Nothing pushed yet.")
