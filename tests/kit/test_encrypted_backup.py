"""`linli backup --encrypt`: the backup is written only in the age format, readable with the matching secret key,
and the unencrypted copy never reaches the disk."""

from __future__ import annotations

import os
import sqlite3
import stat
import tempfile
from pathlib import Path

import pyrage
import pytest
from click.testing import CliRunner

from kit import backup
from kit.backup import age_recipients, backup_encrypted
from kit.errors import Conflict, ValidationError
from kit.models import Community
from kit.residents import ResidentInput, add_resident
from linli.cli.main import main


@pytest.fixture
def register(community: Community) -> None:
    add_resident(ResidentInput(name="王秀英", phone="13800138000", notes="心脏病"))
    add_resident(ResidentInput(name="李建国", phone="13800138001"))


@pytest.fixture
def identity() -> pyrage.x25519.Identity:
    return pyrage.x25519.Identity.generate()


def opened(sealed: Path, identity: pyrage.x25519.Identity, tmp_path: Path) -> sqlite3.Connection:
    """Decrypt the backup into a file and open it, as `age -d` and then sqlite3 would."""
    plain = tmp_path / "decrypted.sqlite3"
    plain.write_bytes(pyrage.decrypt(sealed.read_bytes(), [identity]))
    return sqlite3.connect(plain)


def check_database(connection: sqlite3.Connection) -> None:
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
        names = [name for (name,) in connection.execute("SELECT name FROM resident ORDER BY id")]
        assert names == ["王秀英", "李建国"]
    finally:
        connection.close()


def test_an_encrypted_backup_decrypts_to_the_whole_database(
    register: None, identity: pyrage.x25519.Identity, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_temporary_files(*args: object, **kwargs: object) -> None:
        raise AssertionError("the unencrypted copy must not go through a temporary file")

    monkeypatch.setattr(tempfile, "TemporaryDirectory", no_temporary_files)
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", no_temporary_files)
    target = tmp_path / "usb" / "linli.sqlite3.age"
    target.parent.mkdir()

    result = backup_encrypted(target, str(identity.to_public()))

    sealed = target.read_bytes()
    assert sealed.startswith(b"age-encryption.org/v1\n")
    assert "王秀英".encode() not in sealed and b"13800138000" not in sealed
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(target.parent) == ["linli.sqlite3.age"]  # no partial or plain copy left beside it
    assert (result.residents, result.size) == (2, len(sealed))
    check_database(opened(target, identity, tmp_path))


def test_without_serialize_the_copy_goes_through_a_private_temporary_file(
    register: None, identity: pyrage.x25519.Identity, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup, "IN_MEMORY", False)  # Python 3.10
    made: list[Path] = []
    real = tempfile.TemporaryDirectory

    def watched(*args: object, **kwargs: object) -> tempfile.TemporaryDirectory[str]:
        folder: tempfile.TemporaryDirectory[str] = real(*args, **kwargs)  # type: ignore[call-overload]
        made.append(Path(folder.name))
        return folder

    monkeypatch.setattr(tempfile, "TemporaryDirectory", watched)
    backup_encrypted(tmp_path / "b.age", str(identity.to_public()))
    assert made and not made[0].exists()
    check_database(opened(tmp_path / "b.age", identity, tmp_path))


def test_a_recipients_file_can_name_several_keys(register: None, tmp_path: Path) -> None:
    first, second = pyrage.x25519.Identity.generate(), pyrage.x25519.Identity.generate()
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# the street office\n{first.to_public()}\n\n# the community's secretary\n{second.to_public()}\n")
    backup_encrypted(tmp_path / "b.age", str(keys))
    for identity in (first, second):
        check_database(opened(tmp_path / "b.age", identity, tmp_path))


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("age1notakey", "RECIPIENT is not a valid age public key"),
        ("no-such-file.txt", "is neither an age public key (age1...) nor a file of them"),
    ],
)
def test_a_bad_recipient_is_refused(register: None, tmp_path: Path, spec: str, problem: str) -> None:
    with pytest.raises(ValidationError) as refused:
        backup_encrypted(tmp_path / "b.age", spec)
    assert problem in refused.value.message
    assert not (tmp_path / "b.age").exists()


def test_a_secret_key_is_refused_without_being_repeated(register: None, tmp_path: Path) -> None:
    secret = str(pyrage.x25519.Identity.generate())
    keys = tmp_path / "keys.txt"
    keys.write_text(secret + "\n")
    for spec in (secret, str(keys)):
        with pytest.raises(ValidationError, match="holds a secret key") as refused:
            age_recipients(spec)
        assert secret not in refused.value.message


def test_a_recipients_file_without_keys_or_with_a_bad_line_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nobody yet\n")
    with pytest.raises(ValidationError, match="has no public keys"):
        age_recipients(str(empty))
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{pyrage.x25519.Identity.generate().to_public()}\nage1broken\n")
    with pytest.raises(ValidationError, match="Line 2 of the recipients file"):
        age_recipients(str(bad))


def test_an_existing_backup_is_not_replaced_without_force(
    register: None, identity: pyrage.x25519.Identity, tmp_path: Path
) -> None:
    target = tmp_path / "b.age"
    target.write_bytes(b"last week's")
    with pytest.raises(Conflict, match="already exists"):
        backup_encrypted(target, str(identity.to_public()))
    assert target.read_bytes() == b"last week's"
    backup_encrypted(target, str(identity.to_public()), force=True)
    check_database(opened(target, identity, tmp_path))


def test_the_cli_writes_an_encrypted_backup_and_refuses_a_bad_key(
    register: None, identity: pyrage.x25519.Identity, tmp_path: Path
) -> None:
    target = tmp_path / "b.age"
    runner = CliRunner()
    done = runner.invoke(main, ["backup", "--encrypt", str(identity.to_public()), str(target)])
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"加密备份已写入 {target}（")  # the test community reads Chinese
    assert "2 位居民" in done.output
    check_database(opened(target, identity, tmp_path))

    refused = runner.invoke(main, ["backup", "--encrypt", "age1nope", str(tmp_path / "c.age")])
    assert refused.exit_code == 2
    assert refused.stderr.strip().splitlines() == [
        "请检查输入：RECIPIENT 不是有效的 age 公钥（应是 age-keygen 输出的 age1...）。"
    ]


def test_linli_restore_reads_an_encrypted_backup_with_its_secret_key(
    register: None, identity: pyrage.x25519.Identity, tmp_path: Path
) -> None:
    from kit.restore import restore_database

    sealed = tmp_path / "b.age"
    backup_encrypted(sealed, str(identity.to_public()))
    key_file = tmp_path / "backup-key.txt"
    key_file.write_text(f"# created by age-keygen\n{identity}\n")
    restored = restore_database(sealed, tmp_path / "restored" / "linli.sqlite3", identity=str(key_file))
    assert restored.residents == 2
    check_database(sqlite3.connect(restored.path))
