"""`linli residents ...`: add, edit, show, list and search residents; set their monitoring and health status.

Every line is in the community's language (data/ui/*/cli_register.toml, [cli.residents]), statuses, monitoring
categories and tags in its words too (绿, 居家隔离, 独居老人); --json keeps the stored values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

from kit import ui_words
from kit.errors import ValidationError
from kit.permissions import CHANGE_RESIDENTS
from kit.phones import display_phone
from kit.resident_search import ResidentFilter, ResidentView, count_residents, find_residents, view_of
from kit.residents import ResidentInput, add_resident, edit_resident, get_resident, set_monitoring, set_status
from kit.vocabulary import parse_tags
from linli.cli.context import Kit, pass_kit
from linli.cli.output import STATUS_COLOURS, Cell, Coloured, echo_card, echo_json, echo_plain, echo_table

COLUMNS = ("id", "name", "phone", "address", "grid", "status", "monitoring", "tags")


def say(key: str, **values: object) -> str:
    """A line of `linli residents` in the reader's language (data/ui/*/cli_register.toml)."""
    return ui_words.say(f"cli.residents.{key}", **values)


def _known(key: str, value: str) -> str:
    """A vocabulary value (a status, a monitoring category, a tag) in the reader's words; as stored if it has none."""
    return ui_words.say(f"{key}.{value}") if ui_words.has(f"{key}.{value}") else value


def _status(status: str) -> Coloured:
    """A health status as the reader says it (GREEN, 绿), coloured on a terminal."""
    return Coloured(_known("status", status), STATUS_COLOURS.get(status))


def _tags(view: ResidentView) -> str:
    return say("list_separator").join(_known("tag", tag) for tag in view.tags)


def resident_row(view: ResidentView) -> list[Cell]:
    return [
        str(view.id),
        view.name,
        display_phone(view.phone) or say("no_phone_cell"),
        view.address,
        view.grid or "",
        _status(view.status),
        _monitoring(view),
        _tags(view),
    ]


def _monitoring(view: ResidentView) -> str:
    if view.monitoring == "none":
        return ""
    category = _known("monitoring", view.monitoring)
    if view.monitoring_until is None:
        return category
    return say("monitoring_until", category=category, date=view.monitoring_until.isoformat())


def echo_residents(views: Sequence[ResidentView], as_json: bool, *, empty: str) -> None:
    if as_json:
        echo_json([view.as_dict() for view in views])
    else:
        headers = [say(f"col.{name}") for name in COLUMNS]
        echo_table(headers, [resident_row(view) for view in views], empty=empty)


def echo_resident(view: ResidentView) -> None:
    values: list[tuple[str, Cell]] = [
        ("id", str(view.id)),
        ("name", view.name),
        ("phone", display_phone(view.phone) or say("no_phone_cell")),
        ("second_phone", display_phone(view.second_phone)),
        ("grid", view.grid or ""),
        ("address", view.address),
        ("language", view.language),
        ("tags", _tags(view)),
        ("birth_year", str(view.birth_year or "")),
        ("status", _status(view.status)),
        ("monitoring", _monitoring(view) or _known("monitoring", "none")),
        ("opted_out", say("yes") if view.opted_out else say("no")),
        ("notes", view.notes),
    ]
    echo_card([(say(f"card.{name}"), value) for name, value in values])


def _field_names(names: Sequence[str]) -> str:
    """The fields an edit changed, as the reader names them (the import preview's words for them)."""
    return say("list_separator").join(_known("import_update.field", name) for name in names)


def joined(values: tuple[str, ...]) -> str | None:
    """A repeatable option's values as one comma list for the validator (None when none were given)."""
    return ",".join(values) if values else None


def resident_options(*, for_edit: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options add and edit share; for edit none is required and only those given change."""
    keep = ' (only the options given change; "" clears a value)' if for_edit else ""
    options = [
        click.option("--name", required=not for_edit, help="Full name, e.g. 王秀英." + keep),
        click.option(
            "--phone", help="Mobile or landline as written (+86, spaces are fine). Without one: tagged no-phone."
        ),
        click.option("--second-phone", help="A family member's number, called when the resident does not answer."),
        click.option("--grid", help="The grid (网格) the resident lives in: one that exists, unless --new-grid."),
        click.option(
            "--new-grid",
            is_flag=True,
            help="Make the grid given with --grid if there is none of that name (else a typo is refused).",
        ),
        click.option("--building", help="Building (楼栋)."),
        click.option("--unit", help="Unit or entrance (单元)."),
        click.option("--room", help="Room (房号)."),
        click.option("--language", help="Language for messages, e.g. zh or en. Default: the community's first."),
        click.option(
            "--tag", "tags", multiple=True, help="A tag such as elderly-alone, chronic, 独居老人; repeat for more."
        ),
        click.option("--birth-year", help="Four digits, e.g. 1948."),
        click.option("--notes", help="Anything a volunteer should know."),
    ]

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


@click.group()
def residents() -> None:
    """Add, edit, find and show residents.

    \b
    Example:
      linli residents list --grid 第1网格 --status red
    """


@residents.command("add")
@resident_options(for_edit=False)
@pass_kit
def add(kit: Kit, /, tags: tuple[str, ...], new_grid: bool, **values: str | None) -> None:
    """Register one resident. The phone is checked and stored in international form.

    \b
    Example:
      linli residents add --name 王秀英 --phone "138 0013 8000" --grid 第1网格 --building 3 --unit 2 --room 201 \\
        --tag 独居老人 --second-phone 13900139000
    """
    actor = kit.allow(CHANGE_RESIDENTS)
    resident = add_resident(ResidentInput(tags=joined(tags), **values), actor=actor, new_grid=new_grid)
    view = view_of(resident)
    echo_plain(say("added", id=view.id, name=view.name, phone=display_phone(view.phone) or say("no_phone")))


@residents.command("edit")
@click.argument("resident_key", metavar="ID_OR_PHONE")
@resident_options(for_edit=True)
@click.option("--add-tag", "add_tags", multiple=True, help="Add a tag, keeping the others; repeatable.")
@click.option("--remove-tag", "remove_tags", multiple=True, help="Remove a tag; repeatable.")
@click.option("--clear-tags", is_flag=True, help="Remove every tag.")
@click.option("--clear-second-phone", is_flag=True, help="Forget the second contact.")
@pass_kit
def edit(
    kit: Kit,
    /,
    resident_key: str,
    tags: tuple[str, ...],
    add_tags: tuple[str, ...],
    remove_tags: tuple[str, ...],
    clear_tags: bool,
    clear_second_phone: bool,
    new_grid: bool,
    **values: str | None,
) -> None:
    """Change a resident, found by id or phone number; what is not given stays as it is.

    \b
    Example:
      linli residents edit 13800138000 --room 202 --add-tag chronic
    """
    actor = kit.allow(CHANGE_RESIDENTS)
    resident = get_resident(resident_key)
    changes: dict[str, Any] = {name: value for name, value in values.items() if value is not None}
    if clear_second_phone:
        changes["second_phone"] = None
    if tags or add_tags or remove_tags or clear_tags:
        current = [] if clear_tags else list(view_of(resident).tags)
        if tags:
            current = parse_tags(joined(tags))
        removed = set(parse_tags(joined(remove_tags)))
        changes["tags"] = [tag for tag in current + parse_tags(joined(add_tags)) if tag not in removed]
    if not changes:
        raise ValidationError("residents.nothing_to_change")
    before = view_of(resident).as_dict()
    after_view = view_of(edit_resident(resident.id, changes, actor=actor, new_grid=new_grid))
    after = after_view.as_dict()
    changed = [name for name in before if name != "address" and before[name] != after[name]]
    if changed:
        echo_plain(say("updated", id=after_view.id, name=after_view.name, fields=_field_names(changed)))
    else:
        echo_plain(say("unchanged", id=after_view.id, name=after_view.name))


@residents.command("show")
@click.argument("resident_key", metavar="ID_OR_PHONE")
@click.option("--json", "as_json", is_flag=True, help="Print the resident as JSON.")
@pass_kit
def show(kit: Kit, resident_key: str, as_json: bool) -> None:
    """Show one resident, found by id or phone number.

    \b
    Example:
      linli residents show "+86 138 0013 8000"
    """
    kit.open(create=False)
    view = view_of(get_resident(resident_key))
    if as_json:
        echo_json(view.as_dict())
    else:
        echo_resident(view)


@residents.command("list")
@click.option("--grid", help="Only residents of this grid.")
@click.option("--tag", help="Only residents with this tag.")
@click.option("--status", help="Only residents with this health status: green, yellow or red.")
@click.option("--monitoring", help="Only residents in this monitoring category, e.g. home_quarantine.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1), help="Residents per page.")
@click.option("--offset", default=0, show_default=True, type=click.IntRange(min=0), help="Residents to skip.")
@click.option("--json", "as_json", is_flag=True, help="Print the page as a JSON list.")
@pass_kit
def list_(
    kit: Kit,
    grid: str | None,
    tag: str | None,
    status: str | None,
    monitoring: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """List residents a page at a time, filtered by grid, tag, status or monitoring.

    \b
    Example:
      linli residents list --tag elderly-alone --limit 20 --offset 20
    """
    kit.open(create=False)
    flt = ResidentFilter(grid=grid, tag=tag, status=status, monitoring=monitoring)
    views = find_residents(flt, limit=limit, offset=offset)
    echo_residents(views, as_json, empty=say("none_match"))
    if not as_json and views:
        total = count_residents(flt)
        footer = ui_words.say_count("cli.residents.showing", total, first=offset + 1, last=offset + len(views))
        if offset + len(views) < total:
            footer += say("next_page", offset=offset + limit)
        click.echo(footer)


@residents.command("search")
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1), help="Most residents to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the matches as a JSON list.")
@pass_kit
def search(kit: Kit, query: str, limit: int, as_json: bool) -> None:
    """Find residents by any part of their name, phone digits, address or grid.

    \b
    Example:
      linli residents search "王 3-2"
    """
    kit.open(create=False)
    views = find_residents(ResidentFilter(query=query), limit=limit)
    echo_residents(views, as_json, empty=say("no_match", query=query))


@residents.command("set-monitoring")
@click.argument("resident_key", metavar="ID_OR_PHONE")
@click.argument("category")
@click.option("--until", help="The date monitoring ends, e.g. 2026-12-05 (needed unless none or recovered).")
@pass_kit
def set_monitoring_command(kit: Kit, resident_key: str, category: str, until: str | None) -> None:
    """Put a resident under monitoring: none, close_contact, home_quarantine, confirmed, recovered.

    \b
    Example:
      linli residents set-monitoring 12 home_quarantine --until 2026-12-04
    """
    actor = kit.allow(CHANGE_RESIDENTS)
    resident = set_monitoring(get_resident(resident_key).id, category, until, actor=actor)
    view = view_of(resident)
    monitoring = _monitoring(view) or _known("monitoring", "none")
    echo_plain(say("monitoring_set", id=view.id, name=view.name, monitoring=monitoring))


@residents.command("set-status")
@click.argument("resident_key", metavar="ID_OR_PHONE")
@click.argument("status")
@click.option("--reason", default="", help="Why, for the audit trail, e.g. 'fever 38.5 on a door visit'.")
@pass_kit
def set_status_command(kit: Kit, resident_key: str, status: str, reason: str) -> None:
    """Set a resident's health status: green, yellow or red.

    \b
    Example:
      linli residents set-status 12 yellow --reason "cough, reported by phone"
    """
    actor = kit.allow(CHANGE_RESIDENTS)
    resident = set_status(get_resident(resident_key).id, status, reason=reason, actor=actor)
    echo_plain(say("status_set", id=resident.id, name=resident.name, status=_known("status", resident.status)))


@residents.command("answer")
@click.argument("resident_key", metavar="ID_OR_PHONE")
@click.argument("kind", metavar="well|unwell|help")
@click.option("--temperature", help="Their temperature as they said it: 38.2, 38度5, 101F.")
@click.option("--need", default="", help="For help: what they need, e.g. 买药 (may be left out).")
@click.option(
    "--via", "channel", default="phone", show_default=True, help="How the answer came: phone, door or operator."
)
@pass_kit
def answer_command(kit: Kit, resident_key: str, kind: str, temperature: str | None, need: str, channel: str) -> None:
    """Record a check-in answer a resident gave by phone, at the door or to an operator. It counts as their SMS
    answer would: today's report, their status, the alerts, a help task, and off today's ladder.

    \b
    Example:
      linli residents answer 13800138000 unwell --temperature 38度5 --via phone
    """
    from kit import ui_words
    from kit.answers_by_hand import not_a_temperature, record_by_hand
    from kit.community import get_community
    from kit.permissions import WORK
    from sms.parser import read_temperature

    actor = kit.allow(WORK)
    resident = get_resident(resident_key)
    celsius = None
    if temperature is not None and temperature.strip():
        celsius = read_temperature(temperature, resident.language)
        if celsius is None:
            raise not_a_temperature(temperature.strip())
    via = channel.strip().lower()
    outcome = record_by_hand(
        resident.id, kind.strip().lower(), channel=via, actor=actor, temperature_c=celsius, need=need
    )
    language = ui_words.base_language(get_community().language.split(",")[0])

    def words(key: str, **values: object) -> str:
        return ui_words.text(language, key, **values)

    said = words(f"intent.{kind.strip().lower()}") + (f" {celsius:g} °C" if celsius is not None else "")
    line = words(
        "answer.recorded", id=resident.id, name=resident.name, via=words(f"answer.via.{via}"), outcome=said,
        status=words(f"status.{outcome.status}"),
    )  # fmt: skip
    if outcome.task_id is not None:
        line += " " + words("answer.help_task", id=outcome.task_id)
    echo_plain(line)
