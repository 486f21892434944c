"""Commands about the community as a whole: init, status, backup, config."""

from __future__ import annotations

import os
from typing import Any

import click

from kit.backup import backup_database
from kit.community import init_community
from kit.config import describe
from kit.stats import community_status
from linli.cli.context import Kit, pass_kit
from linli.cli.output import counted, echo_card, echo_json, status_cell


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
@pass_kit
def init(kit: Kit, name: str, region: str, timezone: str, languages: tuple[str, ...]) -> None:
    """Create the community this database looks after (once, before anything else).

    Makes the database file if needed. Phone numbers written without a country code are read
    as numbers of --region; times are local to --timezone.

    \b
    Example:
      linli init --name 幸福里社区 --region CN --timezone Asia/Shanghai --language zh,en
    """
    kit.open(create=True)
    community = init_community(name, region, timezone, split_list(languages) or None)
    click.echo(
        f"Created {community.name} (region {community.region}, {community.timezone}, "
        f"languages {', '.join(community.language_list)}) in {kit.db_path}."
    )
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
    figures = community_status()
    if as_json:
        echo_json(figures)
        return
    community, schema = figures["community"], figures["schema"]
    residents, volunteers = figures["residents"], figures["volunteers"]
    click.echo(
        f"{community['name']}  (region {community['region']}, {community['timezone']}, "
        f"languages {', '.join(community['languages'])})"
    )
    health = "  ".join(f"{_styled(s)} {n:,}" for s, n in residents["by_status"].items())
    rows: list[tuple[str, Any]] = [
        ("Database", kit.db_path),
        ("Schema", f"version {schema['version']} (latest {schema['latest']})"),
        ("Residents", f"{residents['total']:,}: {health}"),
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
        ("Tasks", _counts(today["tasks"]) or "none"),
        ("Outbox", _counts(today["outbox"]) or "empty"),
    ]
    echo_card(rows)


def _styled(status_name: str) -> str:
    cell = status_cell(status_name)
    return click.style(cell.text, fg=cell.colour, bold=True)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n:,}" for name, n in counts.items()) or "none"


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace FILE if it already exists.")
@pass_kit
def backup(kit: Kit, file: str, force: bool) -> None:
    """Copy the database to FILE while the kit keeps running.

    Uses SQLite's online backup, a few hundred pages at a time, so operators and the
    dispatcher can keep writing. The copy is checked (it opens, has the same schema version)
    before it is put in place. For PostgreSQL use pg_dump instead.

    \b
    Example:
      linli backup ~/backups/linli-2026-11-20.sqlite3
    """
    kit.open(create=False)
    result = backup_database(file, force=force)
    click.echo(
        f"Backed up to {result.path} ({_size(result.size)}, schema version {result.schema_version}, "
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
    """Show every setting with its current value and what it does (secrets masked).

    Values come from the TOML file given by --config or $LINLI_CONFIG, then environment
    variables for secrets, over the defaults. The output is valid TOML to start a file from.

    \b
    Example:
      linli --config linli.toml config
    """
    rows = describe(kit.settings)
    if as_json:
        echo_json([{"name": name, "value": value, "doc": doc} for name, value, doc in rows])
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
        click.echo(f"{key} = {_toml(value)}")


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
