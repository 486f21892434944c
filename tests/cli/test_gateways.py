"""`linli gateways` (the list, --json) and `linli gateways test`, with simulator gateways; the registry's errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kit.config import load_settings
from kit.errors import ConfigError
from kit.models import Community, GatewayHealth, Message
from linli.gateways import Pollers, build_gateways, provider_routes
from sms.simulator import SimulatorGateway
from tests.cli_run import Run, one_line_error

TWO = """
[dispatch]
rate_per_second = 0.0

[gateway]
sms = ["sim1", "sim2"]

[gateways.sim1]
kind = "simulator"
rate_per_minute = 30
daily_cap = 200

[gateways.sim2]
kind = "simulator"
rate_per_minute = 0
"""


@pytest.fixture
def two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "linli.toml"
    path.write_text(TWO, encoding="utf-8")
    monkeypatch.setenv("LINLI_CONFIG", str(path))
    return path


def test_gateways_lists_each_with_kind_health_counts_and_last_error(community: Community, two: Path, run: Run) -> None:
    GatewayHealth.create(name="sms:sim2", consecutive_failures=3, last_error="refused \x1b[31m[red]boom[/red]")
    result = run("gateways")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["名称", "种类", "渠道", "状态", "速度", "已发/失败/上限", "最近的错误"]
    assert lines[1].split()[:6] == ["sim1", "simulator", "短信", "正常", "30条/分钟", "0/0/200"]
    assert "已停用" in lines[2] and "0/0/-" in lines[2]
    assert "\x1b" not in result.output and "[red]boom[/red]" in result.output  # plain text, never markup
    assert lines[3].split()[:3] == ["simulator", "simulator", "语音"]


def test_an_english_community_reads_the_gateways_in_english(community: Community, two: Path, run: Run) -> None:
    Community.update(languages="en").execute()
    GatewayHealth.create(name="sms:sim2", consecutive_failures=3, last_error="refused")
    lines = run("gateways").output.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "CHANNEL", "HEALTH", "PACE", "SENT/FAILED/CAP", "LAST", "ERROR"]
    assert lines[1].split()[:6] == ["sim1", "simulator", "SMS", "ok", "30/min", "0/0/200"]
    assert "out of the pool" in lines[2]
    result = run("gateways", "test", "sim2", "--to", "13800138000", "--timeout", "5")
    assert result.output.strip() == "Test message #1 through sim2 to +86 138 0013 8000: delivered."
    assert "No gateway named nope; configured: sim1, sim2" in one_line_error(
        run("gateways", "test", "nope", "--to", "13800138000")
    )


def test_gateways_json(community: Community, two: Path, run: Run) -> None:
    result = run("gateways", "--json")
    rows = json.loads(result.output)
    assert [(r["name"], r["channel"], r["daily_cap"], r["healthy"]) for r in rows] == [
        ("sim1", "sms", 200, True),
        ("sim2", "sms", 0, True),
        ("simulator", "voice", 0, True),
    ]


def test_gateways_test_sends_through_that_gateway_only_and_reports_delivery(
    community: Community, two: Path, run: Run
) -> None:
    result = run("gateways", "test", "sim2", "--to", "13800138000", "--timeout", "5")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "测试短信 #1（经 sim2 发给 +86 138 0013 8000）：已送达。"
    (row,) = Message.select()
    assert (row.gateway, row.status, row.kind) == ("sim2", "delivered", "gateway_test")
    assert run("dispatch", "--once").exit_code == 0
    assert Message.select().count() == 1  # the pool never sends it again


def test_gateways_test_of_a_failing_gateway_says_why(
    community: Community, two: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kit.gateway import GatewayError

    def refuse(self: SimulatorGateway, message: Any) -> Any:
        raise GatewayError("invalid number", permanent=True)

    monkeypatch.setattr(SimulatorGateway, "send", refuse)
    line = one_line_error(run("gateways", "test", "sim1", "--to", "13800138000", "--timeout", "0"))
    assert line == "测试短信没有送达：测试短信 #1（经 sim1 发给 +86 138 0013 8000）：失败（invalid number）。"


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        (("gateways", "test", "nope", "--to", "13800138000"), "没有叫 nope 的网关；已配置的有：sim1, sim2"),
        (("gateways", "test", "sim1", "--to", "12"), "12"),
    ],
)
def test_gateways_test_refuses_what_it_cannot_send(
    community: Community, two: Path, run: Run, args: tuple[str, ...], wanted: str
) -> None:
    assert wanted in one_line_error(run(*args))
    assert Message.select().count() == 0


def test_an_unknown_kind_is_one_line_before_anything_is_sent(
    community: Community, tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "linli.toml"
    path.write_text('[gateway]\nsms = "x"\n[gateways.x]\nkind = "pigeon"\n', encoding="utf-8")
    monkeypatch.setenv("LINLI_CONFIG", str(path))
    line = one_line_error(run("gateways"))
    assert "gateways.x.kind = 'pigeon' 不是网关的种类，请从这些里选一个：simulator, twilio, kannel" in line
    with pytest.raises(ConfigError, match="pigeon"):
        build_gateways(load_settings(path, env={}))


def test_linli_config_prints_gateway_tables_and_hides_their_secrets(
    community: Community, tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "linli.toml"
    path.write_text(TWO + 'password = "k7Qw9zL2pX"\n', encoding="utf-8")
    monkeypatch.setenv("LINLI_CONFIG", str(path))
    result = run("config")
    assert result.exit_code == 0, result.output
    assert 'sms = ["sim1", "sim2"]' in result.output
    assert "sim1.daily_cap = 200" in result.output
    assert "k7Qw9zL2pX" not in result.output and '# sim2.password = ""  # ' in result.output  # set, not shown


def test_built_gateways_keep_their_configured_names_and_the_old_shape(two: Path) -> None:
    gateways = build_gateways(load_settings(two, env={}))
    assert gateways["sms"].name == "sim1"
    assert [m.gateway.name for m in gateways.members["sms"]] == ["sim1", "sim2"]
    assert provider_routes(gateways) == []  # the simulator has no routes to mount


def test_pollers_ask_the_gateways_that_must_be_asked(community: Community, two: Path) -> None:
    gateways = build_gateways(load_settings(two, env={}))
    asked: list[str] = []

    def poll(receive: Any) -> int:
        receive("sim1", "m-1", "+8613800138000", "1")
        asked.append("sim1")
        return 1

    gateways.members["sms"][0].gateway.poll = poll  # type: ignore[attr-defined]
    woken: list[bool] = []
    pollers = Pollers(gateways, lambda: woken.append(True), lambda doing, error: None)
    pollers.tick(1.0)
    pollers.tick(1.0)
    assert asked == ["sim1"] and woken == [True]  # at once, then every poll_seconds (10)
    assert Message.get().gateway == "sim1"


def test_a_poll_that_fails_says_which_gateway(community: Community, two: Path) -> None:
    gateways = build_gateways(load_settings(two, env={}))

    def poll(receive: Any) -> int:
        raise OSError("modem unplugged")

    gateways.members["sms"][0].gateway.poll = poll  # type: ignore[attr-defined]
    failures: list[tuple[str, str, dict[str, Any]]] = []
    pollers = Pollers(
        gateways, lambda: None, lambda doing, error, **values: failures.append((doing, str(error), values))
    )
    pollers.tick(1.0)
    assert failures == [("polling_gateway", "modem unplugged", {"name": "sim1"})]


def test_a_provider_module_is_imported_for_its_kind_and_its_routes_mounted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys
    import types

    from linli import gateways as registry
    from sms.webhooks import CONTEXT

    module = types.ModuleType("provider_for_tests")
    mounted: list[tuple[Any, Any, Any]] = []

    def build(name: str, options: dict[str, Any], settings: Any) -> SimulatorGateway:
        assert options["kind"] == "echo" and options["colour"] == "blue"
        return SimulatorGateway("sms")

    module.build = build  # type: ignore[attr-defined]
    module.mount = lambda app, gateway, context: mounted.append((app, gateway, context))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "provider_for_tests", module)
    monkeypatch.setitem(registry.KINDS, "echo", "provider_for_tests")
    path = tmp_path / "linli.toml"
    path.write_text('[gateway]\nsms = ["e1"]\n[gateways.e1]\nkind = "echo"\ncolour = "blue"\n', encoding="utf-8")
    gateways = build_gateways(load_settings(path, env={}))
    assert gateways["sms"].name == "e1" and gateways.modules == {"e1": module}
    app = {CONTEXT: "the context"}
    (adder,) = provider_routes(gateways)
    adder(app)
    assert mounted == [(app, gateways["sms"], "the context")]


def test_gateways_test_without_a_delivery_report_in_time_says_so(
    community: Community, two: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kit.gateway import SendResult

    monkeypatch.setattr(SimulatorGateway, "send", lambda self, message: SendResult("SIM-1", status="queued"))
    result = run("gateways", "test", "sim1", "--to", "13800138000", "--timeout", "0")
    assert result.exit_code == 1
    assert result.output.strip() == "测试短信 #1（经 sim1 发给 +86 138 0013 8000）：已发出，0 秒内没有收到送达回执。"


@pytest.mark.parametrize(
    ("kinds", "table", "wanted"),
    [
        ({"echo": "no_such_module_for_tests"}, 'kind = "echo"', "gateways.e1: the echo gateway cannot be loaded"),
        ({"echo": "provider_for_tests"}, 'kind = "echo"', "gateways.e1 (echo) cannot carry voice"),
    ],
)
def test_a_gateway_that_cannot_be_built_is_one_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kinds: dict[str, str], table: str, wanted: str
) -> None:
    import sys
    import types

    from linli import gateways as registry

    module = types.ModuleType("provider_for_tests")
    module.build = lambda name, options, settings: SimulatorGateway("sms")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "provider_for_tests", module)
    for kind, path in kinds.items():
        monkeypatch.setitem(registry.KINDS, kind, path)
    config = tmp_path / "linli.toml"
    config.write_text(f"[gateways.e1]\n{table}\n", encoding="utf-8")
    settings = load_settings(config, env={})
    settings.gateway.voice = ["e1"]
    with pytest.raises(ConfigError, match=wanted.replace("(", r"\(").replace(")", r"\)")):
        build_gateways(settings)
