"""`linli district ...` and `linli report push` from the command line (on SQLite)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kit.config import DistrictSettings, describe, load_settings
from kit.district import authenticate, parse_push, store_push
from kit.district_models import DistrictPush
from kit.district_outbox import queue_day
from kit.errors import ConfigError, NotAllowed, ValidationError
from kit.models import Community
from kit.residents import parse_date
from linli.cli.main import main
from linli.district.server import DistrictServer
from tests.cli_run import Run, one_line_error
from tests.district.conftest import GRIDS, TODAY


def config(tmp_path: Path, **district: Any) -> Path:
    path = tmp_path / "linli.toml"
    path.write_text("[district]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in district.items()))
    return path


def test_add_prints_the_token_once_and_list_never_shows_it(database: Path, run: Run) -> None:
    added = run("district", "add", "幸福里社区")
    assert added.exit_code == 0, added.output
    token = added.output.strip().splitlines()[-1]
    assert authenticate(token).name == "幸福里社区"
    listed = run("district", "list")
    assert "幸福里社区" in listed.output and token not in listed.output
    assert listed.output.split()[:4] == ["社区", "添加日期", "收回日期", "最近上报"]
    again = run("district", "add", "幸福里社区")
    assert again.exit_code == 2 and "已经存在：“幸福里社区”已经有令牌了。" in again.output
    revoked = run("district", "revoke", "幸福里社区")
    assert revoked.exit_code == 0 and revoked.output == "已收回“幸福里社区”的令牌；从现在起拒收它的上报。\n"
    assert run("district", "revoke", "幸福里社区").output == "“幸福里社区”的令牌早已收回。\n"
    shown = json.loads(run("district", "list", "--json").output)
    assert shown[0]["name"] == "幸福里社区" and shown[0]["revoked_at"] is not None
    unknown = run("district", "revoke", "无此社区")
    assert unknown.exit_code == 2 and "本区没有叫“无此社区”的社区" in unknown.output


def test_a_district_in_english_reads_english(database: Path, run: Run, tmp_path: Path) -> None:
    english = config(tmp_path, language="en")
    added = run("--config", english, "district", "add", "幸福里社区")
    assert added.output.startswith("Added 幸福里社区. Its token, shown only this once;"), added.output
    assert run("--config", english, "district", "list").output.split()[:3] == ["community", "added", "revoked"]
    again = run("--config", english, "district", "add", "幸福里社区")
    assert again.exit_code == 2 and "幸福里社区 already has a token." in again.output
    out = database.parent / "district.xlsx"
    exported = run("--config", english, "district", "export", "-o", out, "--date", "2026-11-20")
    assert exported.output == f"Wrote 2 rows for 2026-11-20 to {out}.\n"
    chinese = run("--config", english, "district", "export", "-o", out, "--date", "2026-11-20", "--lang", "zh")
    assert chinese.output == f"已把 2026-11-20 的 2 行写入 {out}。\n"


def test_status_says_who_has_not_reported_and_since_when(database: Path, run: Run) -> None:
    token = run("district", "add", "幸福里社区").output.strip().splitlines()[-1]
    run("district", "add", "光明社区")
    body = {"date": "2026-11-20", "as_of": "2026-11-20T01:00:00Z", "grids": [{"grid": "1", "asked": 12}]}
    store_push(authenticate(token), parse_push(body, max_age_days=400))
    shown = run("district", "status", "--date", "2026-11-20")
    assert shown.exit_code == 0, shown.output
    assert "社区" in shown.output and "已问" in shown.output and "12" in shown.output
    assert "2026-11-20 未上报（1）：光明社区（最近 从未）" in shown.output
    english = run("district", "status", "--date", "2026-11-20", "--lang", "en").output
    assert "Not reported on 2026-11-20 (1): 光明社区 (last never)" in english
    listed = json.loads(run("district", "status", "--date", "2026-11-20", "--json").output)
    assert [(c["name"], c["reported"]) for c in listed] == [("光明社区", False), ("幸福里社区", True)]
    assert listed[1]["grids"] == [{"grid": "1", "asked": 12}]
    trend = run("district", "trend", "--date", "2026-11-20", "--days", "3")
    assert trend.exit_code == 0 and "▁▁█" in trend.output
    out = database.parent / "district.xlsx"
    exported = run("district", "export", "-o", out, "--date", "2026-11-20")
    assert exported.exit_code == 0 and out.exists()
    assert exported.output == f"已把 2026-11-20 的 4 行写入 {out}。\n"
    assert run("district", "export", "-o", out, "--lang", "en").output.startswith("Wrote 4 rows for 2026-11-20")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("district", "trend", "--days", "0"), "请检查输入：趋势只能看 1 到 366 天，不能是 0 天。"),
        (("district", "add", "  "), "请检查输入：请给社区起个名字，例如：幸福里社区。"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(database: Path, run: Run, args: tuple[str, ...], message: str) -> None:
    assert one_line_error(run(*args)) == message


def test_a_day_that_is_not_a_date_is_one_line_in_the_districts_language(database: Path, run: Run) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_date("next friday", "date", "date")
    line = one_line_error(run("district", "status", "--date", "next friday"))
    assert line.endswith(caught.value.text("zh")) and caught.value.text("zh") != caught.value.text("en")


def test_a_district_time_zone_that_is_none_says_so(database: Path, run: Run, tmp_path: Path) -> None:
    line = one_line_error(run("--config", config(tmp_path, timezone="Mars/Olympus"), "district", "status"))
    assert line == "配置有问题：district.timezone “Mars/Olympus”不是时区，例如 Asia/Shanghai。"


def test_a_district_command_on_a_missing_database_makes_nothing(tmp_path: Path, run: Run) -> None:
    missing = tmp_path / "nowhere.sqlite3"
    result = run("--db", missing, "district", "status")
    expected = f"还没有社区：{missing} 还没有区里的数据库。请先添加一个社区：linli district add 社区名"
    assert one_line_error(result) == expected
    assert not missing.exists()


def test_report_push_sends_the_day_and_the_district_lists_it(
    neighbourhood: Any, database: Path, run: Run, token: str, server: DistrictServer, tmp_path: Path
) -> None:
    settings = config(tmp_path, url=server.url, token=token)
    pushed = run("--config", settings, "report", "push")
    assert pushed.exit_code == 0, pushed.output
    assert pushed.output == f"已把 2026-11-20 的数字上报到区里：{GRIDS} 个网格。\n"
    again = run("--config", settings, "report", "push")
    assert again.output == f"已把 2026-11-20 的数字上报到区里：{GRIDS} 个网格，替换了之前的上报。\n"
    listed = json.loads(run("district", "status", "--date", "2026-11-20", "--json").output)
    assert listed[0]["reported"] is True and listed[0]["totals"]["residents"] == 30
    shown = run("--config", settings, "report", "push", "--list").output.splitlines()
    assert shown[0].split() == ["日期", "状态", "次数", "上报时间（UTC）", "上次的错误"]
    assert shown[1].split()[:3] == ["2026-11-20", "已上报", "2"]


def test_report_push_in_an_english_community_reads_english(
    neighbourhood: Any, run: Run, token: str, server: DistrictServer, tmp_path: Path
) -> None:
    Community.update(languages="en,zh").execute()
    settings = config(tmp_path, url=server.url, token=token)
    assert run("--config", settings, "report", "push", "--list").output == "Nothing pushed yet.\n"
    pushed = run("--config", settings, "report", "push")
    assert pushed.output == f"Pushed the figures of 2026-11-20 to the district: {GRIDS} grids.\n"
    assert run("--config", settings, "report", "push", "--pending").output == "Nothing is waiting to be pushed.\n"
    assert run("--config", settings, "report", "push", "--list").output.split()[:3] == ["date", "state", "tries"]


def test_report_push_offline_keeps_the_day(
    neighbourhood: Any, run: Run, token: str, server: DistrictServer, tmp_path: Path
) -> None:
    server.stop()
    settings = config(tmp_path, url=server.url, token=token)
    failed = one_line_error(run("--config", settings, "report", "push", "--date", TODAY.isoformat()))
    assert failed.startswith(f"连不上区里：连不上区里 {server.url}（")
    assert failed.endswith("）；2026-11-20 的数字已保留，恢复后再上报。")
    assert DistrictPush.get(DistrictPush.day == TODAY).state == "pending"
    waiting = run("--config", settings, "report", "push", "--pending")
    assert waiting.output == "没有等着上报的日子。\n"  # not before district.retry_minutes
    assert run("--config", settings, "report", "push", "--list").output.split()[5:7] == ["2026-11-20", "等待上报"]


def test_report_push_pending_names_each_day_it_pushed(
    neighbourhood: Any, run: Run, token: str, server: DistrictServer, tmp_path: Path
) -> None:
    queue_day(TODAY)
    pushed = run("--config", config(tmp_path, url=server.url, token=token), "report", "push", "--pending")
    assert pushed.output == "已上报 2026-11-20\n"


def test_report_push_says_which_figures_the_district_did_not_store(
    neighbourhood: Any, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    receipt = {"ok": True, "grids": 1, "replaced": False, "ignored": ["masks"], "note": "in English"}
    monkeypatch.setattr("linli.cli.report_push.http_sender", lambda settings: lambda payload: receipt)
    pushed = run("report", "push", "--date", TODAY.isoformat())
    assert pushed.output.splitlines() == [
        "已把 2026-11-20 的数字上报到区里：1 个网格。",
        "区里不认识这些统计项，没有保存：masks",
    ]


@pytest.mark.parametrize(
    ("district", "message"),
    [
        ({}, "配置有问题：还没设置上报到哪个区：请在配置里设置 [district] url（还有 token）。"),
        ({"url": "https://district.example.org"}, "配置有问题：没有区里的令牌：请把区里给的令牌设为 [district] token"),
        ({"url": "http://district.example.org", "token": "t"}, "“http://district.example.org”。"),
    ],
)
def test_report_push_needs_a_district_reached_over_https(
    community: Any, run: Run, tmp_path: Path, district: dict[str, str], message: str
) -> None:
    result = run("--config", config(tmp_path, **district), "report", "push")
    assert message in one_line_error(result)


def test_the_token_is_a_secret_read_from_the_environment_too(tmp_path: Path) -> None:
    settings = load_settings(config(tmp_path, url="https://d.example.org"), env={"LINLI_DISTRICT_TOKEN": "s3cret"})
    assert settings.district.token == "s3cret"
    values = {name: value for name, value, _ in describe(settings)}
    assert values["district.token"] is None and values["district.url"] == "https://d.example.org"  # never printed


def test_the_district_screen_needs_a_terminal(database: Path, run: Run) -> None:
    result = run("district", "ui")
    assert result.exit_code == 2 and "linli district ui 需要终端；" in result.output


def test_a_second_server_on_a_taken_port_says_so(server: DistrictServer) -> None:
    with pytest.raises(ConfigError, match="cannot listen"):
        DistrictServer(DistrictSettings(), port=server.port).start()


def test_only_an_admin_adds_or_revokes_a_community_and_the_trail_says_who(database: Path) -> None:
    from kit import db
    from kit.models import AuditEntry, Operator
    from kit.operators import add_operator
    from kit.permissions import MANAGE_DISTRICT, require

    add_operator("王芳", "246810", role="admin", actor="test")
    add_operator("anna", "864200", role="viewer", actor="test")
    runner = CliRunner()

    def as_(name: str, pin: str, *args: str) -> Result:
        env = {"LINLI_OPERATOR": name, "LINLI_OPERATOR_PIN": pin}
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    refused = as_("anna", "864200", "district", "add", "和平社区")
    with pytest.raises(NotAllowed) as caught:
        require(Operator.get(Operator.name == "anna"), MANAGE_DISTRICT)
    assert refused.exit_code == 2 and caught.value.text("zh") in refused.stderr
    assert "token" not in refused.stdout.lower()
    assert as_("王芳", "246810", "district", "add", "和平社区").exit_code == 0
    assert as_("anna", "864200", "district", "revoke", "和平社区").exit_code == 2
    assert as_("王芳", "246810", "district", "revoke", "和平社区").exit_code == 0
    db.connect(db.resolve_path())
    trail = [(e.actor, e.action) for e in AuditEntry.select().where(AuditEntry.entity == "district_community")]
    assert trail == [("王芳", "add"), ("王芳", "revoke")]
