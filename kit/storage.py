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
from pathlib import Path

import peewee

from kit.busy import is_busy
from kit.errors import FileProblem, StorageError

RESTORE_HINT = "restore the latest backup with: linli restore BACKUP"

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
        return StorageError(
            "This computer ran out of memory. Close other programs; if a file was being imported, split it into "
            "smaller files."
        )
    if isinstance(error, _NOT_STORAGE):
        return None
    if isinstance(error, (peewee.DatabaseError, sqlite3.DatabaseError)):
        return _database_error(error, database)
    if isinstance(error, OSError):
        return _file_error(error)
    return None


def _database_error(error: BaseException, database: str | None) -> StorageError | None:
    text = str(error).lower()
    where = f"The database {database}" if database else "The database"
    folder = Path(database).parent if database else None
    if is_busy(error):
        return StorageError(
            f"{where} stayed busy: another program held it longer than the busy timeout. Try again in a minute; "
            "nothing was saved by this command."
        )
    if "database or disk is full" in text:
        return StorageError(
            f"The disk holding {folder or 'the database'} is full. Free some space and try again; nothing was saved "
            "by this command."
        )
    if "readonly database" in text or "read-only" in text:
        return StorageError(
            f"{where} is read-only. Give this user write access to the file and its folder ({folder or 'its folder'}), "
            "or open a copy."
        )
    if any(words in text for words in _DAMAGED):
        return StorageError(f"{where} is damaged or is not a Linli database; {RESTORE_HINT}.")
    if "unable to open database file" in text:
        return StorageError(
            f"{where} cannot be opened: check that its folder{f' {folder}' if folder else ''} exists and that this "
            "user may read and write in it."
        )
    if "disk i/o error" in text:
        return StorageError(
            f"The disk failed while reading or writing {database or 'the database'}. Check the disk; if it "
            f"happens again, {RESTORE_HINT} onto another disk."
        )
    if isinstance(error, (peewee.OperationalError, sqlite3.OperationalError)):
        return StorageError(f"{where} failed: {error}.")
    return None


def _file_error(error: OSError) -> FileProblem | None:
    name = error.filename
    file = Path(os.fsdecode(name)) if isinstance(name, (str, bytes)) else None
    reason = error.strerror or str(error)
    if error.errno in _FULL:  # a write() that fails for want of space names no file
        where = f"The disk holding {file.parent}" if file else "The disk"
        return FileProblem(f"{where} is full. Free some space and try again; nothing was replaced.")
    if error.errno == errno.EIO:
        return FileProblem(f"The disk failed while reading or writing{f' {_shown(file)}' if file else ''}. Check it.")
    if file is None:
        return None
    folder = file.parent
    if error.errno == errno.ENOENT:
        if not folder.is_dir():
            return FileProblem(f"The folder {folder} does not exist; create it or choose another one.")
        return FileProblem(f"There is no file {_shown(file)}.")
    if error.errno == errno.EROFS:
        return FileProblem(f"{folder} is on a read-only disk; choose a folder on a disk that can be written.")
    if error.errno in _NOT_ALLOWED:
        return FileProblem(
            f"This user may not use {_shown(file)} ({reason}); choose another folder or change the rights on it."
        )
    if error.errno == errno.ENOTDIR:
        return FileProblem(f"A part of {folder} is a file, not a folder; choose another path.")
    if error.errno == errno.EISDIR:
        return FileProblem(f"{file} is a folder; give a file name inside it.")
    return None


def _shown(file: Path) -> Path:
    """The file a person asked for: a hidden ".NAME.partial" written before it is renamed into place is NAME."""
    name = file.name
    if name.startswith(".") and name.endswith(".partial"):
        return file.with_name(name[1 : -len(".partial")])
    return file
