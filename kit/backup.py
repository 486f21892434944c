"""Backups of the SQLite file while the kit runs, with SQLite's online backup API.

The copy is made from the live connection a few hundred pages at a time, so a writer waits at most for one step;
pages written meanwhile are carried into the copy. The copy goes to a temporary file beside the target, is turned
into a single self-contained file (no -wal beside it), checked (it opens, passes quick_check, has the same schema
version) and only then renamed into place. PostgreSQL is backed up with its own tools (pg_dump).

Every copy is readable by its owner only. `backup_encrypted` writes the copy encrypted in the age format
(https://age-encryption.org), so a backup on a USB stick is not a list of everybody's health; `age -d` or
pyrage decrypts it with the matching secret key.
"""

from __future__ import annotations

import io
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.db import database, is_sqlite
from kit.errors import Conflict, StorageError, ValidationError
from kit.migrations import current_version
from kit.models import Resident
from kit.private_files import create_private, open_private

PAGES_PER_STEP = 256  # 1 MB with 4 KB pages
SECRET_KEY = "AGE-SECRET-KEY-"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int  # bytes
    schema_version: int
    residents: int


def backup_database(target: str | os.PathLike[str], *, force: bool = False) -> BackupResult:
    """Copy the open database to `target`; refuses to replace an existing file unless `force`."""
    path = backup_target(target, force=force)
    version = current_version(database.obj)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        _copy(database.connection(), partial)
        residents = _verify(partial, version)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(path=path, size=path.stat().st_size, schema_version=version, residents=residents)


def backup_target(target: str | os.PathLike[str], *, force: bool) -> Path:
    """`target` as a path a backup may be written to: SQLite only, not a folder, not the live file, not an existing
    file unless `force`, in a folder that exists."""
    if not is_sqlite():
        raise StorageError("backup.sqlite_only")
    path = Path(target).expanduser()
    source_file = database.obj.database
    if path.is_dir():
        raise Conflict("backup.is_a_folder", path=path, example=path / "linli-backup.sqlite3")
    if path.exists():
        if source_file != ":memory:" and _same_file(path, Path(source_file)):
            raise Conflict("backup.is_the_live_database", path=path)
        if not force:
            raise Conflict("backup.exists", path=path)
    if not path.parent.is_dir():
        raise StorageError("backup.no_folder", folder=path.parent)
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _copy(source: sqlite3.Connection, file: Path) -> None:
    create_private(file)  # the copy holds everybody's data: readable by the owner only, from its first byte
    try:
        copy = sqlite3.connect(file)
    except sqlite3.Error as error:
        raise StorageError("backup.cannot_create", path=file, reason=str(error)) from None
    try:
        source.backup(copy, pages=PAGES_PER_STEP)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, whatever the live one uses
    except sqlite3.Error as error:
        raise StorageError("backup.not_written", reason=str(error)) from None
    finally:
        copy.close()


def _verify(file: Path, version: int) -> int:
    """Open the copy afresh, read only: it must pass quick_check and have `version`; returns its resident count."""
    try:
        copy = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise StorageError("backup.does_not_open", path=file, reason=str(error)) from None
    try:
        return _inspect(copy, version)
    except sqlite3.Error as error:
        raise StorageError("backup.unreadable", path=file, reason=str(error)) from None
    finally:
        copy.close()


def _inspect(copy: sqlite3.Connection, version: int) -> int:
    """The copy must pass quick_check and have `version`; returns its resident count."""
    check = copy.execute("PRAGMA quick_check").fetchone()[0]
    if check != "ok":
        raise StorageError("backup.integrity", check=check)
    copied = copy.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    if copied != version:
        raise StorageError("backup.schema", copied=copied, version=version)
    table = Resident._meta.table_name
    return int(copy.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])


# --- encrypted backups (age) -----------------------------------------------------------------------------------


def backup_encrypted(target: str | os.PathLike[str], recipients: str, *, force: bool = False) -> BackupResult:
    """Copy the open database, check the copy, encrypt it to `recipients` (an age public key, or a file of them)
    and write only the encrypted bytes to `target`, readable by the owner only.

    Decisions: the copy is made into memory (SQLite's backup API into a `:memory:` database, then `serialize`), so
    the unencrypted data never reaches the disk, not even as a temporary file. That costs about twice the database's
    size in memory for a moment, which a community's database (tens of MB) affords. Python 3.10 has no `serialize`:
    there the copy goes through a private file in a private temporary folder that is removed at once."""
    import pyrage

    path = backup_target(target, force=force)
    keys = age_recipients(recipients)
    version = current_version(database.obj)
    plain, residents = _plain_copy(database.connection(), version)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with open_private(partial, "wb") as out:
            pyrage.encrypt_io(io.BytesIO(plain), out, keys)  # streams the ciphertext to the file
        os.replace(partial, path)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, (OSError, pyrage.EncryptError)):
            raise StorageError("backup.encrypted_not_written", path=path, reason=str(error)) from None
        raise
    return BackupResult(path=path, size=path.stat().st_size, schema_version=version, residents=residents)


IN_MEMORY = hasattr(sqlite3.Connection, "serialize")  # Python 3.11+


def _plain_copy(source: sqlite3.Connection, version: int) -> tuple[bytes, int]:
    """The database as checked bytes, and its resident count (see `backup_encrypted` for where the copy lives)."""
    if not IN_MEMORY:
        with tempfile.TemporaryDirectory(prefix="linli-backup-") as folder:  # made 0700
            file = Path(folder) / "copy.sqlite3"
            _copy(source, file)
            residents = _verify(file, version)
            return file.read_bytes(), residents
    copy = sqlite3.connect(":memory:")
    try:
        source.backup(copy, pages=PAGES_PER_STEP)
        residents = _inspect(copy, version)
        data: bytes = copy.serialize()  # type: ignore[attr-defined]
    except sqlite3.Error as error:
        raise StorageError("backup.not_made", reason=str(error)) from None
    finally:
        copy.close()
    # Bytes 18 and 19 of the header say "WAL" when the live file uses it; 1 and 1 make the restored copy one
    # self-contained file, as `linli backup` writes it (https://www.sqlite.org/fileformat.html#file_format_version_numbers).
    return data[:18] + b"\x01\x01" + memoryview(data)[20:], residents


def age_recipients(spec: str) -> list[Any]:
    """The age recipients in `spec`: one public key (age1...), or a file of them, one a line (blank lines and
    # comments skipped; ssh-ed25519 and ssh-rsa public keys work too), as `age -R` reads it."""
    import pyrage

    text = spec.strip()
    file: Path | None = None  # the recipients file, when `spec` names one
    if text.startswith(("age1", SECRET_KEY)):
        lines = [(1, text)]
    else:
        file = Path(spec).expanduser()
        if not file.is_file():
            raise ValidationError("backup.not_a_key", spec=spec)
        try:
            read = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise ValidationError("backup.recipients_unreadable", path=file, reason=str(error)) from None
        lines = [(n, line.strip()) for n, line in enumerate(read, 1) if line.strip() and not line.startswith("#")]
        if not lines:
            raise ValidationError("backup.no_keys", path=file)
    keys = []
    for number, line in lines:
        if line.startswith(SECRET_KEY):
            if file is None:
                raise ValidationError("backup.secret_key")
            raise ValidationError("backup.secret_key_in_file", path=file)
        try:
            keys.append(
                pyrage.ssh.Recipient.from_str(line)
                if line.startswith("ssh-")
                else pyrage.x25519.Recipient.from_str(line)
            )
        except pyrage.RecipientError:
            if file is None:
                raise ValidationError("backup.bad_recipient") from None
            raise ValidationError("backup.bad_recipient_line", line=number, path=file) from None
    return keys
