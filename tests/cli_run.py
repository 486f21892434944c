"""Running `linli` in the tests as the console script runs it, and reading the one line a failure prints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from click.testing import CliRunner, Result

from linli.cli.main import main

Run = Callable[..., Result]


def linli_runner() -> Run:
    """`run("residents", "list", input=...)`: the command's result; exceptions other than exit propagate."""
    runner = CliRunner()

    def invoke(*args: Any, input: str | None = None) -> Result:
        return runner.invoke(main, [str(arg) for arg in args], input=input, catch_exceptions=False)

    return invoke


def one_line_error(result: Result) -> str:
    """The error of a failed command: exit status 2 and exactly one line on stderr, nothing on stdout."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]
