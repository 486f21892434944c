"""`linli demo-data`: fill an empty database with the demo community. Errors are reported by the `linli` group."""

from __future__ import annotations

import click

from kit import ui_words
from kit.community import get_community
from kit.demo import generate_demo
from kit.models import Community
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_json, echo_plain


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
    _speak_the_communitys_language()  # a refusal below reads in the community's words too
    summary = generate_demo(residents, seed)
    if as_json:
        echo_json(summary.as_dict())
        return
    _speak_the_communitys_language()  # the demo community, when it was made just now
    echo_plain(
        ui_words.say(
            "cli.demo.summary",
            name=get_community().name,
            residents=ui_words.say_count("cli.demo.residents", summary.residents),
            households=ui_words.say_count("cli.demo.households", summary.households),
            grids=ui_words.say_count("cli.demo.grids", summary.grids),
            volunteers=ui_words.say_count("cli.demo.volunteers", summary.volunteers),
            elderly_alone=summary.elderly_alone,
            no_phone=summary.no_phone,
            home_quarantine=summary.home_quarantine,
            seed=seed,
            path=kit.db_path,
        )
    )


def _speak_the_communitys_language() -> None:
    """Read in the community's first language, once there is a community (demo-data may create it)."""
    community = Community.select().first()
    if community is not None:
        ui_words.use_language(community.language_list[0])
