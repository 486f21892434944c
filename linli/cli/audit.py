"""`linli audit`: read the audit trail, who did what and when, filtered by date and operator."""

from __future__ import annotations

import json
from datetime import time

import click

from kit import audit, ui_words
from kit.community import community_zone
from kit.localtime import at_local, to_local
from kit.permissions import READ_AUDIT
from kit.plaintext import visible
from kit.residents import parse_date
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_json, echo_table


@click.command("audit")
@click.option("--since", "since_text", metavar="DATE", help="Only entries from this local date on, e.g. 2026-11-20.")
@click.option("--operator", "operator_name", metavar="NAME", help="Only what this operator (or actor) did.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=1), help="The latest N entries.")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as a JSON list.")
@pass_kit
def audit_command(kit: Kit, since_text: str | None, operator_name: str | None, limit: int, as_json: bool) -> None:
    """Show the audit trail, oldest first: every change and every export, with who made it.

    Actors are operators' names, or the kit itself: scheduler, ladder, checkin, sms:+86..., cli (before
    operators were set up). Times are local.

    \b
    Example:
      linli audit --since 2026-11-20 --operator 王芳
    """
    kit.allow(READ_AUDIT)
    zone = community_zone()
    day = parse_date(since_text, "date", "since") if since_text else None
    since = at_local(day, time(0, 0), zone) if day else None
    found = audit.entries(since=since, actor=operator_name, limit=limit)
    if as_json:
        echo_json(
            [
                {
                    "id": entry.id,
                    "at": to_local(entry.at, zone).isoformat(),
                    "actor": entry.actor,
                    "action": entry.action,
                    "entity": entry.entity,
                    "entity_id": entry.entity_id,
                    "detail": audit.detail_of(entry),
                }
                for entry in found
            ]
        )
        return
    rows = [
        [
            to_local(entry.at, zone).strftime("%Y-%m-%d %H:%M"),
            visible(entry.actor),
            entry.action,
            f"{entry.entity} #{entry.entity_id}" if entry.entity_id is not None else entry.entity,
            visible(json.dumps(audit.detail_of(entry), ensure_ascii=False, default=str)[1:-1]),
        ]
        for entry in found
    ]
    headers = [ui_words.say(f"cli.audit.{column}") for column in ("at", "who", "action", "record", "detail")]
    echo_table(headers, rows, empty=ui_words.say("cli.audit.none"))
