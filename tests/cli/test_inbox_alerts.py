"""`linli inbox` and `linli alerts`: the SMS received with what each was read as and whether it still needs reading,
and the open alerts with their whole text, in the community's words (JSON with stable keys)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kit import needs_reading
from kit.alerts import raise_alert
from kit.clock import FixedClock
from kit.community import init_community
from kit.models import Alert, Community, Message
from kit.residents import ResidentInput, add_resident
from sms import router
from tests.cli_run import Run, one_line_error

PHONE = "+8613800138000"
LOST = "家里的事说不清楚\x1b]0;x\x07，你们来看看吧"  # with a terminal's control sequence in it


@pytest.fixture
def inbox(community: Community, fixed_clock: FixedClock) -> tuple[Message, Message]:
    """王秀英 answered 1 at 09:00, then at 09:05 something nobody understood."""
    add_resident(ResidentInput(name="王秀英", phone="13800138000", grid="第1网格"), actor="test")
    well = router.handle("simulator", "SIM-1", PHONE, "1")
    fixed_clock.advance(minutes=5)
    return well, router.handle("simulator", "SIM-2", PHONE, LOST)


def test_inbox_needs_reading_json(run: Run, inbox: tuple[Message, Message]) -> None:
    _, lost = inbox
    result = run("inbox", "--needs-reading", "--json")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout  # the control character is a \u escape in the JSON
    assert json.loads(result.stdout) == [
        {
            "id": lost.id,
            "at": "2026-11-20T09:05:00+08:00",
            "from": PHONE,
            "resident_id": lost.resident_id,
            "resident": "王秀英",
            "text": LOST,
            "channel": "sms",
            "read_as": {"intent": "unknown", "symptoms": [], "task_number": None, "temperature_c": None, "text": ""},
            "corrected": None,
            "needs_reading": True,
            "read": None,
        }
    ]


def test_inbox_table_in_the_communitys_words(run: Run, inbox: tuple[Message, Message]) -> None:
    _, lost = inbox
    lines = run("inbox").stdout.splitlines()
    assert lines[0].split() == ["时间", "发件人", "电话", "内容", "识别为", "处理"]
    assert lines[1].split()[:3] == ["11-20", "09:05", "王秀英"]
    assert lines[1].endswith("未识别  待阅读") and "␛]0;x" in lines[1] and "\x1b" not in lines[1]
    assert lines[2].split()[-1] == "平安"
    needs_reading.mark_read(lost.id, actor="李娜")
    assert run("inbox").stdout.splitlines()[1].endswith("未识别  已阅（李娜）")
    assert run("inbox", "--needs-reading").stdout == "没有待阅读的短信。\n"


def test_inbox_read_marks_it_read(run: Run, inbox: tuple[Message, Message]) -> None:
    _, lost = inbox
    result = run("--operator", "李娜", "inbox", "read", lost.id)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"已标为已读：短信 #{lost.id}（李娜）。\n"
    assert json.loads(run("inbox", "--needs-reading", "--json").stdout) == []


def test_inbox_read_of_a_message_that_does_not_exist(run: Run, inbox: tuple[Message, Message]) -> None:
    line = one_line_error(run("inbox", "read", "999"))
    assert line == "找不到：没有编号为 999 的收到短信；用 `linli inbox` 查看编号。"


def test_inbox_limit_must_be_positive(run: Run, inbox: tuple[Message, Message]) -> None:
    result = run("inbox", "--limit", "0")
    assert result.exit_code == 2 and "--limit" in result.stderr
    assert [row["id"] for row in json.loads(run("inbox", "--limit", "1", "--json").stdout)] == [inbox[1].id]


def test_alerts_json_has_the_whole_text(run: Run, community: Community) -> None:
    long_text = "王秀英（1-1-101）报告发烧38.6°C，已标红。" + "请尽快打电话，" * 30
    alert = raise_alert("fever", long_text, severity="urgent")
    result = run("alerts", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {
            "id": alert.id,
            "at": "2026-11-20T09:00:00+08:00",
            "kind": "fever",
            "severity": "urgent",
            "resident_id": None,
            "task_id": None,
            "text": long_text,
            "acknowledged_at": None,
            "acknowledged_by": None,
        }
    ]
    table = run("alerts").stdout.splitlines()
    assert table[0].split() == ["编号", "时间", "级别", "类型", "内容"]
    assert table[1].split()[:5] == [str(alert.id), "11-20", "09:00", "紧急", "发烧"] and table[1].endswith(long_text)


def test_alerts_ack_and_all(run: Run, community: Community) -> None:
    alert = raise_alert("gateway", "网关出错", severity="warning")
    result = run("--operator", "李娜", "alerts", "ack", alert.id)
    assert result.stdout == f"已确认警报 #{alert.id}（李娜）。\n"
    assert Alert.get_by_id(alert.id).acknowledged_by == "李娜"
    assert run("alerts").stdout == "没有未处理的警报。\n"
    every = json.loads(run("alerts", "--all", "--json").stdout)
    assert [(row["id"], row["acknowledged_by"]) for row in every] == [(alert.id, "李娜")]
    assert "注意 (已确认)" in run("alerts", "--all").stdout


def test_alerts_ack_of_an_alert_that_does_not_exist(run: Run, community: Community) -> None:
    assert one_line_error(run("alerts", "ack", "999")) == "找不到：没有警报 999。"


def test_an_english_community_reads_english(run: Run, database: Path | str) -> None:
    init_community("Riverside", "CN", "Asia/Shanghai", ["en", "zh"], actor="test")
    alert = raise_alert("gateway", "The gateway failed", severity="warning")
    assert run("alerts").stdout.splitlines()[0].split() == ["No.", "Time", "Severity", "Kind", "Text"]
    assert run("alerts", "ack", alert.id).stdout == f"Acknowledged alert #{alert.id} (cli).\n"
    assert one_line_error(run("alerts", "ack", "999")) == "Not found: No alert 999."
    assert run("inbox").stdout == "No messages.\n"
    line = one_line_error(run("inbox", "read", "999"))
    assert line == "Not found: No incoming message 999; see the numbers with `linli inbox`."


def test_status_counts_what_needs_reading(run: Run, inbox: tuple[Message, Message]) -> None:
    assert json.loads(run("status", "--json").stdout)["today"]["needs_reading"] == 1
    assert any(line.split()[1:3] == ["1", "条看不懂的回复还没人看"] for line in run("status").stdout.splitlines())
