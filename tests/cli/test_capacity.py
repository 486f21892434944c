"""`linli capacity`: the plan per channel in the community's language, as JSON, and a past date refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kit.models import Community
from kit.residents import ResidentInput, add_resident
from linli.cli.main import main
from tests.cli_run import one_line_error

CONFIG = """
[gateway]
sms = ["phone1"]

[gateways.phone1]
kind = "simulator"
rate_per_minute = 0.01
"""


@pytest.fixture
def config(community: Community, tmp_path: Path) -> str:
    """Three residents to ask and one slow gateway: one prompt every 100 minutes."""
    for n in range(1, 4):
        add_resident(ResidentInput(name=f"居民{n}", phone=f"+861380000000{n}", grid="东区", room=str(n)))
    path = tmp_path / "linli.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return str(path)


def run(config: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", config, "capacity", *args])


def test_a_late_round_is_marked_and_the_fixes_are_listed(config: str) -> None:
    result = run(config)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "! 短信：今日需 4 条，签到要到 14:00 才发完，晚于提醒（12:00）",
        "  网关 1 个可用，每小时 1 条，今天还能发 7 条",
        "  再加一台像 phone1 的网关（每分钟 0.01 条，每日上限 不限）：11:30 发完（现在：14:00）",
        '  07:00 开始签到，12:00 前发完（checkin.time = "07:00"，checkin.reminder_after_hours = 5，提醒仍在 12:00）',
        "  电话：今日没有待发的",
        "  网关 1 个可用，每小时 60 条，今天还能发 720 条",
    ]
    english = run(config, "--lang", "en").stdout.splitlines()
    assert english[0] == "! SMS: 4 today, the round is out only by 14:00, after the reminder at 12:00"


def test_json_gives_the_figures(config: str) -> None:
    result = run(config, "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    sms = plan["channels"]["sms"]
    assert (plan["date"], plan["in_time"]) == ("2026-11-20", False)
    assert (sms["needed"], sms["work"]["prompts"], sms["round_out_at"]) == (4, 3, "2026-11-20 14:00")
    assert [advice["kind"] for advice in sms["advice"]] == ["second_gateway", "start_at"]
    assert sms["gateways"] == [
        {"name": "phone1", "rate_per_minute": 0.01, "daily_cap": 0, "sent_today": 0, "healthy": True}
    ]


def test_a_past_date_or_a_bad_one_is_one_line(config: str) -> None:
    assert "2026-11-19 已经过去了：请计划今天或以后的日子。" in one_line_error(run(config, "--date", "2026-11-19"))
    assert one_line_error(run(config, "--date", "someday"))
    Community.update(languages="en").execute()
    assert "2026-11-19 is past: plan today or a later day." in one_line_error(run(config, "--date", "2026-11-19"))


def test_the_notice_preview_says_when_the_last_recipient_gets_it(config: str) -> None:
    result = CliRunner().invoke(main, ["--config", config, "notice", "send", "--body", "明天九点发口罩。"])
    assert result.exit_code == 0, result.output
    last = [line.split(maxsplit=1)[1] for line in result.stdout.splitlines() if line.startswith("最后送达")]
    assert last == ["最后一位收到的时间：约 14:00（排在已在队列中的 0 条之后）"]
    as_json = CliRunner().invoke(main, ["--config", config, "notice", "send", "--body", "明天九点发口罩。", "--json"])
    assert json.loads(as_json.stdout)["preview"]["last_out_at"] == "2026-11-20T06:00:00"  # UTC, as stored
