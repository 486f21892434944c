"""What every CLI command shares: the global options, opening the database once, and printing errors."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from kit import db
from kit.config import Settings, load_settings
from kit.errors import ImportFailed, LinliError

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Kit:
    """The CLI's view of the running kit: settings and the database path, opened on first use."""

    db_option: str | None = None
    config_option: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _opened: bool = False

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_option)
        return self._settings

    @property
    def db_path(self) -> str:
        return db.resolve_path(self.db_option, self.settings.database.path)

    def open(self) -> None:
        """Open (and migrate) the database; safe to call more than once."""
        if not self._opened:
            db.connect(self.db_path)
            self._opened = True


pass_kit = click.make_pass_decorator(Kit, ensure=True)


def fail(message: str, *, title: str = "error") -> None:
    """Print one clear line to stderr and exit 2."""
    click.echo(f"{title}: {message}", err=True)
    sys.exit(2)


def handles_errors(function: F) -> F:
    """Turn a LinliError into one line on stderr and exit status 2 (an import failure lists every bad line)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ImportFailed as error:
            for line, reason in error.problems:
                click.echo(f"line {line}: {reason}", err=True)
            fail(error.message, title=error.title)
        except LinliError as error:
            fail(error.message, title=error.title)

    return wrapper  # type: ignore[return-value]
