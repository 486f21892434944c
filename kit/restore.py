"""Putting a backup back in place of the database: what `linli restore BACKUP` does.

Copying a backup over the database by hand corrupted it: a live process kept writing to the old file, and SQLite
applied the old file's -wal to the new one. Here, in order: the backup is copied (decrypted if it is an age file)
to a temporary file beside the database and checked there (integrity_check, a Linli schema this code knows); then,
with nobody using the database, the old file is kept aside, its stale -wal/-shm are taken away, and the checked
copy is renamed into place.

Decisions:
- "Nobody is using it" is checked twice. Every Linli process holds a shared lock on "<database>-lock" while it has
  the database open (kit.db); restore takes it exclusively (`kit.db.sole_use`), so a running UI, server or command
  is found, and none can open the file until the swap is done. The system drops these locks when a process dies,
  so a crash never leaves a stale lock. Then SQLite itself is asked: switching the live file from WAL to a rollback
  journal succeeds only when no other connection has it open (any program: the sqlite3 shell, a browser for
  SQLite files, an older Linli), and it folds the -wal into the file, so the file kept aside is complete. A
  write lock is then held on it until the new file is in place.
- A damaged database (the usual reason to restore) cannot answer SQLite's question; the lock file alone decides,
  and its -wal is kept beside the old file under the old file's new name, where SQLite would look for it.
- The check runs on the temporary copy, not on the backup: what was checked is exactly what goes in place. The
  copy is in the database's folder, so `os.replace` is one atomic rename on one disk.
- The old file is kept as "<name>.before-restore-YYYYmmdd-HHMMSS" (UTC) through a hard link, then the new file
  replaces the name: at no moment is there no database at the path. Without hard links (a FAT stick) it is copied.
- A backup with a newer schema is refused (this Linli could not open it); an older one is accepted and migrated the
  next time Linli opens it.
- An encrypted backup (age format, `linli backup --encrypt`) is recognised by its first line; `plain_copy` is the
  one step that turns any backup into a plain SQLite file, decrypting with the secret key given as `identity`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kit import db
from kit.clock import utcnow
from kit.errors import SchemaTooNew, StorageError, ValidationError
from kit.migrations import LATEST
from kit.private_files import open_private, private_folder

SQLITE_HEADER = b"SQLite format 3\x00"
AGE_HEADER = b"age-encryption.org/v1"
SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    kept: Path | None  # the database that was replaced, set aside (None when there was none)
    schema_version: int
    residents: int


def restore_database(
    backup: str | os.PathLike[str], target: str | os.PathLike[str], *, identity: str | None = None
) -> RestoreResult:
    """Replace the SQLite database at `target` with the checked contents of `backup`; the old one is kept aside.
    `identity` is the age secret key (or a file of them) for an encrypted backup."""
    source, path = _paths(backup, target)
    private_folder(path.parent)
    partial = path.with_name(f".{path.name}.restore-partial")
    _remove(partial)
    try:
        plain_copy(source, partial, identity)
        version, residents = verify_backup(partial, shown=source.name)
        with db.sole_use(path), _held_alone(path):
            kept = _set_aside(path)
            os.replace(partial, path)
    finally:
        _remove(partial)
    return RestoreResult(path=path, kept=kept, schema_version=version, residents=residents)


def _paths(backup: str | os.PathLike[str], target: str | os.PathLike[str]) -> tuple[Path, Path]:
    text = str(target)
    if text == ":memory:" or db.is_postgresql_url(text):
        raise StorageError("restore.sqlite_only")
    source, path = Path(backup).expanduser(), Path(text).expanduser()
    if not source.is_file():
        raise ValidationError("restore.no_backup", path=source)
    if path.is_dir():
        raise ValidationError("restore.is_a_folder", path=path)
    if path.exists() and source.samefile(path):
        raise ValidationError("restore.is_the_database", path=source)
    wal = Path(f"{source}-wal")
    if wal.exists() and wal.stat().st_size:
        raise ValidationError("restore.live_wal", path=source)
    return source, path


def plain_copy(source: Path, file: Path, identity: str | None = None) -> None:
    """Write the SQLite contents of the backup `source` to `file` (private): a copy, or the decrypted bytes."""
    with open(source, "rb") as raw:
        head = raw.read(len(AGE_HEADER))
        if head.startswith(AGE_HEADER):
            _decrypt(source, file, identity)
            return
        if not head.startswith(SQLITE_HEADER):
            raise StorageError("restore.not_sqlite", path=source)
        raw.seek(0)
        with open_private(file, "wb") as out:
            shutil.copyfileobj(raw, out, 1024 * 1024)


def _decrypt(source: Path, file: Path, identity: str | None) -> None:
    import pyrage

    if not identity:
        raise ValidationError("restore.needs_identity", name=source.name, path=source)
    keys = _identities(identity)
    try:
        with open(source, "rb") as encrypted, open_private(file, "wb") as out:
            pyrage.decrypt_io(encrypted, out, keys)
    except pyrage.DecryptError:
        raise ValidationError("restore.wrong_key", name=source.name) from None


def _identities(identity: str) -> list[object]:
    """The age secret keys in `identity`: a key (AGE-SECRET-KEY-...) or a file of them, as age-keygen writes."""
    import pyrage

    text = identity.strip()
    if not text.startswith("AGE-SECRET-KEY-"):
        key_file = Path(identity).expanduser()
        if not key_file.is_file():
            raise ValidationError("restore.no_identity", identity=identity)
        text = key_file.read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("AGE-SECRET-KEY-")]
    try:
        keys: list[object] = [pyrage.x25519.Identity.from_str(line) for line in lines]
    except pyrage.IdentityError:
        raise ValidationError("restore.bad_key") from None
    if not keys:
        raise ValidationError("restore.no_secret_key", identity=identity)
    return keys


def verify_backup(file: Path, *, shown: str) -> tuple[int, int]:
    """Check the plain copy `file` of the backup called `shown`: it passes integrity_check and holds a Linli schema
    this code knows. Makes it one self-contained file (no -wal). Returns (schema version, resident count)."""
    try:
        connection = sqlite3.connect(file, isolation_level=None)
    except sqlite3.Error as error:
        raise StorageError("restore.does_not_open", name=shown, reason=str(error)) from None
    try:
        connection.execute("PRAGMA journal_mode=DELETE")
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check(3)")]
        if problems != ["ok"]:
            raise StorageError("restore.integrity", name=shown, found="; ".join(problems))
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = None
        if "schema_version" in tables:
            version = connection.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
        if not version or "resident" not in tables:
            raise StorageError("restore.not_linli", name=shown)
        if version > LATEST:
            raise SchemaTooNew("restore.too_new", name=shown, version=version, latest=LATEST)
        residents = connection.execute('SELECT COUNT(*) FROM "resident"').fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise StorageError("restore.damaged", name=shown, reason=str(error)) from None
    finally:
        connection.close()
    return int(version), int(residents)


@contextmanager
def _held_alone(path: Path) -> Iterator[None]:
    """Hold the live database so nothing else uses it until the block ends; refused if something does."""
    if not path.exists() or path.stat().st_size == 0:
        yield
        return
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        try:
            connection.execute("PRAGMA journal_mode=DELETE")  # needs every other connection gone
            connection.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise StorageError("restore.in_another_program", path=path) from None
            # Damaged: SQLite cannot say who has it open; the lock file has already said nobody in Linli does.
        except sqlite3.DatabaseError:
            pass  # damaged beyond opening, the same
        yield
    finally:
        connection.close()


def _set_aside(path: Path) -> Path | None:
    """Keep the database at `path` under a dated name beside it, with its -wal and -journal; remove its -shm."""
    if not path.exists():
        _remove(path)  # a -wal with no database beside it would be applied to the new one
        return None
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.name}.before-restore-{stamp}")
    number = 1
    while kept.exists():
        number += 1
        kept = path.with_name(f"{path.name}.before-restore-{stamp}-{number}")
    try:
        os.link(path, kept)
    except OSError:
        shutil.copy2(path, kept)
    for suffix in ("-wal", "-journal"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.replace(side, f"{kept}{suffix}")
    Path(f"{path}-shm").unlink(missing_ok=True)  # an index of the -wal, rebuilt by SQLite
    return kept


def _remove(file: Path) -> None:
    """Delete `file` and SQLite's side files of it."""
    for each in (file, *(Path(f"{file}{suffix}") for suffix in SIDE_FILES)):
        each.unlink(missing_ok=True)
