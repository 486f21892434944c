"""A command line the CLI cannot read (a mistyped option, a word too many, a missing or wrong value) is refused in
the community's language, with the usage line and where to find help, exit status 2."""

from __future__ import annotations

import pytest

from kit.models import Community
from tests.cli_run import Run

REFUSALS = [
    (("notice", "send", "--text", "停水"), "出错：没有 --text 这个选项。是不是要用 '--template'？"),
    (("notice", "send", "明天停水"), "出错：多出来的内容：明天停水（要写在选项后面，或用引号括起来）"),
    (("residents", "add", "--phone", "13800138000"), "出错：缺少选项 '--name'。"),
    (("residents", "ad"), "出错：没有 ad 这个命令。是不是要用 'add'？"),
    (("notice", "send", "--body", "x", "--channel", "fax"), "出错：'--channel' 的值不对：“fax”不在可选的值里"),
]


@pytest.mark.parametrize(("args", "reason"), REFUSALS)
def test_a_command_line_it_cannot_read_is_refused_in_chinese(
    run: Run, community: Community, args: tuple[str, ...], reason: str
) -> None:
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("用法：") and "--help' 查看说明。" in lines[1]
    assert lines[-1].startswith(reason), lines[-1]


def test_an_english_community_is_refused_in_english(run: Run, community: Community) -> None:
    Community.update(languages="en").execute()
    lines = run("notice", "send", "--text", "x").stderr.splitlines()
    assert lines[0].startswith("Usage: ") and "Try '" in lines[1]
    assert lines[-1] == "Error: No such option: --text. Did you mean '--template'?"


def test_what_was_typed_is_quoted_as_plain_text(run: Run, community: Community) -> None:
    result = run("notice", "send", "\x1b]0;pwned\x07停水")
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("出错：多出来的内容：␛]0;pwned")
