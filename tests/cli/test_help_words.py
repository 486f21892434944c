"""`linli --help` speaks the community's language: every command and option has its Chinese words in data/help/zh,
the examples stay as written (and runnable), and an English community reads the English of the code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import Result

from kit.models import Community
from linli.cli.help_words import speak, translations, walk
from linli.cli.main import main
from tests.cli_run import Run


@pytest.fixture
def english_afterwards() -> Iterator[None]:
    yield
    speak(main, "en")  # the command tree is shared by every test of the process


def test_every_command_and_option_has_its_chinese_words_and_no_words_are_left_over() -> None:
    words = translations("zh")
    missing, stale = [], set(words)
    for path, command in walk(main):
        stale.discard(path)
        table = words.get(path)
        if table is None:
            missing.append(path)
            continue
        options = {p.name for p in command.params if isinstance(p, click.Option) and p.help and not p.hidden}
        given = set(table.get("options", {}))
        missing += [f"{path} {name}" for name in sorted(options - given)]
        stale |= {f"{path} {name}" for name in given - options}
    assert not missing, f"no Chinese help for: {missing}"
    assert not stale, f"Chinese help for what is not there: {sorted(stale)}"


def test_a_chinese_community_reads_the_help_in_chinese_with_the_examples_as_written(
    run: Run, community: Community, english_afterwards: None
) -> None:
    result = run("residents", "add", "--help")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("用法：") and "residents add [OPTIONS]" in out.splitlines()[0]
    assert "登记一位居民" in out and "选项：" in out and "显示这段说明后退出。" in out and "［必填］" in out
    assert "示例：\n    linli residents add --name 王秀英" in out  # the code's example, untouched
    assert "Options" not in out and "Show this message" not in out and "Register a resident" not in out
    listing = run("--help").stdout
    assert "命令：" in listing and "  residents" in listing and "Usage" not in listing


def test_an_english_community_reads_the_help_of_the_code(run: Run, community: Community) -> None:
    Community.update(languages="en,zh").execute()
    out = run("residents", "add", "--help").stdout
    assert out.startswith("Usage: ") and "residents add [OPTIONS]" in out.splitlines()[0]
    assert "Options:" in out and "Example:" in out and "登记一位居民" not in out


def test_every_chinese_help_is_shown_whole_and_fits_the_terminal(
    community: Community, english_afterwards: None
) -> None:
    from click.testing import CliRunner
    from rich.cells import cell_len

    def run(*args: str) -> Result:  # in a terminal of 80 columns, where Click fills 78
        return CliRunner().invoke(main, list(args), terminal_width=78, catch_exceptions=False)

    for path, command in walk(main):
        speak(main, "en")
        english = command.get_help(click.Context(command, info_name=path))
        result = run(*path.split()[1:], "--help")
        assert result.exit_code == 0, (path, result.output)
        assert "示例：" in result.stdout, path
        too_wide = [
            line
            for line in result.stdout.splitlines()
            if cell_len(line) > 80 and line.strip() not in english  # lines kept as the code has them: its examples
        ]
        assert not too_wide, (path, too_wide)


def test_help_before_there_is_a_database_speaks_the_default(run: Run, tmp_path: Path, english_afterwards: None) -> None:
    result = run("--db", str(tmp_path / "none.sqlite3"), "init", "--help")
    assert result.exit_code == 0 and result.stdout.startswith("Usage: ")  # the tests' default: English
    assert not (tmp_path / "none.sqlite3").exists()


TEXT = (
    "总是先显示预览：能发给谁、谁发不到（没有电话、已退订），以及会让短信改用较贵的 UCS-2 编码的字符。"
    "不加 --yes 什么都不发。"
)


@pytest.mark.parametrize("width", [20, 33, 40, 76])
def test_wide_text_is_wrapped_by_the_columns_it_takes(width: int) -> None:
    from rich.cells import cell_len

    from linli.cli.help_words import wrap_cells

    lines = wrap_cells(TEXT, width)
    assert "".join(lines).replace(" ", "") == TEXT.replace(" ", "")  # nothing lost
    assert all(cell_len(line) <= width for line in lines)
    assert all(line[:1] not in "，。、；：）" and line[-1:] != "（" for line in lines)  # marks stay with their words
    assert all(word in line for word in ("UCS-2", "--yes") for line in lines if word[:3] in line)  # words kept whole
    assert max(cell_len(line) for line in lines[:-1]) >= width - 2  # lines filled, not cut at half
