"""Commands about the community as a whole: init, status, backup, config."""

from __future__ import annotations

import os
from typing import Any

import click

from kit import audit
from kit.backup import backup_database, backup_encrypted
from kit.community import init_community
from kit.config import describe, is_secret, secret_variable
from kit.operators import add_operator, check_name
from kit.permissions import EXPORT_PERSONAL_DATA
from kit.stats import community_status
from linli.cli.context import Kit, pass_kit
from linli.cli.operators import read_pin
from linli.cli.output import Joined, counted, echo_card, echo_json, echo_plain, status_cell


def split_list(values: tuple[str, ...]) -> list[str]:
    """Values of a repeatable option where each may also be a comma list: ('zh,en', 'ug') -> ['zh', 'en', 'ug']."""
    return [piece.strip() for value in values for piece in value.replace("，", ",").split(",") if piece.strip()]


@click.command()
@click.option("--name", required=True, help="The community's name, e.g. 幸福里社区.")
@click.option("--region", required=True, help="Two-letter phone region for numbers written without +, e.g. CN.")
@click.option("--timezone", required=True, help="IANA time zone for check-in times and quiet hours.")
@click.option(
    "--language",
    "languages",
    multiple=True,
    help="Language residents are written to in, the default first; repeat or use a comma list. Default: zh.",
)
@click.option("--admin", metavar="NAME", help="Also add the first operator, an admin (the PIN is asked twice).")
@click.option("--pin-stdin", is_flag=True, help="With --admin: read the admin's PIN from stdin (for scripts).")
@pass_kit
def init(
    kit: Kit, name: str, region: str, timezone: str, languages: tuple[str, ...], admin: str | None, pin_stdin: bool
) -> None:
    """Create the community this database looks after (once, before anything else).

    Makes the database file if needed. Phone numbers written without a country code are read
    as numbers of --region; times are local to --timezone. Without --admin anybody at the
    laptop may use Linli until `linli operators add` adds the first (admin) operator.

    \b
    Example:
      linli init --name 幸福里社区 --region CN --timezone Asia/Shanghai --language zh,en
    """
    admin_pin = read_pin(check_name(admin), pin_stdin) if admin else None
    kit.open(create=True)
    community = init_community(name, region, timezone, split_list(languages) or None)
    click.echo(
        f"Created {community.name} (region {community.region}, {community.timezone}, "
        f"languages {', '.join(community.language_list)}) in {kit.db_path}."
    )
    if admin and admin_pin:
        view = add_operator(admin, admin_pin, role="admin", actor=kit.actor)
        click.echo(f"Added admin {view.name}; from now on say who you are: linli --operator {view.name} ...")
    click.echo("Next: linli import residents FILE, or linli residents add --name NAME --phone PHONE.")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@pass_kit
def status(kit: Kit, as_json: bool) -> None:
    """Show the community at a glance: residents by status, tag and grid; volunteers; schema.

    \b
    Example:
      linli status --json
    """
    kit.open(create=False)
    figures = community_status(kit.settings.retention)
    if as_json:
        echo_json(figures)
        return
    community, schema = figures["community"], figures["schema"]
    residents, volunteers = figures["residents"], figures["volunteers"]
    echo_plain(
        f"{community['name']}  (region {community['region']}, {community['timezone']}, "
        f"languages {', '.join(community['languages'])})"
    )
    health = [part for s, n in residents["by_status"].items() for part in (status_cell(s), f" {n:,}  ")]
    rows: list[tuple[str, Any]] = [
        ("Database", kit.db_path),
        ("Schema", f"version {schema['version']} (latest {schema['latest']})"),
        ("Residents", Joined((f"{residents['total']:,}: ", *health))),
        ("Monitoring", _counts({k: v for k, v in residents["by_monitoring"].items() if k != "none" and v})),
        ("Tags", _counts(residents["by_tag"])),
        ("Grids", _counts(residents["by_grid"]) + f"; without a grid {residents['without_grid']:,}"),
        ("No phone", f"{residents['without_phone']:,}"),
        ("Opted out", f"{residents['opted_out']:,}"),
        ("Volunteers", f"{volunteers['total']:,} ({volunteers['active']:,} active)"),
    ]
    today = figures["today"]
    checkin = today["checkin"]
    rows += [
        (
            "Check-in",
            f"{today['date']}: asked {checkin['asked']:,}, answered {checkin['answered']:,}, "
            f"silent {checkin['silent']:,}, escalated {checkin['escalated']:,}",
        ),
        ("Alerts", f"{today['open_alerts']:,} open"),
        ("Unread", counted(today["needs_reading"], "reply", "replies") + " nobody understood, not read yet"),
        ("Tasks", _counts(today["tasks"]) or "none"),
        ("Outbox", _counts(today["outbox"]) or "empty"),
        ("Retention", _retention(figures["retention"])),
    ]
    echo_card(rows)


def _retention(kept: dict[str, Any]) -> str:
    """'reports 90 days, messages 90 days, audit 90 days; moved out: anonymised after 30 days (2 waiting)'."""

    def days(n: int, never: str = "kept for ever") -> str:
        return f"{n:,} day{'s' if n != 1 else ''}" if n else never

    return (
        f"reports {days(kept['reports_days'])}, messages {days(kept['messages_days'])}, "
        f"audit {days(kept['audit_days'])}; moved out: anonymised after "
        f"{days(kept['anonymise_after_days'], 'the next purge')} ({kept['moved_out_waiting']:,} waiting)"
    )


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n:,}" for name, n in counts.items()) or "none"


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace FILE if it already exists.")
@click.option(
    "--encrypt",
    "recipient",
    metavar="RECIPIENT",
    help="Encrypt FILE (age format) for this public key (age1..., from age-keygen) or a file of such keys.",
)
@pass_kit
def backup(kit: Kit, file: str, force: bool, recipient: str | None) -> None:
    """Copy the database to FILE while the kit keeps running.

    Uses SQLite's online backup, a few hundred pages at a time, so operators and the
    dispatcher can keep writing. The copy is checked (it opens, has the same schema version)
    before it is put in place. For PostgreSQL use pg_dump instead. FILE is readable by you only.

    With --encrypt, the copy is made in memory and only its encrypted form is written: whoever
    finds FILE (a lost USB stick) reads nothing without the secret key, which stays off this
    computer. `linli restore --identity KEYFILE FILE` (or `age -d`) reads it back.

    \b
    Example:
      linli backup ~/backups/linli-2026-11-20.sqlite3
      linli backup --encrypt ~/.config/linli/backup-keys.txt /media/usb/linli-1120.sqlite3.age
    """
    audit.record_export(kit.allow(EXPORT_PERSONAL_DATA), "backup", file)
    result = backup_encrypted(file, recipient, force=force) if recipient else backup_database(file, force=force)
    done = "Encrypted backup written" if recipient else "Backed up"
    click.echo(
        f"{done} to {result.path} ({_size(result.size)}, schema version {result.schema_version}, "
        f"{counted(result.residents, 'resident')})."
    )


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@pass_kit
def config(kit: Kit, as_json: bool) -> None:
    """Show every setting with its current value and what it does (secrets never shown).

    Values come from the TOML file given by --config or $LINLI_CONFIG, then environment
    variables for secrets, over the defaults. The output is valid TOML to start a file from:
    a secret is a commented-out line saying whether it is set and where to give it (best in
    its environment variable), never its value or a mask.

    \b
    Example:
      linli --config linli.toml config
    """
    rows = describe(kit.settings)
    if as_json:
        echo_json([_json_row(kit, name, value, doc) for name, value, doc in rows])
        return
    source = kit.config_option or os.environ.get("LINLI_CONFIG")
    click.echo(f"# from {source}" if source else "# no configuration file: defaults and environment")
    click.echo(f"# database in use: {kit.db_path}")
    section = ""
    for name, value, doc in rows:
        group, key = name.split(".", 1)
        if group != section:
            click.echo(f"\n[{group}]")
            section = group
        click.echo(f"# {doc}")
        click.echo(_secret_line(kit, name) if is_secret(name) else f"{key} = {_toml(value)}")


def _is_set(kit: Kit, name: str) -> bool:
    group, key = name.split(".", 1)
    if group == "gateways":  # gateways.NAME.KEY: a key of a [gateways.NAME] table
        gateway, _, option = key.partition(".")
        return bool(kit.settings.gateways.get(gateway, {}).get(option))
    return bool(getattr(getattr(kit.settings, group), key))


def _secret_line(kit: Kit, name: str) -> str:
    """'# auth_token = ""  # secret, set: give it in TWILIO_AUTH_TOKEN' - a comment, so never a value."""
    key = name.split(".", 1)[1]
    variable = secret_variable(name)
    where = f"give it in {variable}" if variable else "give it here"
    return f'# {key} = ""  # secret, {"set" if _is_set(kit, name) else "not set"}: {where}'


def _json_row(kit: Kit, name: str, value: Any, doc: str) -> dict[str, Any]:
    if is_secret(name):
        return {"name": name, "value": None, "doc": doc, "secret": True, "set": _is_set(kit, name)}
    return {"name": name, "value": value, "doc": doc}


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):  # [gateway] sms = ["phone1", "modem1"]
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
