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
from kit.errors import ConfigError
from linli.cli.main import main
from linli.district.server import DistrictServer
from tests.cli_run import Run
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
    again = run("district", "add", "幸福里社区")
    assert again.exit_code == 2 and "already has a token" in again.output
    revoked = run("district", "revoke", "幸福里社区")
    assert revoked.exit_code == 0 and "Revoked" in revoked.output
    shown = json.loads(run("district", "list", "--json").output)
    assert shown[0]["name"] == "幸福里社区" and shown[0]["revoked_at"] is not None
    assert run("district", "revoke", "无此社区").exit_code == 2


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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("district", "status", "--date", "next friday"), "should look like"),
        (("district", "trend", "--days", "0"), "1 to 366 days"),
        (("district", "add", "  "), "Give the community a name"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(database: Path, run: Run, args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2 and message in result.output


def test_a_district_command_on_a_missing_database_makes_nothing(tmp_path: Path, run: Run) -> None:
    missing = tmp_path / "nowhere.sqlite3"
    result = run("--db", missing, "district", "status")
    assert result.exit_code == 2 and "linli district add" in result.output
    assert not missing.exists()


def test_report_push_sends_the_day_and_the_district_lists_it(
    neighbourhood: Any, database: Path, run: Run, token: str, server: DistrictServer, tmp_path: Path
) -> None:
    settings = config(tmp_path, url=server.url, token=token)
    pushed = run("--config", settings, "report", "push")
    assert pushed.exit_code == 0, pushed.output
    assert f"Pushed the figures of 2026-11-20 to the district: {GRIDS} grids." in pushed.output
    listed = json.loads(run("district", "status", "--date", "2026-11-20", "--json").output)
    assert listed[0]["reported"] is True and listed[0]["totals"]["residents"] == 30
    assert "pushed" in run("--config", settings, "report", "push", "--list").output


def test_report_push_offline_keeps_the_day(
    neighbourhood: Any, run: Run, token: str, server: DistrictServer, tmp_path: Path
) -> None:
    server.stop()
    settings = config(tmp_path, url=server.url, token=token)
    failed = run("--config", settings, "report", "push", "--date", TODAY.isoformat())
    assert failed.exit_code == 2 and "Cannot reach the district" in failed.output
    assert DistrictPush.get(DistrictPush.day == TODAY).state == "pending"
    waiting = run("--config", settings, "report", "push", "--pending")
    assert waiting.exit_code == 0 and "Nothing is waiting" in waiting.output  # not before district.retry_minutes


@pytest.mark.parametrize(
    ("district", "message"),
    [
        ({}, "set [district] url"),
        ({"url": "https://district.example.org"}, "No district token"),
        ({"url": "http://district.example.org", "token": "t"}, "https://"),
    ],
)
def test_report_push_needs_a_district_reached_over_https(
    community: Any, run: Run, tmp_path: Path, district: dict[str, str], message: str
) -> None:
    result = run("--config", config(tmp_path, **district), "report", "push")
    assert result.exit_code == 2 and message in result.output


def test_the_token_is_a_secret_read_from_the_environment_too(tmp_path: Path) -> None:
    settings = load_settings(config(tmp_path, url="https://d.example.org"), env={"LINLI_DISTRICT_TOKEN": "s3cret"})
    assert settings.district.token == "s3cret"
    values = {name: value for name, value, _ in describe(settings)}
    assert values["district.token"] is None and values["district.url"] == "https://d.example.org"  # never printed


def test_the_district_screen_needs_a_terminal(database: Path, run: Run) -> None:
    result = run("district", "ui")
    assert result.exit_code == 2 and "needs a terminal" in result.output


def test_a_second_server_on_a_taken_port_says_so(server: DistrictServer) -> None:
    with pytest.raises(ConfigError, match="cannot listen"):
        DistrictServer(DistrictSettings(), port=server.port).start()


def test_only_an_admin_adds_or_revokes_a_community_and_the_trail_says_who(database: Path) -> None:
    from kit import db
    from kit.models import AuditEntry
    from kit.operators import add_operator

    add_operator("王芳", "246810", role="admin", actor="test")
    add_operator("anna", "864200", role="viewer", actor="test")
    runner = CliRunner()

    def as_(name: str, pin: str, *args: str) -> Result:
        env = {"LINLI_OPERATOR": name, "LINLI_OPERATOR_PIN": pin}
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    refused = as_("anna", "864200", "district", "add", "和平社区")
    assert refused.exit_code == 2 and "anna is a viewer and may not add or revoke" in refused.stderr
    assert "token" not in refused.stdout.lower()
    assert as_("王芳", "246810", "district", "add", "和平社区").exit_code == 0
    assert as_("anna", "864200", "district", "revoke", "和平社区").exit_code == 2
    assert as_("王芳", "246810", "district", "revoke", "和平社区").exit_code == 0
    db.connect(db.resolve_path())
    trail = [(e.actor, e.action) for e in AuditEntry.select().where(AuditEntry.entity == "district_community")]
    assert trail == [("王芳", "add"), ("王芳", "revoke")]
