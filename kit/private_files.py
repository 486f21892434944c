"""Files that hold people's data are readable by their owner only: the one place that creates them.

The database (and its -wal/-shm), backups, exports, import rejects and door-knock sheets go through here; each is
created with mode 0600, and a folder the kit makes for them with 0700.

Decisions:
- The mode is given to `os.open` at creation, so there is no moment at which the file exists with wider rights
  (a `chmod` afterwards would leave one). An existing file that is opened to be rewritten is narrowed too.
- SQLite's own -wal and -shm files are created by SQLite with the permissions of the main database file (checked
  by tests/kit/test_private_files.py), so creating the main file empty and private before SQLite opens it makes
  all three private. That works for every connection of every thread, which a process-wide umask would not.
- Only folders the kit creates are made 0700; a folder that already exists (a home folder, a USB stick) is the
  owner's choice and is left as it is.
- On Windows the modes are ignored by the system (files are private to the user's profile by its access lists).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import IO, Any

from kit.errors import StorageError

log = logging.getLogger(__name__)

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
_OPEN_FLAGS = {"w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC, "x": os.O_WRONLY | os.O_CREAT | os.O_EXCL}


def open_private(path: str | os.PathLike[str], mode: str = "w", **options: Any) -> IO[Any]:
    """Open `path` for writing ("w", "wb", "x", "xb"), created 0600; an existing file is truncated and narrowed.
    `options` are those of `open` (encoding, newline)."""
    flags = _OPEN_FLAGS.get(mode[0])
    if flags is None or "+" in mode:
        raise ValueError(f"open_private writes only ('w' or 'x' modes), not {mode!r}")
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0), PRIVATE_FILE)
    try:
        _narrow_fd(fd)
        return os.fdopen(fd, mode, **options)
    except BaseException:
        os.close(fd)
        raise


def create_private(path: str | os.PathLike[str]) -> Path:
    """Make `path` an empty private file if it does not exist (for SQLite to open), or narrow it if it does."""
    file = Path(path)
    try:
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        narrow(file)
    except OSError as error:
        raise StorageError("files.cannot_create", path=file, reason=error.strerror or str(error)) from None
    return file


def narrow(path: str | os.PathLike[str]) -> bool:
    """Take away group and other rights from an existing file; True if they were there. A file this user may not
    change (another user's) is left as it is, with a warning in the log."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(mode) or not stat.S_IMODE(mode) & 0o077:
        return False
    try:
        os.chmod(path, stat.S_IMODE(mode) & PRIVATE_FILE)
    except OSError as error:
        log.warning("could not make %s readable by its owner only: %s", path, error.strerror)
        return False
    return True


def private_folder(path: str | os.PathLike[str]) -> Path:
    """Make `path` and any missing parents, each 0700; folders that already exist are left as they are."""
    folder = Path(path)
    missing = [parent for parent in (folder, *folder.parents) if not parent.exists()]
    for parent in reversed(missing):
        try:
            parent.mkdir(mode=PRIVATE_FOLDER, exist_ok=True)
        except OSError as error:
            raise StorageError("files.cannot_create_folder", path=parent, reason=error.strerror or str(error)) from None
    return folder


def is_private(path: str | os.PathLike[str]) -> bool:
    """True when neither group nor others have any right on `path`."""
    return not stat.S_IMODE(os.stat(path).st_mode) & 0o077


def _narrow_fd(fd: int) -> None:
    if hasattr(os, "fchmod"):  # not on Windows
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
        if mode & 0o077:
            os.fchmod(fd, mode & PRIVATE_FILE)
