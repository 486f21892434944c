"""`linli purge` (old reports, messages and audit entries go; residents who moved out are anonymised) and
`linli residents moved-out`, which starts a resident's count towards anonymisation.

`moved_out_command` is attached to the `residents` group in main.py (`residents.add_command(moved_out_command)`).
"""

from __future__ import annotations

import click

from kit import ui_words
from kit.community import community_zone
from kit.localtime import local_date
from kit.permissions import CHANGE_RESIDENTS, VIEW
from kit.residents import parse_date
from kit.retention import purge, set_moved_out
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_json


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would go; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_kit
def purge_command(kit: Kit, dry_run: bool, as_json: bool) -> None:
    """Remove what is kept longer than the retention settings allow.

    Health reports, messages (with their delivery history) and audit entries older than
    retention.reports_days, messages_days and audit_days (90 days unless set; 0 keeps them)
    are deleted, and residents who moved out more than retention.anonymise_after_days ago
    lose their name, phones, notes and tags. Messages still being sent or handled stay.
    The scheduler does this once a day at retention.purge_at; the audit trail records the
    counts. `linli status` shows the retention in force.

    \b
    Example:
      linli purge --dry-run
    """
    actor = kit.allow(VIEW if dry_run else CHANGE_RESIDENTS)
    report = purge(kit.settings.retention, dry_run=dry_run, actor=actor)
    if as_json:
        echo_json(report.as_dict())
    else:
        line = report.describe()
        click.echo(ui_words.say("cli.purge.line", summary=line[0].upper() + line[1:]))


@click.command("moved-out")
@click.argument("resident_id", type=int)
@click.option("--date", "day_text", metavar="DATE", help="The day they moved out, e.g. 2026-11-20. Default: now.")
@click.option("--undo", is_flag=True, help="They did not move out after all (before they are anonymised).")
@pass_kit
def moved_out_command(kit: Kit, resident_id: int, day_text: str | None, undo: bool) -> None:
    """Record that a resident moved out of the community.

    Their name, phones, notes and tags are removed retention.anonymise_after_days later
    (30 unless set) by the daily purge; until then --undo takes it back.

    \b
    Example:
      linli residents moved-out 42 --date 2026-11-20
    """
    actor = kit.allow(CHANGE_RESIDENTS)
    day = parse_date(day_text, "date", "date") if day_text else None
    resident = set_moved_out(resident_id, day, undo=undo, actor=actor)
    if undo:
        click.echo(ui_words.say("cli.purge.not_moved_out", id=resident.id))
        return
    days = kit.settings.retention.anonymise_after_days
    on = local_date(resident.moved_out_at, community_zone()).isoformat()
    if days <= 0:  # 0 keeps them for ever (kit.retention)
        click.echo(ui_words.say("cli.purge.kept", id=resident.id, day=on))
        return
    click.echo(ui_words.say_count("cli.purge.moved_out", days, id=resident.id, day=on))
