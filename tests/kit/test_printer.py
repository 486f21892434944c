"""Where a sheet is proposed (the documents folder, never the working directory) and how it reaches a printer."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from kit.printer import PrinterProblem, can_print, documents_folder, proposed_path, send_to_printer

DAY = date(2026, 11, 20)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of its own, with the working directory elsewhere."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / ".config"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return folder


def test_the_desktops_documents_folder_first(home: Path) -> None:
    (home / "文档").mkdir()
    (home / ".config").mkdir()
    (home / ".config" / "user-dirs.dirs").write_text('XDG_DOCUMENTS_DIR="$HOME/文档"\n', encoding="utf-8")
    assert proposed_path(DAY) == home / "文档" / "door-knock-2026-11-20.pdf"


def test_then_documents_in_the_home_folder(home: Path) -> None:
    (home / "Documents").mkdir()
    assert proposed_path(DAY, "html") == home / "Documents" / "door-knock-2026-11-20.html"


def test_else_the_home_folder_never_the_working_directory(home: Path) -> None:
    assert documents_folder() == home
    assert proposed_path(DAY).parent == home
    assert Path.cwd() not in proposed_path(DAY).parents


def fake_lp(folder: Path, body: str) -> Path:
    """An `lp` on PATH that runs `body` (a real program, not a mock): `$@` are its arguments."""
    folder.mkdir(exist_ok=True)
    lp = folder / "lp"
    lp.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    lp.chmod(0o755)
    return lp


def test_without_lp_one_clear_line_says_where_the_sheet_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert not can_print()
    with pytest.raises(PrinterProblem) as missing:
        send_to_printer(tmp_path / "knock.pdf", "zh")
    assert missing.value.message == (
        f"这台电脑没有打印命令 lp：敲门单已保存在 {tmp_path / 'knock.pdf'}，请用其他程序打开并打印。"
    )
    with pytest.raises(PrinterProblem) as in_english:
        send_to_printer(tmp_path / "knock.pdf", "en")
    assert in_english.value.message.startswith("This computer has no print command (lp)")


def test_lp_gets_the_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_folder = tmp_path / "bin"
    fake_lp(bin_folder, f'printf "%s\\n" "$@" > {tmp_path / "asked"}')
    monkeypatch.setenv("PATH", f"{bin_folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(tmp_path)
    assert can_print()
    said = send_to_printer("-knock.pdf", "en")
    assert (tmp_path / "asked").read_text(encoding="utf-8") == f"{tmp_path / '-knock.pdf'}\n"
    assert said == f"Door-knock sheet sent to the printer: {tmp_path / '-knock.pdf'}"


def test_lp_refusing_is_one_line_with_its_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_folder = tmp_path / "bin"
    fake_lp(bin_folder, 'echo "lp: Error - no default destination available." >&2; exit 1')
    monkeypatch.setenv("PATH", str(bin_folder))
    with pytest.raises(PrinterProblem) as refused:
        send_to_printer(tmp_path / "knock.pdf", "zh")
    assert refused.value.message == (
        f"打印失败（lp: Error - no default destination available.）：敲门单已保存在 {tmp_path / 'knock.pdf'}。"
    )
