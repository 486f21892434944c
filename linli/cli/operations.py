"""Running the kit by hand or from cron: `linli run-due`, `linli dispatch`, `linli checkin start`, `linli parse`."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from kit.community import community_zone
from kit.errors import ValidationError
from kit.outbox import counts_by_status
from kit.permissions import WORK
from kit.residents import parse_date
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_json, echo_plain, json_escaped

if TYPE_CHECKING:
    from sms.parser import Intent


def parse_at(text: str) -> datetime:
    """An ISO time for --at: with an offset as given, without one in the community's local time."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            f"'{text}' is not a time; write it like 2026-11-20T09:00 (local) or 2026-11-20T01:00+00:00.", field="at"
        ) from None
    return at.replace(tzinfo=community_zone()) if at.tzinfo is None else at


# --- run-due ----------------------------------------------------------------------------------------------------


@click.command("run-due")
@click.option(
    "--at",
    "at_text",
    metavar="ISO-TIME",
    help="Act as if it were this time, e.g. 2026-11-20T09:00 (community local time unless an offset is given).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@pass_kit
def run_due_command(kit: Kit, at_text: str | None, as_json: bool) -> None:
    """Do what is due now: start today's check-in round once it is time, move the ladder on
    (reminders, calls, second contacts, door-knocks), escalate overdue tasks, end monitoring whose
    end date has passed. Safe to run again: a second run at the same time does nothing new. For
    cron when the server is not running (`* * * * * linli run-due`).

    \b
    Example:
      linli run-due --at 2026-11-20T09:00
    """
    from kit.scheduling import run_due

    kit.open(create=False, identify=False)  # the kit's machinery, from cron (linli.cli.signin)
    report = run_due(settings=kit.settings, at=parse_at(at_text) if at_text else None)
    if as_json:
        echo_json(report.as_dict())
        return
    local = report.as_dict()["local_time"]
    click.echo(f"At {local}:")
    for line in report.lines():
        click.echo(f"  {line}")


# --- dispatch ---------------------------------------------------------------------------------------------------


def _dispatch_line(report: Any) -> str:
    why = ", ".join(f"{count:,} {reason}" for reason, count in sorted(report.skipped_for.items()))
    line = (
        f"sent {report.sent:,}, retried {report.retried:,}, failed {report.failed:,}, "
        f"skipped {report.skipped:,}{f' ({why})' if why else ''}, expired {report.expired:,}"
    )
    if report.reconciled_sent or report.reconciled_requeued:
        line += f"; after a stop: {report.reconciled_sent:,} found sent, {report.reconciled_requeued:,} queued again"
    if report.held:
        line += "; held: " + ", ".join(f"{channel} ({why})" for channel, why in sorted(report.held.items()))
    return line


@click.command("dispatch")
@click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron and scripts).")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many messages in one pass.")
@click.option(
    "--every",
    type=click.FloatRange(min=0.5),
    default=5.0,
    show_default=True,
    help="Without --once: seconds between passes.",
)
@pass_kit
def dispatch_command(kit: Kit, once: bool, limit: int | None, every: float) -> None:
    """Send queued messages through the configured gateways (gateway.sms, gateway.voice), paced,
    outside quiet hours and within the daily budget. Messages a stopped dispatcher left half-sent
    are first checked with the provider, never blindly sent again. With --once it makes one pass
    and exits; without, it keeps going until Ctrl-C (the server does this by itself).

    \b
    Example:
      linli dispatch --once --limit 500
    """
    from kit.dispatcher import Dispatcher
    from linli.gateways import build_gateways

    kit.open(create=False, identify=False)  # the kit's machinery, from cron (linli.cli.signin)
    dispatcher = Dispatcher(build_gateways(kit.settings), kit.settings.dispatch, community_zone())
    if once:
        report = dispatcher.run_once(limit=limit)
        click.echo(f"Dispatched: {_dispatch_line(report)}.")
        waiting = counts_by_status("out").get("queued", 0)
        click.echo(f"Still queued: {waiting:,}.")
        return
    click.echo(f"Dispatching every {every:g} s; Ctrl-C to stop.")
    try:
        while True:
            report = dispatcher.run_once(limit=limit)
            if report.total or report.reconciled_sent or report.reconciled_requeued:
                click.echo(f"{datetime.now().strftime('%H:%M:%S')} {_dispatch_line(report)}")
            time.sleep(every)
    except KeyboardInterrupt:
        click.echo("Stopped.")


# --- check-in ---------------------------------------------------------------------------------------------------


@click.group("checkin")
def checkin_group() -> None:
    """The daily health check-in round.

    \b
    Example:
      linli checkin start --audience monitored
    """


@checkin_group.command("start")
@click.option(
    "--audience", help="all, monitored, grid:NAME or tag:NAME. Default: checkin.audience in the configuration."
)
@click.option(
    "--date", "day_text", metavar="DATE", help="The local date of the round, e.g. 2026-11-20. Default: today."
)
@pass_kit
def checkin_start(kit: Kit, audience: str | None, day_text: str | None) -> None:
    """Start a check-in round now: everybody in the audience gets the check-in SMS in their
    language, and the ladder (reminder, call, second contact, door-knock) follows those who do not
    answer. Starting the same round (date and audience) again changes nothing.

    \b
    Example:
      linli checkin start --audience grid:第1网格
    """
    from kit.checkin import start_round

    actor = kit.allow(WORK)
    day: date | None = parse_date(day_text, "round date", "date") if day_text else None
    round_ = start_round(day, audience, settings=kit.settings.checkin, actor=actor)
    click.echo(
        f"Check-in round #{round_.id} for {round_.local_date} ({round_.audience}): "
        f"{round_.asked:,} residents asked. `linli dispatch --once` sends the messages."
    )


# --- parse ------------------------------------------------------------------------------------------------------


def _languages() -> list[str]:
    from sms.parser import known_languages

    return known_languages()


def describe_intent(intent: Intent) -> str:
    """'unwell: 38.5 °C; fever, cough' — one human line for a parsed reply."""
    parts = []
    if intent.temperature_c is not None:
        parts.append(f"{intent.temperature_c:g} °C")
    if intent.symptoms:
        parts.append(", ".join(intent.symptoms))
    if intent.text:
        parts.append(f"needs: {intent.text}")
    if intent.task_number is not None:
        parts.append(f"task {intent.task_number}")
    return intent.kind + (": " + "; ".join(parts) if parts else "")


@click.command("parse")
@click.argument("text")
@click.option("--lang", "language", default="zh", show_default=True, help="The sender's language, e.g. zh or en.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: one object per reply, one per line.")
def parse_command(text: str, language: str, as_json: bool) -> None:
    """Show what Linli makes of a reply: well, unwell (with the temperature and symptoms), help
    (with what is needed), stop, start, done, or unknown. TEXT "-" reads one reply per line from
    stdin and answers one line per reply, in order. Needs no database.

    \b
    Example:
      linli parse "发烧38度5 咳嗽" --lang zh --json
    """
    from sms.parser import parse_reply

    if language not in _languages():
        raise ValidationError(f"No keyword table for '{language}'; use one of: {', '.join(_languages())}.")
    replies: Iterable[str] = [text]
    if text == "-":
        replies = (line.rstrip("\r\n") for line in sys.stdin)
    for reply in replies:
        intent = parse_reply(reply, language)
        if as_json:
            click.echo(json_escaped(json.dumps(intent.as_dict(), ensure_ascii=False)))
        else:
            echo_plain(describe_intent(intent))  # the need is in the sender's words
