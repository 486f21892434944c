"""Every command and subcommand of `linli` has --help with an example of itself (sqlite-utils checks the same)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from linli.cli.main import main


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command below `group` as the words that invoke it, groups included, walked recursively."""
    paths: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        paths.append(path)
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, path))
    return paths


def example_problem(help_text: str, path: tuple[str, ...]) -> str | None:
    """Why `help_text` lacks a usable example of `linli PATH`, or None when it has one."""
    lines = help_text.splitlines()
    starts = [index for index, line in enumerate(lines) if line.strip().startswith("Example")]
    if not starts:
        return "no 'Example' section"
    following = [line.strip() for line in lines[starts[0] + 1 :] if line.strip()]
    if not following:
        return "the Example section is empty"
    words = following[0].split()
    wanted = " ".join(("linli", *path))
    rest = words[1:]
    while rest[:1] in (["--db"], ["--config"]):  # global options may come first
        rest = rest[2:]
    if words[:1] != ["linli"] or rest[: len(path)] != list(path):
        return f"the example should start with '{wanted}', not '{following[0]}'"
    return None


ALL = command_paths(main)


def test_the_walk_finds_every_command_group_and_subcommand() -> None:
    expected = {
        ("init",),
        ("status",),
        ("backup",),
        ("restore",),
        ("config",),
        ("residents",),
        ("residents", "add"),
        ("residents", "edit"),
        ("residents", "show"),
        ("residents", "list"),
        ("residents", "search"),
        ("residents", "set-monitoring"),
        ("residents", "set-status"),
        ("residents", "answer"),
        ("residents", "moved-out"),
        ("purge",),
        ("volunteers",),
        ("volunteers", "add"),
        ("volunteers", "list"),
        ("import",),
        ("import", "residents"),
        ("export",),
        ("export", "residents"),
        ("export", "reports"),
        ("export", "messages"),
        ("export", "tasks"),
        ("demo-data",),
        ("notice",),
        ("notice", "send"),
        ("notice", "list"),
        ("notice", "show"),
        ("run-due",),
        ("dispatch",),
        ("gateways",),
        ("gateways", "test"),
        ("gateways", "register"),
        ("capacity",),
        ("checkin",),
        ("checkin", "start"),
        ("parse",),
        ("serve",),
        ("demo",),
        ("report",),
        ("report", "daily"),
        ("report", "examples"),
        ("report", "push"),
        ("points",),
        ("tasks",),
        ("tasks", "sheet"),
    }
    assert expected <= set(ALL)


def test_the_top_command_has_help_with_an_example() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert example_problem(result.output, ()) is None


@pytest.mark.parametrize("path", ALL, ids=" ".join)
def test_every_command_has_help_with_an_example_of_itself(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert example_problem(result.output, path) is None, result.output


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Usage: linli x\n\n  Does x.\n", "no 'Example' section"),
        ("Usage: linli x\n\n  Example:\n\n", "the Example section is empty"),
        ("Usage: linli x\n\n  Example:\n    linli y --fast\n", "the example should start with 'linli x', not"),
        ("Usage: linli x\n\n  Example:\n    linli xy\n", "the example should start with 'linli x', not"),
        ("Usage: linli x\n\n  Example:\n    linli --db a.sqlite3 y\n", "the example should start with 'linli x', not"),
        ("Usage: linli x\n\n  Example:\n    x --fast\n", "the example should start with 'linli x', not"),
        ("Usage: linli x\n\n  Example:\n    linli x --fast\n", None),
        ("Usage: linli x\n\n  Example:\n    linli --db a.sqlite3 x\n", None),
    ],
)
def test_the_example_check_catches_help_without_a_proper_example(text: str, problem: str | None) -> None:
    found = example_problem(text, ("x",))
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)
