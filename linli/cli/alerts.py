"""`linli alerts`: the alerts an operator must look at, each with its whole text; `linli alerts ack ID` acknowledges
one.

Decisions
- The whole text, never cut: an alert quotes the reply or the error a volunteer must act on. It is shown as plain
  text (a control character in a quoted SMS shows as a symbol), in a table whose other words are the community's
  language; JSON keeps stable English keys.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import click

from kit import ui_words
from kit.alerts import acknowledge, open_alerts
from kit.community import community_zone, get_community
from kit.localtime import to_local
from kit.models import Alert
from kit.permissions import WORK
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_json, echo_plain, echo_table

COLUMNS = ("id", "time", "severity", "kind", "text")


@click.group("alerts", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (stable English keys) instead of a table.")
@click.option("--all", "every", is_flag=True, help="Acknowledged alerts too, newest first.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True, help="At most N alerts.")
@click.pass_context
def alerts_command(ctx: click.Context, as_json: bool, every: bool, limit: int) -> None:
    """The open alerts, urgent first, newest first, each with its whole text: what happened, to
    whom, and what to do. With --all, the acknowledged ones too (who acknowledged them, and when).

    \b
    Example:
      linli alerts
      linli alerts --json
      linli alerts ack 7
    """
    if ctx.invoked_subcommand is not None:
        return
    kit: Kit = ctx.obj
    kit.open(create=False)
    alerts = _every_alert(limit) if every else open_alerts(limit=limit)
    zone = community_zone()
    if as_json:
        echo_json([_as_json(alert, zone) for alert in alerts])
        return
    language = ui_words.base_language(get_community().language)
    headers = [_say(language, f"col.{column}") for column in COLUMNS]
    rows = [_cells(alert, language, zone) for alert in alerts]
    echo_table(headers, rows, empty=_say(language, "none_at_all" if every else "none"))


@alerts_command.command("ack")
@click.argument("alert_id", type=int, metavar="ID")
@pass_kit
def ack_command(kit: Kit, alert_id: int) -> None:
    """Acknowledge alert ID: a person has seen it and is dealing with it. It leaves the open alerts
    (Today, `linli alerts`); `linli alerts --all` still lists it.

    \b
    Example:
      linli alerts ack 7
    """
    actor = kit.allow(WORK)
    alert = acknowledge(alert_id, actor=actor)
    echo_plain(_say(ui_words.base_language(get_community().language), "acked", id=alert.id, by=alert.acknowledged_by))


def _every_alert(limit: int) -> list[Alert]:
    return list(Alert.select().order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit))


def _say(language: str, key: str, **values: object) -> str:
    return ui_words.text(language, f"alerts_cli.{key}", **values)


def _cells(alert: Alert, language: str, zone: ZoneInfo) -> list[str]:
    severity = ui_words.text(language, f"severity.{alert.severity}")
    if alert.acknowledged_at is not None:
        severity += f" ({_say(language, 'acknowledged')})"
    return [
        str(alert.id),
        to_local(alert.created_at, zone).strftime("%m-%d %H:%M"),
        severity,
        ui_words.text(language, f"alert.{alert.kind}") if ui_words.has(f"alert.{alert.kind}") else alert.kind,
        alert.text,
    ]


def _as_json(alert: Alert, zone: ZoneInfo) -> dict[str, Any]:
    acknowledged = alert.acknowledged_at
    return {
        "id": alert.id,
        "at": to_local(alert.created_at, zone).isoformat(),
        "kind": alert.kind,
        "severity": alert.severity,
        "resident_id": alert.resident_id,
        "task_id": alert.task_id,
        "text": alert.text,
        "acknowledged_at": to_local(acknowledged, zone).isoformat() if acknowledged is not None else None,
        "acknowledged_by": alert.acknowledged_by or None,
    }
