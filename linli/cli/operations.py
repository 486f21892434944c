"""Running the kit by hand or from cron: `linli run-due`, `linli dispatch`, `linli checkin start`, `linli parse`."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from kit import ui_words
from kit.community import community_zone
from kit.errors import ValidationError
from kit.outbox import counts_by_status
from kit.permissions import WORK
from kit.residents import parse_date
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_json, echo_plain, json_escaped, word

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
        raise ValidationError("run_due.not_a_time", text=text, field="at") from None
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
    click.echo(ui_words.say("cli.run_due.at", time=report.as_dict()["local_time"]))
    for line in report.lines(ui_words.current()):
        echo_plain(f"  {line}")  # it may name a grid or a tag


# --- dispatch ---------------------------------------------------------------------------------------------------


def _dispatch_line(report: Any) -> str:
    """'sent 3, retried 0, failed 0, skipped 1 (1 opted out), expired 0' in the reader's words; the reasons a row
    was skipped or a channel held have words under [cli.dispatch.why] (any other shows as the dispatcher said)."""

    def said(key: str, **values: object) -> str:
        return ui_words.say(f"cli.dispatch.{key}", **values)

    comma = said("comma")
    why = comma.join(
        said("skipped_for", count=f"{count:,}", why=word("cli.dispatch.why", reason))
        for reason, count in sorted(report.skipped_for.items())
    )
    counts = {name: f"{getattr(report, name):,}" for name in ("sent", "retried", "failed", "skipped", "expired")}
    line = said("line_why", why=why, **counts) if why else said("line", **counts)
    if report.reconciled_sent or report.reconciled_requeued:
        line += said("reconciled", sent=f"{report.reconciled_sent:,}", requeued=f"{report.reconciled_requeued:,}")
    if report.held:
        held = comma.join(
            said("held_channel", channel=word("channel", channel), why=word("cli.dispatch.why", why))
            for channel, why in sorted(report.held.items())
        )
        line += said("held", held=held)
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
        click.echo(ui_words.say("cli.dispatch.dispatched", line=_dispatch_line(report)))
        waiting = counts_by_status("out").get("queued", 0)
        click.echo(ui_words.say("cli.dispatch.still_queued", count=f"{waiting:,}"))
        return
    click.echo(ui_words.say("cli.dispatch.every", seconds=f"{every:g}"))
    try:
        while True:
            report = dispatcher.run_once(limit=limit)
            if report.total or report.reconciled_sent or report.reconciled_requeued:
                click.echo(f"{datetime.now().strftime('%H:%M:%S')} {_dispatch_line(report)}")
            time.sleep(every)
    except KeyboardInterrupt:
        click.echo(ui_words.say("cli.dispatch.stopped"))


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
    echo_plain(  # the audience may name a grid or a tag
        ui_words.say_count(
            "cli.checkin.started", round_.asked, id=round_.id, date=round_.local_date, audience=round_.audience
        )
    )


# --- parse ------------------------------------------------------------------------------------------------------


def _languages() -> list[str]:
    from sms.parser import known_languages

    return known_languages()


def describe_intent(intent: Intent, language: str) -> str:
    """'unwell: 38.5 °C; fever, cough' (不适：38.5 °C；发烧、咳嗽): one human line for a parsed reply, in `language`."""

    def said(key: str, **values: object) -> str:
        return ui_words.text(language, key, **values)

    def named(table: str, value: str) -> str:
        return said(f"{table}.{value}") if ui_words.has(f"{table}.{value}") else value

    parts = []
    if intent.temperature_c is not None:
        parts.append(f"{intent.temperature_c:g} °C")
    if intent.symptoms:
        parts.append(said("cli.parse.comma").join(named("symptom", symptom) for symptom in intent.symptoms))
    if intent.text:
        parts.append(said("cli.parse.needs", text=intent.text))
    if intent.task_number is not None:
        parts.append(said("cli.parse.task", number=intent.task_number))
    kind = named("intent", intent.kind)
    return said("cli.parse.line", kind=kind, parts=said("cli.parse.between").join(parts)) if parts else kind


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
        raise ValidationError("parse.no_keyword_table", lang=language, languages=", ".join(_languages()))
    replies: Iterable[str] = [text]
    if text == "-":
        replies = (line.rstrip("\r\n") for line in sys.stdin)
    for reply in replies:
        intent = parse_reply(reply, language)
        if as_json:
            click.echo(json_escaped(json.dumps(intent.as_dict(), ensure_ascii=False)))
        else:
            echo_plain(describe_intent(intent, language))  # the need is in the sender's words
