"""What every CLI command shares: the global options, opening the database once, and printing errors.

Errors are handled once, by `LinliGroup` (the class of the top `linli` group): any `kit.errors.LinliError` raised
by a command becomes one line on stderr and exit status 2, so commands need no decorator; so does a storage failure
(a damaged or read-only database, a full disk, a missing folder) that `kit.storage` recognises.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import click
import peewee

from kit import db, template_mode, ui_words
from kit.community import get_community, languages_at
from kit.config import Settings, load_settings
from kit.errors import ImportFailed, LinliError, NotInitialized
from kit.models import Operator
from kit.permissions import require
from kit.storage import storage_error
from linli.cli.help_words import WordsContext, speak
from linli.cli.output import echo_plain
from linli.cli.signin import sign_in
from linli.cli.usage_words import SaidUsageError, said

INIT_HINT = "linli init --name NAME --region CN --timezone Asia/Shanghai"


@dataclass
class Kit:
    """The CLI's view of the running kit: settings and the database path, opened on first use."""

    db_option: str | None = None
    config_option: str | None = None
    operator_option: str | None = None  # --operator / $LINLI_OPERATOR
    _settings: Settings | None = field(default=None, repr=False)
    _opened: bool = False
    _signed_in: bool = False
    _operator: Operator | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_option)
            template_mode.use_settings(self._settings)  # what the SMS gateways can send (--config included)
        return self._settings

    @property
    def db_path(self) -> str:
        return db.resolve_path(self.db_option, self.settings.database.path)

    def open(self, *, create: bool = True, identify: bool = True) -> None:
        """Open (and migrate) the database; safe to call more than once.

        With `create=False` (every command but `init`) the community must exist: a SQLite file that does not exist
        is not made (a mistyped --db leaves nothing behind) and a database without a community is refused; both
        errors say to run `linli init`. With `identify` (all but the kit's machinery and the terminal UI) the
        operator signs in once operators are set up (linli.cli.signin)."""
        if self._opened:
            if identify:
                self.sign_in()
            return
        path = self.db_path
        if not create and is_missing_file(path):
            raise NotInitialized("community.no_database", path=path, hint=INIT_HINT)
        db.connect(path)
        self._opened = True
        if not create:
            ui_words.use_language(get_community().language_list[0])  # errors and lines in the community's words
        if identify:
            self.sign_in()

    def sign_in(self) -> Operator | None:
        """The operator running this command (None while no operators are set up); asked once."""
        if not self._signed_in:
            self._operator = sign_in(self.operator_option)
            self._signed_in = True
        return self._operator

    @property
    def actor(self) -> str:
        """The name the audit trail records for this command."""
        if self._operator is not None:
            return str(self._operator.name)
        return self.operator_option or "cli"

    def allow(self, action: str) -> str:
        """Open the community, sign the operator in and check their role may do `action` (kit.permissions);
        returns the actor name to record."""
        self.open(create=False)
        require(self._operator, action)
        return self.actor

    def close(self) -> None:
        if self._opened:
            db.close()
            self._opened = False


def is_missing_file(path: str) -> bool:
    """True for a SQLite path with no file behind it (never for a postgresql:// URL or :memory:)."""
    if path == ":memory:" or path.startswith(("postgres://", "postgresql://")):
        return False
    return not Path(path).expanduser().exists()


pass_kit = click.make_pass_decorator(Kit, ensure=True)


def fail(message: str, *, title: str | None = None) -> NoReturn:
    """Print one clear line to stderr and exit 2 (a message often quotes a name or a cell: shown as plain text)."""
    echo_plain(
        ui_words.say("cli.error_line", title=title or ui_words.say("errors.title.generic"), message=message), err=True
    )
    sys.exit(2)


def report_error(error: LinliError) -> NoReturn:
    """One line for the error (an import failure first lists every bad line), then exit 2."""
    if isinstance(error, ImportFailed):
        for line, reason in error.problems:
            echo_plain(ui_words.say("cli.problem_line", line=line, reason=reason), err=True)
    fail(error.message, title=error.title)


class LinliGroup(click.Group):
    """A command group that turns a LinliError from any command below it into one line on stderr and exit 2, and
    that speaks the community's language from the start: its help and its commands' (linli.cli.help_words)."""

    context_class = WordsContext

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        self._speak(ctx)
        return super().resolve_command(ctx, args)

    def get_help(self, ctx: click.Context) -> str:
        self._speak(ctx)
        return super().get_help(ctx)

    def _speak(self, ctx: click.Context) -> None:
        kit = Kit(db_option=ctx.params.get("db_path"), config_option=ctx.params.get("config_path"))
        try:
            languages = languages_at(kit.db_path)
        except LinliError:  # a configuration that cannot be read: the command itself says so
            languages = []
        if languages:
            ui_words.use_language(languages[0])
        speak(self, ui_words.current())

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            if isinstance(error, (SaidUsageError, click.exceptions.NoArgsIsHelpError)):
                raise
            raise said(error) from None
        except LinliError as error:
            report_error(error)
        except BrokenPipeError:
            # `linli export ... | head`: the reader left; say nothing more and do not print a traceback.
            _silence_stdout()
            sys.exit(1)
        except (peewee.DatabaseError, sqlite3.DatabaseError, OSError, MemoryError) as error:
            # A damaged or read-only database, a full disk, a missing folder: one line too (kit.storage).
            explained = storage_error(error, db.current_path())
            if explained is None:
                raise
            report_error(explained)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests) or already closed
        pass
