"""`linli tasks sheet`: the door-knock sheet written where asked (or in the documents folder), then printed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kit.models import AuditEntry, Community
from tests.cli_run import Run, one_line_error
from tests.door_knocks import door_knock_street


@pytest.fixture
def street(community: Community, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The door-knock street, a home folder with no documents folder, the working directory elsewhere."""
    door_knock_street()
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    return home


def test_by_default_a_pdf_in_the_home_folder(street: Path, run: Run) -> None:
    result = run("tasks", "sheet")
    assert result.exit_code == 0, result.output
    target = street / "door-knock-2026-11-20.pdf"
    assert result.stdout == f"敲门单已保存：{target}\n"
    assert target.read_bytes().startswith(b"%PDF-")
    assert list(Path.cwd().iterdir()) == []
    entry = AuditEntry.select().where(AuditEntry.action == "export").order_by(AuditEntry.id.desc()).get()
    assert entry.entity == "door_knock_list" and str(target) in entry.detail


def test_html_of_one_grid_in_english(street: Path, run: Run, tmp_path: Path) -> None:
    target = tmp_path / "west.html"
    result = run("tasks", "sheet", "--grid", "西区", "--lang", "en", "-o", target)
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert "陈姐" in page and "王芳" not in page and "Nobody home" in page


def test_the_format_chooses_the_default_name(street: Path, run: Run) -> None:
    assert run("tasks", "sheet", "--format", "txt").exit_code == 0
    assert "□ 平安" in (street / "door-knock-2026-11-20.txt").read_text(encoding="utf-8")


def test_open_sends_it_to_the_printer(street: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    lp = bin_folder / "lp"
    lp.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {tmp_path / "asked"}\n', encoding="utf-8")
    lp.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_folder}{os.pathsep}{os.environ['PATH']}")
    result = run("tasks", "sheet", "-o", tmp_path / "k.pdf", "--open")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "asked").read_text(encoding="utf-8") == f"{tmp_path / 'k.pdf'}\n"
    assert result.stdout.splitlines()[-1] == f"敲门单已送到打印机：{tmp_path / 'k.pdf'}"


def test_open_without_lp_is_one_clear_line(
    street: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    line = one_line_error(run("tasks", "sheet", "-o", tmp_path / "k.pdf", "--open"))
    assert line == f"打印：这台电脑没有打印命令 lp：敲门单已保存在 {tmp_path / 'k.pdf'}，请用其他程序打开并打印。"
    assert (tmp_path / "k.pdf").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--grid", "北区"], "没有叫 北区 的网格：可选 东区, 西区。"),
        (["-o", "knock.docx"], "knock.docx：敲门单请存为 .pdf、.html 或 .txt。"),
        (["-o", "knock.html", "--format", "pdf"], "knock.html：敲门单请存为 .pdf、.html 或 .txt。"),
        (["--date", "20 November"], None),
    ],
)
def test_bad_input_is_one_line(street: Path, run: Run, args: list[str], expected: str | None) -> None:
    line = one_line_error(run("tasks", "sheet", *args))
    if expected is not None:
        assert line.endswith(expected)
    assert list(Path.cwd().iterdir()) == []


def test_lang_en_reads_english(street: Path, run: Run, tmp_path: Path) -> None:
    result = run("tasks", "sheet", "--lang", "en", "-o", tmp_path / "k.txt")
    assert result.stdout == f"Door-knock sheet saved: {tmp_path / 'k.txt'}\n"
    line = one_line_error(run("tasks", "sheet", "--lang", "en", "-o", "knock.docx"))
    assert line.endswith("knock.docx: save the door-knock sheet as .pdf, .html or .txt.")


def test_the_help_example_runs(street: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no printer here: the example's --open says so
    result = run("tasks", "sheet", "--grid", "东区", "--open")
    assert result.exit_code == 2
    assert (street / "door-knock-2026-11-20.pdf").exists()


def test_pdftotext_reads_the_cli_pdf(street: Path, run: Run) -> None:
    run("tasks", "sheet", "--grid", "东区")
    text = subprocess.run(
        ["pdftotext", str(street / "door-knock-2026-11-20.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "网格：东区" in text and "陈姐" not in text
