"""The lines of `linli audit`, `linli export reports|messages|tasks`, `linli serve`, `linli demo` and the operators'
UI read in the community's language: Chinese for the Chinese test community, English for an English one."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from kit.models import Community
from linli.cli.terminal import keep_serving
from tests.cli_run import Run
from tests.cli_run import one_line_error as one_line


def english() -> None:
    Community.update(languages="en,zh").execute()


def test_an_empty_audit_trail_and_its_headers_read_in_chinese(run: Run, community: Community) -> None:
    assert run("audit", "--since", "2026-11-21").stdout == "没有符合条件的操作记录。\n"
    table = run("audit")  # setting the community up is the first entry
    assert table.stdout.splitlines()[0].split() == ["时间", "操作人", "操作", "记录", "详情"]


def test_an_english_community_reads_the_audit_trail_in_english(run: Run, community: Community) -> None:
    english()
    assert run("audit", "--since", "2026-11-21").stdout == "No audit entries match.\n"
    assert run("audit").stdout.splitlines()[0].split() == ["AT", "WHO", "ACTION", "RECORD", "DETAIL"]


@pytest.mark.parametrize(
    ("what", "chinese", "english"),
    [
        ("reports", "已导出 0 份健康报告到 {file}。\n", "Exported 0 reports to {file}.\n"),
        ("messages", "已导出 0 条短信到 {file}。\n", "Exported 0 messages to {file}.\n"),
        ("tasks", "已导出 0 个任务到 {file}。\n", "Exported 0 tasks to {file}.\n"),
    ],
)
def test_an_export_of_records_says_what_it_wrote_in_the_exports_language(
    run: Run, community: Community, tmp_path: Path, what: str, chinese: str, english: str
) -> None:
    file = tmp_path / f"{what}.csv"
    assert run("export", what, "-o", file).stderr == chinese.format(file=file)
    assert run("export", what, "--lang", "en", "-o", file).stderr == english.format(file=file)


def test_an_xlsx_export_of_records_on_a_terminal_is_refused_in_the_communitys_words(
    run: Run, community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("linli.cli.records.stdout_is_terminal", lambda: True)
    assert one_line(run("export", "tasks", "--format", "xlsx")) == (
        "请检查输入：XLSX 表格不能在终端里显示；请用 -o 文件名.xlsx 写进文件。"
    )
    english()
    assert one_line(run("export", "tasks", "--format", "xlsx")) == (
        "Please check the input: An XLSX workbook cannot be shown in a terminal; write it to a file with -o FILE.xlsx."
    )


class _StoppedAtOnce:
    """threading.Event whose wait is interrupted at once, as Ctrl-C interrupts `linli serve`."""

    def wait(self) -> None:
        raise KeyboardInterrupt


@pytest.fixture
def serve_until_interrupted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("linli.cli.serving.threading", SimpleNamespace(Event=_StoppedAtOnce))
    monkeypatch.setattr("linli.cli.serving.configure_logging", lambda: None)


@pytest.mark.usefixtures("serve_until_interrupted")
def test_serve_says_what_it_runs_and_that_it_stops_in_chinese(run: Run, community: Community) -> None:
    result = run("serve", "--no-webhooks")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "邻里正在照看幸福里社区：不开 webhook，短信走 simulator，语音走 simulator。按 Ctrl-C 停止。",
        "正在停止；还在排队的消息下次启动时发送。",
    ]


@pytest.mark.usefixtures("serve_until_interrupted")
def test_serve_in_an_english_community_speaks_english(run: Run, community: Community) -> None:
    english()
    result = run("serve", "--no-webhooks")
    assert result.stdout.splitlines() == [
        "Linli is looking after 幸福里社区: no webhooks, SMS by simulator, voice by simulator. Ctrl-C stops.",
        "Stopping; what is still queued is sent next time.",
    ]


def test_the_demo_without_a_terminal_is_refused_in_the_demo_communitys_chinese(run: Run) -> None:
    result = run("demo")
    assert result.exit_code == 2
    assert "linli demo 需要终端；请在终端窗口里（或通过 SSH）运行。" in result.stderr


@pytest.mark.parametrize(
    ("languages", "question"),
    [
        ("zh,en", "界面因意外错误关闭了；短信和电话的收发照常进行。按回车重新打开界面，输入 q 回车退出邻里："),
        ("en,zh", "The screen closed on an unexpected error; texts and calls are still sent and received. "),
    ],
)
def test_the_question_after_the_screen_failed_is_in_the_communitys_language(
    community: Community, languages: str, question: str
) -> None:
    Community.update(languages=languages).execute()
    asked: list[str] = []

    def ask(text: str) -> str:
        asked.append(text)
        return "q"

    keep_serving(lambda: 1, ask)
    assert len(asked) == 1 and asked[0].startswith(question)
