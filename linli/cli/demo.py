"""`linli demo-data`: fill an empty database with the demo community. Errors are reported by the `linli` group."""

from __future__ import annotations

import click

from kit.community import get_community
from kit.demo import generate_demo
from linli.cli.context import Kit, pass_kit
from linli.cli.output import counted, echo_json


@click.command("demo-data")
@click.option(
    "--residents",
    type=click.IntRange(1, 1_000_000),
    default=2000,
    show_default=True,
    help="How many residents to make up.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="The same seed gives the same community.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_kit
def demo_data(kit: Kit, residents: int, seed: int, as_json: bool) -> None:
    """Fill an empty database with a believable demo community (幸福里社区（演示）).

    Grids, buildings and households of an older neighbourhood, residents with the needs volunteers meet
    (elderly living alone, no phone, cannot read, home quarantine, ...) and volunteers for every grid. Names
    are made up and phone numbers run in obvious blocks (+86 139 0000 0001, 0002, ...), so nobody real is messaged.
    A database that already has residents is left alone.

    \b
    Example:
      linli demo-data --residents 5000 --seed 42
    """
    kit.open()
    summary = generate_demo(residents, seed)
    if as_json:
        echo_json(summary.as_dict())
        return
    click.echo(
        f"{get_community().name}: {counted(summary.residents, 'resident')} in "
        f"{counted(summary.households, 'household')} across {counted(summary.grids, 'grid')}, looked after by "
        f"{counted(summary.volunteers, 'volunteer')}. Among them: {summary.elderly_alone:,} elderly living alone, "
        f"{summary.no_phone:,} without a phone (on the door-knock list), {summary.home_quarantine:,} under home "
        f"quarantine. Seed {seed}; written to {kit.db_path}."
    )
