"""`linli district`: the district's side. Its communities and their tokens, the server they push their figures to,
who has reported, the trend of the last days, and the table for the level above.

Run against the district's own database (`--db postgresql://...`, or a SQLite file): a district has no residents.
Its operator reads every line and error in `district.language`; the tables of `status`, `trend` and `export` take
--lang too (their words are data/district.toml's).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from kit import clock, ui_words
from kit.config import DistrictSettings
from kit.district import add_community, revoke_community
from kit.district_view import (
    TREND_DAYS,
    TREND_FIGURES,
    bars,
    district_status,
    district_trend,
    district_words,
    export_status,
    list_communities,
)
from kit.errors import ConfigError, NotInitialized
from kit.figures import figure_labels
from kit.localtime import local_date
from kit.permissions import MANAGE_DISTRICT
from kit.plaintext import visible
from kit.residents import parse_date
from linli.cli.context import Kit, is_missing_file, pass_kit
from linli.cli.output import echo_json, echo_plain, echo_table

SHOWN_FIGURES = ("residents", "asked", "answered", "unwell", "fever", "help", "unreachable", "tasks_open")
date_option = click.option("--date", "day_text", metavar="DATE", help="The day, e.g. 2026-11-30. Default: today.")
lang_option = click.option("--lang", "language", help="Words in this language (zh, en). Default: district.language.")


def open_district(kit: Kit, *, create: bool = False) -> DistrictSettings:
    """Open the district's database (made by the first `district add`) and return the district's settings; from
    now on the lines and errors are in the district's language."""
    settings = speak_the_districts_language(kit)
    if not create and is_missing_file(kit.db_path):
        raise NotInitialized("district.no_database", path=kit.db_path)
    kit.open(create=True)
    return settings


def speak_the_districts_language(kit: Kit) -> DistrictSettings:
    settings = kit.settings.district
    ui_words.use_language(settings.language)
    return settings


def district_today(settings: DistrictSettings) -> date:
    try:
        zone = ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("district.bad_timezone", zone=settings.timezone) from None
    return local_date(clock.utcnow(), zone)


def chosen_day(settings: DistrictSettings, day_text: str | None) -> date:
    return parse_date(day_text, "date", "date") or district_today(settings)


@click.group("district")
def district_group() -> None:
    """The district's view of its communities: tokens, the push server, who reported, the trend.

    \b
    Example:
      linli district add 幸福里社区
    """


@district_group.command("add")
@click.argument("name")
@pass_kit
def district_add(kit: Kit, name: str) -> None:
    """Register a community (or give a revoked one a new token) and print its token, once.

    Only a hash of the token is kept: copy it now into the community's configuration, [district] token
    (or its LINLI_DISTRICT_TOKEN).

    \b
    Example:
      linli district add 幸福里社区
    """
    open_district(kit, create=True)
    community, token = add_community(name, actor=kit.allow(MANAGE_DISTRICT))
    echo_plain(ui_words.say("cli.district.added", name=community.name))
    click.echo(ui_words.say("cli.district.token_hint"))
    click.echo(token)


@district_group.command("revoke")
@click.argument("name")
@pass_kit
def district_revoke(kit: Kit, name: str) -> None:
    """Refuse a community's token from now on; its figures so far are kept.

    \b
    Example:
      linli district revoke 幸福里社区
    """
    open_district(kit)
    if revoke_community(name, actor=kit.allow(MANAGE_DISTRICT)):
        echo_plain(ui_words.say("cli.district.revoked", name=name.strip()))
    else:
        echo_plain(ui_words.say("cli.district.already_revoked", name=name.strip()))


@district_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON for machines.")
@pass_kit
def district_list(kit: Kit, as_json: bool) -> None:
    """The communities that report to this district, with the last day each reported.

    \b
    Example:
      linli district list
    """
    open_district(kit)
    lines = list_communities()
    if as_json:
        echo_json(
            [
                {
                    "name": line.name,
                    "created_at": line.created_at,
                    "revoked_at": line.revoked_at,
                    "last_reported": line.last_reported,
                }
                for line in lines
            ]
        )
        return
    rows = [
        [
            visible(line.name),
            line.created_at.strftime("%Y-%m-%d"),
            line.revoked_at.strftime("%Y-%m-%d") if line.revoked_at else "",
            line.last_reported.isoformat() if line.last_reported else "",
        ]
        for line in lines
    ]
    headers = [ui_words.say(f"cli.district.col_{name}") for name in ("community", "added", "revoked", "last_reported")]
    echo_table(headers, rows, empty=ui_words.say("cli.district.no_communities"))


@district_group.command("serve")
@click.option("--host", help="Address to listen on. Default: district.host (127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on. Default: district.port (8090).")
@pass_kit
def district_serve(kit: Kit, host: str | None, port: int | None) -> None:
    """Run the district's server: communities push their day's figures to it, until Ctrl-C.

    Put it behind an HTTPS proxy (communities push only over HTTPS); each community pushes with the token
    `linli district add` gave it.

    \b
    Example:
      linli --db postgresql://linli@localhost/district district serve --port 8090
    """
    import logging

    from aiohttp import web

    from linli.district.server import ENDPOINT, build_district_app

    settings = open_district(kit, create=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host, port = host or settings.host, port or settings.port
    click.echo(ui_words.say("cli.district.serving", url=f"http://{host}:{port}{ENDPOINT}"))
    web.run_app(build_district_app(settings), host=host, port=port, print=None)


@district_group.command("status")
@date_option
@click.option("--json", "as_json", is_flag=True, help="A list with one object per community, for machines.")
@lang_option
@pass_kit
def district_status_command(kit: Kit, day_text: str | None, as_json: bool, language: str | None) -> None:
    """Which communities reported on a day, and their figures; who has not, and since when.

    \b
    Example:
      linli district status --date 2026-11-30
    """
    settings = open_district(kit)
    day = chosen_day(settings, day_text)
    status = district_status(day)
    if as_json:
        echo_json([community.as_dict() for community in status.communities])
        return
    language = language or settings.language
    labels, words = figure_labels(language), district_words(language)
    if not status.communities:
        click.echo(words["no_communities"])
        return
    headers = [labels["community"], words["reported"], *(labels[name] for name in SHOWN_FIGURES)]
    rows = []
    for community in status.communities:
        figures = [f"{community.totals.get(name, 0):,}" if community.reported else "" for name in SHOWN_FIGURES]
        rows.append([visible(community.name), words["yes" if community.reported else "no"], *figures])
    rows.append([words["district"], "", *(f"{status.totals[name]:,}" for name in SHOWN_FIGURES)])
    echo_table(headers, rows)
    missing = status.not_reported
    if not missing:
        click.echo(words["all_reported"].format(date=day))
        return
    names = "、".join(
        words["since"].format(
            name=visible(c.name), last=c.last_reported.isoformat() if c.last_reported else words["never"]
        )
        for c in missing
    )
    click.echo(words["not_reported_line"].format(date=day, count=len(missing), names=names))


@district_group.command("trend")
@click.option("--days", default=TREND_DAYS, show_default=True, help="How many days, ending with --date.")
@date_option
@click.option("--json", "as_json", is_flag=True, help="The sums per day, for machines.")
@lang_option
@pass_kit
def district_trend_command(kit: Kit, days: int, day_text: str | None, as_json: bool, language: str | None) -> None:
    """The district's sums of asked, answered, fever and unreachable per day, as small bar charts.

    \b
    Example:
      linli district trend --days 14
    """
    settings = open_district(kit)
    trend = district_trend(chosen_day(settings, day_text), days)
    if as_json:
        echo_json(
            {
                "days": [day.isoformat() for day in trend.days],
                "figures": trend.series,
                "reporting": trend.reporting,
            }
        )
        return
    language = language or settings.language
    labels, words = figure_labels(language), district_words(language)
    click.echo(words["trend_title"].format(days=days, start=trend.days[0], end=trend.days[-1]))
    rows = [[labels[name], bars(trend.series[name]), f"{trend.series[name][-1]:,}"] for name in TREND_FIGURES]
    rows.append([words["reporting"], bars(trend.reporting), f"{trend.reporting[-1]:,}"])
    echo_table(["", "", words["latest"]], rows)


@district_group.command("export")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The XLSX file to write.")
@date_option
@lang_option
@pass_kit
def district_export(kit: Kit, output: str, day_text: str | None, language: str | None) -> None:
    """The district's table of a day as XLSX for the level above: a row per community and grid, totals.

    \b
    Example:
      linli district export -o district.xlsx --date 2026-11-30
    """
    settings = open_district(kit)
    day = chosen_day(settings, day_text)
    language = language or settings.language
    count = export_status(day, output, language)
    echo_plain(ui_words.text_count(language, "cli.district.exported", count, day=day, output=output))


@district_group.command("ui")
@pass_kit
def district_ui(kit: Kit) -> None:
    """The district's terminal screen: each community's figures, who has not reported, the 14-day trend.

    \b
    Example:
      linli --db postgresql://linli@localhost/district district ui
    """
    from linli.cli.terminal import can_show_a_terminal_ui
    from tui.district_app import run_district_ui

    speak_the_districts_language(kit)
    if not can_show_a_terminal_ui():
        raise click.UsageError(ui_words.say("cli.district.needs_terminal"))
    settings = open_district(kit)
    run_district_ui(settings, district_today(settings))
