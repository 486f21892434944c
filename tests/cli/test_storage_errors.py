"""A failing disk or database is one line and exit status 2, never a traceback (kit.storage, LinliGroup).

Each failure is real where the machine allows it (a damaged file, a missing folder, SQLite's own "database or disk is
full" from a page limit, SQLite's read-only mode); a full disk under an export and a machine out of memory are
raised where the system would raise them, since a test cannot fill the disk or the memory.
"""

from __future__ import annotations

import csv
import errno
import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import kit.exporter
import kit.importer
from kit import db
from kit.errors import StorageError
from kit.models import Community, Resident
from kit.storage import storage_error
from tests.cli_run import Run
from tests.cli_run import one_line_error as one_line


def register(path: Path, count: int) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["姓名", "手机", "网格", "楼栋", "单元", "房号", "备注"])
    writer.writerows(
        [f"居民{n}", f"138{n:08d}", f"第{n % 9}网格", str(n % 30), "1", str(n), "备注" * 50] for n in range(count)
    )
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def closed(community: Community, database: Path) -> Path:
    """A community database that no connection holds open (each command opens its own)."""
    db.close()
    return database


# --- the database -------------------------------------------------------------------------------------------------


def test_a_file_that_is_not_a_database(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "linli.sqlite3"
    path.write_bytes(b"\x89PNG\r\n" + bytes(range(256)) * 40)
    assert one_line(run("--db", path, "status")) == (
        f"Database problem: The database {path} is damaged or is not a Linli database; "
        "restore the latest backup with: linli restore BACKUP."
    )


def test_a_damaged_database(run: Run, closed: Path) -> None:
    page_size = sqlite3.connect(closed).execute("PRAGMA page_size").fetchone()[0]
    root = sqlite3.connect(closed).execute("SELECT rootpage FROM sqlite_master WHERE name = 'resident'").fetchone()[0]
    with open(closed, "r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xff" * page_size)
    line = one_line(run("--db", closed, "residents", "list"))
    assert line == (
        f"数据库出了问题：数据库（{closed}）已损坏，或者不是邻里的数据库；请用最近的备份恢复：linli restore 备份文件。"
    )


def test_a_read_only_database(run: Run, closed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # SQLite's read-only mode gives the same error as a file this user may not write (which root always may).
    monkeypatch.setitem(db.SQLITE_PRAGMAS, "query_only", 1)
    line = one_line(run("--db", closed, "residents", "add", "--name", "王秀英", "--phone", "13800138000"))
    assert line == (
        f"数据库出了问题：数据库（{closed}）是只读的。请给当前用户这个文件和所在文件夹（{closed.parent}）的写入权限，"
        "或者打开一个副本。"
    )


def test_a_full_disk_under_the_database_during_an_import(
    run: Run, closed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite's own "database or disk is full": the file may not grow past its present size.
    monkeypatch.setitem(db.SQLITE_PRAGMAS, "max_page_count", 1)
    monkeypatch.setattr(kit.importer, "COMMIT_ROWS", 100)
    line = one_line(run("--db", closed, "import", "residents", register(tmp_path / "register.csv", 800)))
    assert line == f"数据库出了问题：存放 {closed.parent} 的磁盘满了。请腾出一些空间再试；这条命令什么都没有保存。"
    monkeypatch.delitem(db.SQLITE_PRAGMAS, "max_page_count")
    db.connect(closed)
    assert Resident.select().count() == 0  # the batches written before the disk filled were undone


# --- files --------------------------------------------------------------------------------------------------------


def test_an_export_to_a_folder_that_does_not_exist(run: Run, closed: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "residents.csv"
    line = one_line(run("--db", closed, "export", "residents", "-o", target))
    assert line == f"文件出了问题：文件夹 {target.parent} 不存在；请先建好，或者换一个文件夹。"


def test_an_english_community_reads_a_file_problem_in_english(run: Run, closed: Path, tmp_path: Path) -> None:
    db.connect(closed)
    Community.update(languages="en,zh").execute()
    db.close()
    target = tmp_path / "no" / "such" / "residents.csv"
    line = one_line(run("--db", closed, "export", "residents", "-o", target))
    assert line == f"File problem: The folder {target.parent} does not exist; create it or choose another one."


def test_an_export_to_a_folder_this_user_may_not_write(run: Run, closed: Path) -> None:
    line = one_line(run("--db", closed, "export", "residents", "-o", "/sys/residents.csv"))
    assert "/sys" in line and line.startswith("文件出了问题：当前用户不能使用 /sys/residents.csv（")
    assert "residents.csv.partial" not in line  # the hidden file written first is not what the person asked for


def test_a_full_disk_under_an_export(run: Run, closed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(*args: Any, **kwargs: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")  # as write() raises it: no file name

    monkeypatch.setattr(kit.exporter, "write_csv", no_space)
    target = tmp_path / "residents.csv"
    line = one_line(run("--db", closed, "export", "residents", "-o", target))
    assert line == "文件出了问题：磁盘满了。请腾出一些空间再试；原有文件没有被替换。"
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if "residents" in p.name] == []  # no partial file left


def test_rejects_to_a_folder_that_does_not_exist(run: Run, closed: Path, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text("姓名,手机\n王秀英,12345\n李建国,13700137000\n", encoding="utf-8")
    rejects = tmp_path / "missing" / "rejects.csv"
    line = one_line(run("--db", closed, "import", "residents", path, "--skip-invalid", "--rejects", rejects))
    assert line == f"文件出了问题：文件夹 {rejects.parent} 不存在；请先建好，或者换一个文件夹。"


def test_a_file_over_the_import_limit(run: Run, closed: Path, tmp_path: Path) -> None:
    config = tmp_path / "linli.toml"
    config.write_text("[imports]\nmax_file_mb = 1\n", encoding="utf-8")
    path = register(tmp_path / "big.csv", 6000)
    assert path.stat().st_size > 1024 * 1024
    line = one_line(run("--db", closed, "--config", config, "import", "residents", path))
    assert line.startswith("请检查输入：big.csv 有 ")
    assert line.endswith(" MB，超过了邻里一次能导入的 1 MB（设置 imports.max_file_mb）；请拆成几个小文件分别导入。")


def test_out_of_memory(run: Run, closed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(*args: Any, **kwargs: Any) -> None:
        raise MemoryError

    monkeypatch.setattr(kit.importer, "validate_resident", exhausted)
    line = one_line(run("--db", closed, "import", "residents", register(tmp_path / "register.csv", 3)))
    assert line == "数据库出了问题：这台电脑的内存用完了。请关掉其他程序；如果正在导入文件，请把它拆成几个小文件。"


def test_a_bug_keeps_its_traceback(run: Run, closed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise sqlite3.ProgrammingError("Incorrect number of bindings supplied")

    monkeypatch.setattr("linli.cli.community.community_status", broken)
    with pytest.raises(sqlite3.ProgrammingError):
        run("--db", closed, "status")


# --- the mapping itself ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (sqlite3.OperationalError("database or disk is full"), "The disk holding /srv/linli is full."),
        (sqlite3.OperationalError("attempt to write a readonly database"), "/srv/linli/linli.sqlite3 is read-only."),
        (sqlite3.DatabaseError("file is not a database"), "is damaged or is not a Linli database"),
        (sqlite3.DatabaseError("database disk image is malformed"), "is damaged or is not a Linli database"),
        (sqlite3.OperationalError("unable to open database file"), "cannot be opened: check that its folder"),
        (sqlite3.OperationalError("disk I/O error"), "The disk failed while reading or writing"),
        (sqlite3.OperationalError("database is locked"), "stayed busy: another program held it"),
        (OSError(errno.EROFS, "Read-only file system", "/media/usb/x.csv"), "/media/usb is on a read-only disk"),
        (OSError(errno.EACCES, "Permission denied", "/srv/.x.csv.partial"), "may not use /srv/x.csv"),
        (OSError(errno.EDQUOT, "Disk quota exceeded", "/home/a/x.csv"), "The disk holding /home/a is full."),
    ],
)
def test_storage_failures_in_words(error: BaseException, message: str) -> None:
    explained = storage_error(error, "/srv/linli/linli.sqlite3")
    assert isinstance(explained, StorageError)
    assert message in explained.message
    assert "\n" not in explained.message


@pytest.mark.parametrize(
    "error",
    [
        sqlite3.IntegrityError("UNIQUE constraint failed: resident.phone"),
        sqlite3.ProgrammingError("Incorrect number of bindings supplied"),
        OSError(errno.EADDRINUSE, "Address already in use"),
        ValueError("not storage"),
    ],
)
def test_what_is_not_a_storage_failure_is_left_alone(error: BaseException) -> None:
    assert storage_error(error, "/srv/linli.sqlite3") is None


@pytest.mark.parametrize(
    ("database", "zh", "en"),
    [
        (
            "/srv/linli.sqlite3",
            "数据库（/srv/linli.sqlite3）一直被别的程序占用，",
            "The database /srv/linli.sqlite3 stayed busy: ",
        ),
        (None, "数据库一直被别的程序占用，", "The database stayed busy: "),  # PostgreSQL: no file to name
    ],
)
def test_a_storage_failure_reads_in_each_language(database: str | None, zh: str, en: str) -> None:
    explained = storage_error(sqlite3.OperationalError("database is locked"), database)
    assert explained is not None
    assert explained.text("zh").startswith(zh)
    assert explained.text("en").startswith(en)
    unopened = storage_error(sqlite3.OperationalError("unable to open database file"), database)
    assert unopened is not None
    assert ("所在文件夹 /srv 是否存在" if database else "所在文件夹是否存在") in unopened.text("zh")


def test_a_full_disk_is_not_hidden_by_the_rollback_that_follows() -> None:
    try:
        try:
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.OperationalError:
            raise sqlite3.OperationalError("cannot rollback - no transaction is active") from None
    except sqlite3.OperationalError as rollback:
        explained = storage_error(rollback, "/srv/linli/linli.sqlite3")
    assert explained is not None and explained.message.startswith("The disk holding /srv/linli is full.")
