"""One error hierarchy for Linli, in the reader's language.

Every error carries a short `title` and a `message` a volunteer can act on. The TUI shows both in a dialog; the CLI
prints them on one line and exits 2. Raise the most specific subclass; never swallow one silently.

An error is raised with a key and its values, never with a sentence: `InvalidPhone("phone.not_valid", raw=raw,
region="CN")`. The words are in `data/ui/<language>/errors*.toml` under `[errors.…]`, and `title` under
`[errors.title]`; `message` and `title` are read in the reader's language (`kit.ui_words.current`) when shown, and
`text(language)` reads them in another. A value that depends on the language (a country's name) is given as a
function of the language. Text that is already in the reader's words (a printer's own message passed
on, a line from another process) is raised with `said`. A test reads every raise in the code and checks its key.
"""

from __future__ import annotations

from typing import Any, TypeVar

from kit import ui_words

E = TypeVar("E", bound="LinliError")


class LinliError(Exception):
    """Something went wrong that a person can understand and act on."""

    title_key = "generic"

    def __init__(self, key: str, /, *, title: str | None = None, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values
        self._said: tuple[str, str | None] | None = None
        if title is not None:
            self.title_key = title

    @classmethod
    def said(cls: type[E], text: str, *, title: str | None = None, **extra: Any) -> E:
        """An error whose words are already the reader's (`title` too, when given)."""
        error = cls("said", **extra)
        error._said = (text, title)
        error.args = (text,)
        return error

    def text(self, language: str) -> str:
        """The message in `language`."""
        if self._said is not None:
            return self._said[0]
        values = {name: value(language) if callable(value) else value for name, value in self.values.items()}
        key = f"errors.{self.key}"
        if not ui_words.has(key):  # a key missing from the words shows itself
            return self.key.format(**values) if values else self.key
        return ui_words.text(language, key, **values)

    @property
    def message(self) -> str:
        return self.text(ui_words.current())

    @property
    def title(self) -> str:
        if self._said is not None and self._said[1] is not None:
            return self._said[1]
        return ui_words.say(f"errors.title.{self.title_key}")

    def __str__(self) -> str:
        return self.message


class ConfigError(LinliError):
    title_key = "config"


class StorageError(LinliError):
    title_key = "storage"


class FileProblem(StorageError):
    """A file or folder, not the database itself: a missing folder, a full disk, no right to write there."""

    title_key = "file"


class SchemaTooNew(StorageError):
    title_key = "schema_too_new"


class NotInitialized(StorageError):
    title_key = "not_initialized"


class ValidationError(LinliError):
    """Input that cannot be accepted; `field` names what to fix when there is one."""

    title_key = "validation"

    def __init__(self, key: str, /, *, field: str | None = None, title: str | None = None, **values: Any) -> None:
        super().__init__(key, title=title, **values)
        self.field = field


class InvalidPhone(ValidationError):
    title_key = "invalid_phone"


class NotFound(LinliError):
    title_key = "not_found"


class Conflict(LinliError):
    title_key = "conflict"


class ImportFailed(LinliError):
    """A spreadsheet could not be imported; `problems` lists (line, reason) for every bad row, in the reader's
    language when they were found."""

    title_key = "import_failed"

    def __init__(
        self, key: str, /, problems: list[tuple[int, str]] | None = None, *, title: str | None = None, **values: Any
    ) -> None:
        super().__init__(key, title=title, **values)
        self.problems = problems or []


class NotAllowed(LinliError):
    """The operator may not do this (their role), or could not be identified (no name, a wrong PIN)."""

    title_key = "not_allowed"
