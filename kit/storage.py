"""What a failing disk or database means, said in one line a volunteer can act on.

A damaged database file, a read-only file or folder, a full disk, a folder that does not exist, a machine out of
memory: the driver and the system say these in their own words (`sqlite3.OperationalError: database or disk is
full`, `OSError: [Errno 28]`), at the bottom of a long traceback. `storage_error` turns each into a
`kit.errors.StorageError` that names the file and what to do; the CLI's error handler and `kit.db.connect` call
it, so there is one home for these words.

Decisions:
- Errors are recognised by the driver's words (SQLite's messages are stable and the same through peewee) and by
  errno, on the error or on what it was raised from. Anything not recognised is left alone (None): a bug keeps its
  traceback instead of hiding behind a vague line.
- Constraint and programming errors (IntegrityError, ProgrammingError) are bugs or races, never storage: not mapped.
- For a file error the folder is what a volunteer can fix (create it, free space, change rights), so the folder is
  named; the file name may be a hidden partial file written before it is renamed into place.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import peewee

from kit import ui_words
from kit.busy import is_busy
from kit.errors import FileProblem, StorageError

_DAMAGED = ("file is not a database", "file is encrypted or is not a database", "database disk image is malformed")
_NOT_STORAGE = (
    peewee.IntegrityError,
    peewee.ProgrammingError,
    peewee.InterfaceError,
    sqlite3.IntegrityError,
    sqlite3.ProgrammingError,
    sqlite3.InterfaceError,
)
_FULL = (errno.ENOSPC, errno.EDQUOT)
_NOT_ALLOWED = (errno.EACCES, errno.EPERM, errno.EROFS)


def storage_error(error: BaseException, database: str | None = None) -> StorageError | None:
    """`error` as one actionable line, or None when it is not a storage failure. `database` is the SQLite file in
    use, named in database errors."""
    if isinstance(error, StorageError):
        return error
    while "no transaction is active" in str(error) and error.__context__ is not None:
        error = error.__context__  # SQLite rolled back on its own (a full disk): the rollback's error hid it
    if isinstance(error, MemoryError):
        return StorageError("storage.out_of_memory")
    if isinstance(error, _NOT_STORAGE):
        return None
    if isinstance(error, (peewee.DatabaseError, sqlite3.DatabaseError)):
        return _database_error(error, database)
    if isinstance(error, OSError):
        return _file_error(error)
    return None


def _database_error(error: BaseException, database: str | None) -> StorageError | None:
    text = str(error).lower()
    where = _named(database, "the_database_at", "the_database")
    folder = Path(database).parent if database else None
    if is_busy(error):
        return StorageError("storage.busy", where=where)
    if "database or disk is full" in text:
        return StorageError("storage.disk_full", folder=_named(folder, "the_file_at", "the_file"))
    if "readonly database" in text or "read-only" in text:
        return StorageError("storage.read_only", where=where, folder=_named(folder, "the_folder_at", "the_folder"))
    if any(words in text for words in _DAMAGED):
        return StorageError("storage.damaged", where=where)
    if "unable to open database file" in text:
        return StorageError(
            "storage.cannot_open", where=where, its_folder=_named(folder, "its_folder_at", "its_folder")
        )
    if "disk i/o error" in text:
        return StorageError("storage.disk_failed", file=_named(database, "the_file_at", "the_file"))
    if isinstance(error, (peewee.OperationalError, sqlite3.OperationalError)):
        return StorageError("storage.failed", where=where, reason=str(error))
    return None


def _named(path: object, named: str, unnamed: str) -> Callable[[str], str]:
    """The words for a database or folder in a language: with its path (`named`), or without one (`unnamed`, a
    PostgreSQL database has no file)."""
    return ui_words.later(f"errors.storage.{named}", path=path) if path else ui_words.later(f"errors.storage.{unnamed}")


def _file_error(error: OSError) -> FileProblem | None:
    name = error.filename
    file = Path(os.fsdecode(name)) if isinstance(name, (str, bytes)) else None
    reason = error.strerror or str(error)
    if error.errno in _FULL:  # a write() that fails for want of space names no file
        return FileProblem("files.disk_full_at", folder=file.parent) if file else FileProblem("files.disk_full")
    if error.errno == errno.EIO:
        return FileProblem("files.disk_failed_at", path=_shown(file)) if file else FileProblem("files.disk_failed")
    if file is None:
        return None
    folder = file.parent
    if error.errno == errno.ENOENT:
        if not folder.is_dir():
            return FileProblem("files.no_folder", folder=folder)
        return FileProblem("files.no_file", path=_shown(file))
    if error.errno == errno.EROFS:
        return FileProblem("files.read_only_disk", folder=folder)
    if error.errno in _NOT_ALLOWED:
        return FileProblem("files.not_allowed", path=_shown(file), reason=reason)
    if error.errno == errno.ENOTDIR:
        return FileProblem("files.not_a_folder", folder=folder)
    if error.errno == errno.EISDIR:
        return FileProblem("files.is_a_folder", path=file)
    return None


def _shown(file: Path) -> Path:
    """The file a person asked for: a hidden ".NAME.partial" written before it is renamed into place is NAME."""
    name = file.name
    if name.startswith(".") and name.endswith(".partial"):
        return file.with_name(name[1 : -len(".partial")])
    return file
