"""`linli purge`, `linli residents moved-out` and the retention line of `linli status`, through click's runner."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kit.clock import utcnow
from kit.models import Community, Report, Resident
from kit.residents import ResidentInput, add_resident
from linli.cli.main import main


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def wang(community: Community) -> Resident:
    resident = add_resident(ResidentInput(name="王秀英", phone="13800138000"))
    Report.create(resident=resident, at=utcnow() - timedelta(days=120), kind="unwell", text="发烧")
    return resident


def test_purge_dry_run_then_purge(wang: Resident) -> None:
    dry = run("purge", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output == (
        "将清除 1 份健康报告、0 条短信（0 条状态记录）、0 条志愿者报名、0 条操作记录；将匿名处理迁出的 0 位居民。\n"
    )
    assert Report.select().count() == 1

    done = run("purge", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["reports"] == 1
    assert Report.select().count() == 0


def test_moved_out_then_anonymised_by_purge(wang: Resident) -> None:
    moved = run("residents", "moved-out", str(wang.id), "--date", "2026-10-01")
    assert moved.exit_code == 0, moved.output
    assert moved.output == f"居民 #{wang.id} 已于 2026-10-01 迁出；30 天后，linli purge 或定时任务会删除其个人信息。\n"
    assert "将匿名处理迁出的 1 位居民" in run("purge", "--dry-run").output
    run("purge")
    assert Resident.get_by_id(wang.id).name == f"已迁出 #{wang.id}"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["residents", "moved-out", "999"], "找不到："),
        (["residents", "moved-out", "1", "--date", "2026-13-01"], "请检查输入："),
    ],
)
def test_moved_out_bad_input_is_one_line(wang: Resident, args: list[str], line: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    [error] = result.stderr.strip().splitlines()
    assert error.startswith(line)


def test_a_negative_retention_setting_is_one_line(wang: Resident, tmp_path: Path) -> None:
    config = tmp_path / "linli.toml"
    config.write_text("[retention]\nmessages_days = -5\n")
    result = run("--config", str(config), "purge")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "配置有问题：retention.messages_days 应为 0（永久保留）或天数，不能小于 0。"
    ]
    assert Report.select().count() == 1


def test_an_english_community_reads_purge_and_moved_out_in_english(wang: Resident, tmp_path: Path) -> None:
    Community.update(languages="en,zh").execute()
    moved = run("residents", "moved-out", str(wang.id), "--date", "2026-10-01")
    assert moved.output == (
        f"Resident #{wang.id} moved out on 2026-10-01; their details are removed 30 days later, by linli purge or "
        "the scheduler.\n"
    )
    assert run("purge", "--dry-run").output == (
        "Would purge 1 health report, 0 messages (0 status events), 0 volunteer sign-ups, 0 audit entries; would "
        "anonymise 1 resident who moved out.\n"
    )
    undone = run("residents", "moved-out", str(wang.id), "--undo")
    assert undone.output == f"Resident #{wang.id} is no longer marked as moved out.\n"
    config = tmp_path / "linli.toml"
    config.write_text("[retention]\nanonymise_after_days = 0\n")
    kept = run("--config", str(config), "residents", "moved-out", str(wang.id), "--date", "2026-10-01")
    assert kept.output == (
        f"Resident #{wang.id} moved out on 2026-10-01; their details are kept, as "
        "retention.anonymise_after_days is 0.\n"
    )


def test_status_shows_the_retention_in_force(wang: Resident, tmp_path: Path) -> None:
    config = tmp_path / "linli.toml"
    config.write_text("[retention]\nmessages_days = 30\naudit_days = 0\n")
    run("residents", "moved-out", str(wang.id))
    result = run("--config", str(config), "status")
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("保存期限")]
    assert (
        line.split(None, 1)[1] == "健康报告 90 天，短信 30 天，操作记录 一直保存；搬走的居民：30 天后匿名（1 人待处理）"
    )
    as_json = json.loads(run("--config", str(config), "status", "--json").output)
    assert as_json["retention"]["messages_days"] == 30
