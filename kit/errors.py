"""One error hierarchy for Linli.

Every error carries a short `title` and a `message` a volunteer can act on. The TUI shows both in a dialog; the CLI
prints them on one line and exits 2. Raise the most specific subclass; never swallow one silently.
"""

from __future__ import annotations


class LinliError(Exception):
    """Something went wrong that a person can understand and act on."""

    title = "Something went wrong"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class ConfigError(LinliError):
    title = "Configuration problem"


class StorageError(LinliError):
    title = "Database problem"


class FileProblem(StorageError):
    """A file or folder, not the database itself: a missing folder, a full disk, no right to write there."""

    title = "File problem"


class SchemaTooNew(StorageError):
    title = "Database made by a newer Linli"


class NotInitialized(StorageError):
    title = "No community yet"


class ValidationError(LinliError):
    """Input that cannot be accepted; `field` names what to fix when there is one."""

    title = "Please check the input"

    def __init__(self, message: str, *, field: str | None = None, title: str | None = None) -> None:
        super().__init__(message, title=title)
        self.field = field


class InvalidPhone(ValidationError):
    title = "Phone number not accepted"


class NotFound(LinliError):
    title = "Not found"


class Conflict(LinliError):
    title = "Already exists"


class ImportFailed(LinliError):
    """A spreadsheet could not be imported; `problems` lists (line, reason) for every bad row."""

    title = "Import stopped: nothing was written"

    def __init__(self, message: str, problems: list[tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class NotAllowed(LinliError):
    """The operator may not do this (their role), or could not be identified (no name, a wrong PIN)."""

    title = "Not allowed"
