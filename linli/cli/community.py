"""Commands about the community as a whole: init, status, backup, config."""

from __future__ import annotations

import os
from typing import Any

import click

from kit import audit, ui_words
from kit.backup import backup_database, backup_encrypted
from kit.community import init_community
from kit.config import describe, is_secret, secret_variable
from kit.errors import NotInitialized
from kit.operators import add_operator, check_name
from kit.permissions import EXPORT_PERSONAL_DATA
from kit.stats import community_status
from linli.cli.context import Kit, is_missing_file, pass_kit
from linli.cli.help_words import setting_doc
from linli.cli.operators import read_pin
from linli.cli.output import STATUS_COLOURS, Cell, Coloured, Joined, echo_card, echo_json, echo_plain, word


def _say(key: str, /, **values: object) -> str:
    return ui_words.say(f"cli.{key}", **values)


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
    ui_words.use_language(community.language_list[0])  # from now on the community's words
    languages_said = ", ".join(community.language_list)
    echo_plain(
        _say(
            "init.created",
            name=community.name,
            region=community.region,
            timezone=community.timezone,
            languages=languages_said,
            path=kit.db_path,
        )
    )
    if admin and admin_pin:
        view = add_operator(admin, admin_pin, role="admin", actor=kit.actor)
        echo_plain(_say("init.admin_added", name=view.name))
    click.echo(_say("init.next"))


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
    community = figures["community"]
    echo_plain(
        _say(
            "status.community",
            name=community["name"],
            region=community["region"],
            timezone=community["timezone"],
            languages=", ".join(community["languages"]),
        )
    )
    echo_card(_status_rows(kit, figures))


def _status_rows(kit: Kit, figures: dict[str, Any]) -> list[tuple[str, Cell]]:
    """The card of `linli status`: a label and a line per figure, in the reader's words."""
    schema, residents, volunteers = figures["schema"], figures["residents"], figures["volunteers"]
    health = [
        part
        for s, n in residents["by_status"].items()
        for part in (Coloured(word("status", s), STATUS_COLOURS.get(s)), f" {n:,}  ")
    ]
    monitored = {k: v for k, v in residents["by_monitoring"].items() if k != "none" and v}
    today = figures["today"]
    checkin = today["checkin"]
    rows: list[tuple[str, Cell]] = [
        ("database", kit.db_path),
        ("schema", _say("status.schema_line", version=schema["version"], latest=schema["latest"])),
        ("residents", Joined((_say("status.total", total=f"{residents['total']:,}"), *health))),
        ("monitoring", _counts(monitored, "monitoring")),
        ("tags", _counts(residents["by_tag"], "tag")),
        (
            "grids",
            _say("status.grids_line", grids=_counts(residents["by_grid"]), count=f"{residents['without_grid']:,}"),
        ),
        ("no_phone", f"{residents['without_phone']:,}"),
        ("opted_out", f"{residents['opted_out']:,}"),
        (
            "volunteers",
            _say("status.volunteers_line", total=f"{volunteers['total']:,}", active=f"{volunteers['active']:,}"),
        ),
        (
            "checkin",
            _say(
                "status.checkin_line",
                date=today["date"],
                asked=f"{checkin['asked']:,}",
                answered=f"{checkin['answered']:,}",
                silent=f"{checkin['silent']:,}",
                escalated=f"{checkin['escalated']:,}",
            ),
        ),
        ("alerts", _say("status.alerts_line", count=f"{today['open_alerts']:,}")),
        ("unread", ui_words.say_count("cli.status.unread_line", today["needs_reading"])),
        ("tasks", _counts(today["tasks"], "task_state")),
        ("outbox", _counts(today["outbox"], "message_status", empty="status.outbox_empty")),
        ("retention", _retention(figures["retention"])),
    ]
    return [(_say(f"status.{label}"), value) for label, value in rows]


def _retention(kept: dict[str, Any]) -> str:
    """'reports 90 days, messages 90 days, audit 90 days; moved out: anonymised after 30 days (2 waiting)'."""

    def days(n: int, never: str = "status.kept_for_ever") -> str:
        return ui_words.say_count("cli.status.days", n) if n else _say(never)

    return _say(
        "status.retention_line",
        reports=days(kept["reports_days"]),
        messages=days(kept["messages_days"]),
        audit=days(kept["audit_days"]),
        after=days(kept["anonymise_after_days"], "status.next_purge"),
        waiting=f"{kept['moved_out_waiting']:,}",
    )


def _counts(counts: dict[str, int], table: str = "", *, empty: str = "status.none") -> str:
    """'第1网格 2, 第2网格 1', each name in the reader's words when `table` has words for it; "none" for none."""
    parts = [f"{word(table, name) if table else name} {n:,}" for name, n in counts.items()]
    return _say("status.comma").join(parts) or _say(empty)


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
    done = "backup_cli.encrypted" if recipient else "backup_cli.backed_up"
    residents = ui_words.say_count("cli.backup_cli.residents", result.residents)
    echo_plain(
        _say(done, path=result.path, size=_size(result.size), version=result.schema_version, residents=residents)
    )


def _size(size: int) -> str:
    if size < 1024:
        return _say("backup_cli.bytes", size=size)
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
    _speak_the_communitys_language(kit)
    source = kit.config_option or os.environ.get("LINLI_CONFIG")
    click.echo(_say("config_cli.from_file", source=source) if source else _say("config_cli.no_file"))
    click.echo(_say("config_cli.database", path=kit.db_path))
    section = ""
    for name, value, doc in rows:
        group, key = name.split(".", 1)
        if group != section:
            click.echo(f"\n[{group}]")
            section = group
        click.echo(f"# {setting_doc(name, doc, ui_words.current())}")
        click.echo(_secret_line(kit, name) if is_secret(name) else f"{key} = {_toml(value)}")


def _speak_the_communitys_language(kit: Kit) -> None:
    """Open the community, when there is one, for its language; `linli config` also works before `linli init`."""
    if is_missing_file(kit.db_path):
        return
    try:
        kit.open(create=False, identify=False)
    except NotInitialized:
        return  # a database without a community yet has no language: the comments stay in the default words


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
    where = _say("config_cli.give_it_in", variable=variable) if variable else _say("config_cli.give_it_here")
    state = _say("config_cli.set" if _is_set(kit, name) else "config_cli.not_set")
    return _say("config_cli.secret_line", setting=key, state=state, where=where)


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
