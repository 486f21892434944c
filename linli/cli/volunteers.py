"""`linli volunteers ...`: register volunteers and list who covers which grid."""

from __future__ import annotations

import click

from kit.outbox import opted_out_among
from kit.permissions import WORK
from kit.phones import display_phone
from kit.volunteers import add_volunteer, list_volunteers
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_json, echo_plain, echo_table


@click.group()
def volunteers() -> None:
    """Register volunteers and see who covers which grid.

    \b
    Example:
      linli volunteers list --grid 第1网格
    """


@volunteers.command("add")
@click.option("--name", required=True, help="Full name, e.g. 李明.")
@click.option("--phone", required=True, help="The mobile tasks are sent to by SMS.")
@click.option(
    "--skill",
    "skills",
    multiple=True,
    help="errands, medical, counselling or driving (跑腿, 医疗, 心理, 开车 too); repeat or use a comma list.",
)
@click.option("--grid", "grids", multiple=True, help="A grid the volunteer covers; repeat for more. Made if new.")
@click.option("--language", help="Language for the volunteer's SMS. Default: the community's first.")
@pass_kit
def add(kit: Kit, name: str, phone: str, skills: tuple[str, ...], grids: tuple[str, ...], language: str | None) -> None:
    """Register a volunteer, with skills and the grids they cover.

    \b
    Example:
      linli volunteers add --name 李明 --phone 13900139000 --skill errands,driving --grid 第1网格 --grid 第2网格
    """
    actor = kit.allow(WORK)
    volunteer = add_volunteer(name, phone, skills=",".join(skills), grids=grids, language=language, actor=actor)
    covers = f", covering {', '.join(grids)}" if grids else ""
    echo_plain(f"Added volunteer #{volunteer.id}: {volunteer.name}, {display_phone(volunteer.phone)}{covers}.")


@volunteers.command("list")
@click.option("--grid", help="Only volunteers covering this grid.")
@click.option("--json", "as_json", is_flag=True, help="Print the volunteers as a JSON list.")
@pass_kit
def list_(kit: Kit, grid: str | None, as_json: bool) -> None:
    """List volunteers with their skills, grids and neighbour points.

    \b
    Example:
      linli volunteers list --grid 第1网格 --json
    """
    kit.open(create=False)
    views = list_volunteers(grid)
    if as_json:
        echo_json([view.as_dict() for view in views])
        return
    opted_out = opted_out_among(v.phone for v in views)  # texted STOP: gets no tasks, whatever ACTIVE says
    rows = [
        [
            str(v.id),
            v.name,
            display_phone(v.phone),
            ", ".join(v.skills),
            ", ".join(v.grids),
            str(v.points),
            "yes" if v.active else "no",
            "yes" if v.phone in opted_out else "",
        ]
        for v in views
    ]
    headers = ("ID", "NAME", "PHONE", "SKILLS", "GRIDS", "POINTS", "ACTIVE", "OPTED OUT")
    echo_table(headers, rows, empty="No volunteers yet.")
