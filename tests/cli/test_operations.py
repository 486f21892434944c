"""The operations CLI end to end: notice send/list/show, run-due, dispatch --once, checkin start, parse, the
reports/messages/tasks exports, and the gateways picked from the configuration."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from ivr.simulator import SimulatorVoiceGateway
from kit import outbox
from kit.config import GatewaySettings, Settings
from kit.errors import ConfigError
from kit.models import CheckinRound, Community, Message, Notice, Report
from kit.notices import delivery_counts
from kit.residents import ResidentInput, add_resident
from linli.cli.main import main
from linli.cli.notices import notice_group
from linli.cli.operations import checkin_group, dispatch_command, parse_command, run_due_command
from linli.cli.records import export_messages, export_reports, export_tasks
from linli.gateways import build_gateways
from sms.simulator import SimulatorGateway
from tests.cli.test_help import command_paths, example_problem
from tests.cli_run import Run, one_line_error

COMMANDS: dict[str, click.Command] = {
    "notice": notice_group,
    "run-due": run_due_command,
    "dispatch": dispatch_command,
    "checkin": checkin_group,
    "parse": parse_command,
}
EXPORTS: dict[str, click.Command] = {"reports": export_reports, "messages": export_messages, "tasks": export_tasks}
BODY = "Masks at the north gate tomorrow 9:00-11:00. Bring your ID card."


@pytest.fixture
def neighbours(community: Community) -> dict[str, int]:
    people = [
        ResidentInput(name="王秀英", phone="13800138000", grid="第1网格", tags="独居老人"),
        ResidentInput(name="李建国", phone="13700137000", grid="第2网格"),
        ResidentInput(name="Tom Smith", phone="13600136000", grid="第1网格", language="en"),
        ResidentInput(name="刘大爷", phone="13500135000", grid="第2网格", tags="不识字"),
        ResidentInput(name="张桂兰", grid="第1网格"),
    ]
    return {person.name: add_resident(person, actor="test").id for person in people}


@pytest.fixture
def unpaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configuration that sends as fast as it can (no pacing sleeps in tests)."""
    path = tmp_path / "linli.toml"
    path.write_text("[dispatch]\nrate_per_second = 0.0\n", encoding="utf-8")
    monkeypatch.setenv("LINLI_CONFIG", str(path))
    return path


# --- help -------------------------------------------------------------------------------------------------------


def test_every_new_command_has_help_with_an_example_of_itself(run: Run) -> None:
    paths = [
        path for path in command_paths(main) if path[0] in COMMANDS or path[:2] in {("export", n) for n in EXPORTS}
    ]
    assert len(paths) == 12
    for path in paths:
        result = run(*path, "--help")
        assert result.exit_code == 0, result.output
        assert example_problem(result.output, path) is None, (path, result.output)


# --- parse ------------------------------------------------------------------------------------------------------


def test_parse_one_reply_as_json(run: Run) -> None:
    result = run("parse", "发烧38度5", "--lang", "zh", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "intent": "unwell",
        "temperature_c": 38.5,
        "symptoms": ["fever"],
        "text": "",
        "task_number": None,
    }


def test_parse_reads_one_reply_per_line_from_stdin(run: Run) -> None:
    result = run("parse", "-", "--lang", "zh", "--json", input="1\n求助 买药\r\n\n完成12\n")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [json.loads(line)["intent"] for line in lines] == ["well", "help", "unknown", "done"]
    assert json.loads(lines[1])["text"] == "买药" and json.loads(lines[3])["task_number"] == 12
    assert "买药" in lines[1]  # Chinese stays readable, not \u escapes


def test_parse_without_json_prints_one_human_line_per_reply(run: Run) -> None:
    result = run("parse", "-", "--lang", "en", input="fever 38.2 and cough\nhelp buy medicine\n")
    assert result.stdout.splitlines() == ["unwell: 38.2 °C; fever, cough", "help: needs: buy medicine"]


def test_parse_describes_a_reply_in_the_language_given(run: Run) -> None:
    result = run("parse", "发烧38度5 咳嗽 求助 买药", "--lang", "zh")
    assert result.stdout.splitlines() == ["求助：38.5 °C；发烧、咳嗽；需要：买药"]


def test_parse_in_a_language_without_keywords_is_one_line(run: Run) -> None:
    line = one_line_error(run("parse", "ok", "--lang", "xx"))
    assert line == "Please check the input: No keyword table for 'xx'; use one of: en, zh."


# --- notices ----------------------------------------------------------------------------------------------------


PREVIEWS = {
    "zh,en": [
        "收件人    4 人：短信 3 人，语音电话 1 人（不识字）",
        "未覆盖    1 人没有电话，0 人已退订",
        "条数      每人 1 条，共 3 条",
        "费用      短信 ¥0.15（3 x 0.05） + 语音约 1 分钟 ¥0.10 = ¥0.25",
        "什么都没有发。要发送，请在同一条命令后加上 --yes 再运行。",
    ],
    "en,zh": [
        "Recipients  4 people: 3 by SMS, 1 by voice call (cannot read)",
        "Left out    1 without a phone, 0 opted out",
        "Segments    1 per message, 3 in all",
        "Cost        CN¥0.15 for SMS (3 x 0.05) + CN¥0.10 for about 1 call minutes = CN¥0.25",
        "Nothing was sent. To send it, run the same command with --yes.",
    ],
}


@pytest.mark.parametrize("languages", PREVIEWS)
def test_notice_send_without_yes_previews_in_the_communitys_language_and_sends_nothing(
    run: Run, neighbours: dict[str, int], languages: str
) -> None:
    Community.update(languages=languages).execute()
    result = run("notice", "send", "--body", BODY)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    *parts, last = PREVIEWS[languages]
    assert all(part in lines for part in parts), result.stdout
    assert lines[-1] == last
    assert Notice.select().count() == 0 and Message.select().count() == 0


def test_notice_send_shows_what_smart_quotes_cost(run: Run, neighbours: dict[str, int]) -> None:
    short = run("notice", "send", "--body", "The “clinic” opens at 9.", "--grid", "第1网格")
    assert "编码      UCS-2（因为有 “ ”）" in short.stdout
    assert "注意" not in short.stdout  # one segment either way: nothing to save
    long = run("notice", "send", "--body", "The “clinic” opens at 9. " * 3, "--grid", "第1网格")
    assert "条数      每人 2 条，共 4 条" in long.stdout
    assert (
        '注意：弯引号“”让短信改用 UCS-2 编码：要分 2 条，本来只要 1 条。把 “ -> "，” -> " 替换掉，就能保持 GSM-7。'
        in long.stdout.splitlines()
    )
    Community.update(languages="en").execute()
    english = run("notice", "send", "--body", "The “clinic” opens at 9. " * 3, "--grid", "第1网格")
    assert (
        'Warning: “smart quotes” force UCS-2: 2 segments instead of 1. Replace “ -> ", ” -> " to stay in GSM-7.'
        in english.stdout.splitlines()
    )
    as_json = json.loads(run("notice", "send", "--body", "The “clinic” opens at 9. " * 3, "--json").stdout)
    assert as_json["preview"]["warnings"][0].startswith("“smart quotes” force UCS-2")


def test_notice_send_with_yes_queues_once_and_refuses_the_second_time(run: Run, neighbours: dict[str, int]) -> None:
    sent = run("notice", "send", "--body", BODY, "--grid", "第1网格", "--grid", "第2网格", "--yes")
    assert sent.exit_code == 0, sent.output
    notice = Notice.get()
    assert sent.stdout.splitlines()[-1] == (
        f"第 {notice.id} 号通知已排队，发给 4 人。发送程序会把它发出去；查看进度：linli notice show {notice.id}"
    )
    assert delivery_counts(notice.id) == {"queued": 4}

    again = run("notice", "send", "--body", BODY, "--grid", "第2网格", "--grid", "第1网格", "--yes")
    assert one_line_error(again) == f"通知已发过：这条通知已在 2026-11-20 发给 4 人（第 {notice.id} 号通知）。"
    assert Message.select().count() == 4 and Notice.select().count() == 1
    Community.update(languages="en").execute()
    assert one_line_error(run("notice", "send", "--body", BODY, "--grid", "第1网格", "--grid", "第2网格", "--yes")) == (
        f"Notice already sent: This notice was already sent on 2026-11-20 to 4 people (notice #{notice.id})."
    )
    english = run("notice", "send", "--body", BODY, "--grid", "第1网格", "--yes")
    assert english.stdout.splitlines()[-1] == (
        f"Queued notice #{notice.id + 1} for 2 people. "
        f"The dispatcher sends it; follow it with: linli notice show {notice.id + 1}"
    )


def test_notice_send_json_and_filters(run: Run, neighbours: dict[str, int]) -> None:
    result = run("notice", "send", "--body", "口罩明天发放。", "--tag", "独居老人", "--json")
    data = json.loads(result.stdout)
    assert (data["sent"], data["notice"]) == (False, None)
    preview = data["preview"]
    assert (preview["recipients"], preview["encoding"], preview["total_segments"]) == (1, "UCS-2", 1)
    assert preview["audience"] == {"tags": ["elderly-alone"]}


def test_notice_list_and_show(run: Run, neighbours: dict[str, int], unpaced: Path) -> None:
    run("notice", "send", "--body", BODY, "--status", "green", "--yes")
    notice = Notice.get()
    assert run("dispatch", "--once").exit_code == 0
    listed = run("notice", "list").stdout.splitlines()
    assert listed[0].split() == ["编号", "日期", "渠道", "发给谁", "人数", "费用", "内容"]
    assert listed[1].split()[:3] == [str(notice.id), "2026-11-20", "短信"]
    assert {"4", "0.25"} <= set(listed[1].split())
    shown = run("notice", "show", notice.id).stdout
    assert "短信    已送达 3" in shown and "语音    已发出 1" in shown
    assert (
        one_line_error(run("notice", "show", 99))
        == "找不到：没有第 99 号通知。`linli notice list` 可以查看已发的通知。"
    )
    Community.update(languages="en").execute()
    listed = run("notice", "list").stdout.splitlines()
    assert listed[0].split() == ["ID", "DATE", "CHANNEL", "AUDIENCE", "PEOPLE", "COST", "TEXT"]
    assert listed[1].split()[:3] == [str(notice.id), "2026-11-20", "SMS"]
    shown = run("notice", "show", notice.id).stdout
    assert "SMS         delivered 3" in shown and "Voice       sent 1" in shown
    assert one_line_error(run("notice", "show", 99)) == (
        "Not found: No notice #99. `linli notice list` shows the notices sent."
    )


def test_notice_list_without_notices_says_so(run: Run, community: Community) -> None:
    assert run("notice", "list").stdout == "还没有发过通知。\n"


# --- dispatch, run-due, checkin ---------------------------------------------------------------------------------


def test_dispatch_once_sends_what_is_queued_through_the_simulators(
    run: Run, neighbours: dict[str, int], unpaced: Path
) -> None:
    run("notice", "send", "--body", BODY, "--yes")
    outbox.opt_out("+8613700137000")  # said STOP after the notice was queued: this pass skips it, and says so
    result = run("dispatch", "--once")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "发送结果：已发 3，重试 0，失败 0，未发 1（已退订 1），过期 0。",
        "还在排队：0。",
    ]
    statuses = {(m.peer, m.channel): (m.status, m.gateway) for m in Message.select()}
    assert statuses == {
        ("+8613800138000", "sms"): ("delivered", "simulator"),
        ("+8613600136000", "sms"): ("delivered", "simulator"),
        ("+8613700137000", "sms"): ("skipped", ""),
        ("+8613500135000", "voice"): ("sent", "simulator"),
    }
    assert run("dispatch", "--once").stdout.splitlines()[0] == "发送结果：已发 0，重试 0，失败 0，未发 0，过期 0。"
    Community.update(languages="en").execute()
    assert run("dispatch", "--once").stdout.splitlines() == [
        "Dispatched: sent 0, retried 0, failed 0, skipped 0, expired 0.",
        "Still queued: 0.",
    ]


def test_the_dispatch_line_says_why_each_skipped_row_was_skipped() -> None:
    from kit.dispatcher import DispatchReport
    from kit.spending import REPLY_LIMIT
    from linli.cli.operations import _dispatch_line

    report = DispatchReport(sent=2)
    report.skip("opted out", 1)
    later = DispatchReport()
    later.skip(REPLY_LIMIT, 3)
    later.skip("opted out", 1)
    report.add(later)
    assert _dispatch_line(report) == (
        "sent 2, retried 0, failed 0, skipped 5 (2 opted out, 3 reply limit for today), expired 0"
    )


def test_dispatch_with_an_unknown_gateway_is_one_line(run: Run, neighbours: dict[str, int], tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[gateway]\nsms = "kannel"\n', encoding="utf-8")
    line = one_line_error(run("--config", config, "dispatch", "--once"))
    assert line == (
        "Configuration problem: Unknown sms gateway 'kannel' in gateway.sms; choose one of: simulator, twilio."
    )


def test_run_due_at_starts_the_round_once(run: Run, neighbours: dict[str, int]) -> None:
    early = run("run-due", "--at", "2026-11-20T08:59")
    assert early.stdout.splitlines()[:3] == [
        "2026-11-20T08:59:00+08:00：",
        "  2026-11-20 的报平安在 09:00 开始",
        "  逐级跟进：暂时没有要做的",
    ]
    first = run("run-due", "--at", "2026-11-20T09:00")
    round_ = CheckinRound.get()
    assert first.stdout.splitlines()[1] == f"  已开始 2026-11-20 的报平安（第 {round_.id} 轮，all）：已问 5 人"
    second = run("run-due", "--at", "2026-11-20T01:00:00Z")
    assert second.stdout.splitlines()[1] == "  2026-11-20 的报平安已经做过了"
    assert CheckinRound.select().count() == 1
    assert Message.select().where(Message.kind == "checkin").count() == 4
    assert one_line_error(run("run-due", "--at", "tomorrow")).startswith("请检查输入：“tomorrow”不是时间")
    Community.update(languages="en").execute()
    again = run("run-due", "--at", "2026-11-20T09:30")
    assert again.stdout.splitlines()[:2] == [
        "At 2026-11-20T09:30:00+08:00:",
        "  the check-in round for 2026-11-20 already ran",
    ]
    assert one_line_error(run("run-due", "--at", "tomorrow")).startswith("Please check the input: 'tomorrow' is not")


def test_checkin_start_for_one_grid(run: Run, neighbours: dict[str, int]) -> None:
    result = run("checkin", "start", "--audience", "grid:第1网格", "--date", "2026-11-20")
    round_ = CheckinRound.get()
    assert result.stdout.splitlines() == [
        f"第 {round_.id} 轮报平安（2026-11-20，grid:第1网格）：已问 3 位居民。`linli dispatch --once` 会把短信发出去。"
    ]
    assert Message.select().where(Message.kind == "checkin").count() == 2
    assert one_line_error(run("checkin", "start", "--audience", "street:x")).startswith("请检查输入：")
    Community.update(languages="en").execute()
    english = run("checkin", "start", "--audience", "grid:第2网格", "--date", "2026-11-20")
    assert english.stdout.splitlines() == [
        f"Check-in round #{round_.id + 1} for 2026-11-20 (grid:第2网格): 2 residents asked. "
        "`linli dispatch --once` sends the messages."
    ]


# --- exports ----------------------------------------------------------------------------------------------------


def test_export_messages_joins_the_residents_names(run: Run, neighbours: dict[str, int], tmp_path: Path) -> None:
    run("notice", "send", "--body", BODY, "--grid", "第1网格", "--yes")
    result = run("export", "messages", "--format", "json", "--date", "2026-11-20", "--direction", "out")
    rows = json.loads(result.stdout)
    assert [(row["resident"], row["peer"], row["kind"], row["status"]) for row in rows] == [
        ("王秀英", "+8613800138000", "notice", "queued"),
        ("Tom Smith", "+8613600136000", "notice", "queued"),
    ]
    assert rows[0]["created_at"] == "2026-11-20T09:00:00+08:00"
    assert json.loads(run("export", "messages", "--format", "json", "--date", "2026-11-21").stdout) == []
    target = tmp_path / "out.csv"
    written = run("export", "messages", "--format", "csv", "--lang", "en", "-o", target)
    assert written.stderr == f"Exported 2 messages to {target}.\n"
    assert target.read_text(encoding="utf-8-sig").splitlines()[0].startswith("id,created_at,direction,channel,kind")


def test_export_tasks_and_reports_after_a_round(run: Run, neighbours: dict[str, int]) -> None:
    run("checkin", "start")  # 张桂兰 has no phone: a door-knock task
    tasks = json.loads(run("export", "tasks", "--format", "json").stdout)
    assert [(t["kind"], t["resident"], t["grid"], t["state"]) for t in tasks] == [
        ("door_knock", "张桂兰", "第1网格", tasks[0]["state"])
    ]
    assert json.loads(run("export", "tasks", "--format", "json", "--state", "done").stdout) == []
    assert run("export", "reports", "--format", "csv", "--lang", "en").stdout.splitlines() == [
        "id,at,resident_id,resident,phone,grid,address,channel,kind,temperature_c,symptoms,text,round_id"
    ]
    wang = neighbours["王秀英"]
    Report.create(resident=wang, kind="unwell", temperature_c=38.5, symptoms="fever,cough", text="发烧38度5 咳嗽")
    reports = run("export", "reports", "--format", "csv", "--date", "2026-11-20", "--lang", "en").stdout.splitlines()
    chinese = run("export", "reports", "--format", "csv", "--date", "2026-11-20").stdout.splitlines()
    assert chinese[0].startswith("编号,时间,居民编号,居民,电话,网格,地址,渠道,类型,体温")
    assert ",短信,不适,38.5," in chinese[1]
    assert reports[1].split(",", 2)[2] == (
        f'{wang},王秀英,+8613800138000,第1网格,,sms,unwell,38.5,"fever,cough",发烧38度5 咳嗽,'
    )
    assert reports[1].split(",")[1] == "2026-11-20T09:00:00+08:00"


# --- gateways ---------------------------------------------------------------------------------------------------


def test_the_simulators_are_the_default_gateways(database: Path) -> None:
    gateways = build_gateways(Settings())
    assert isinstance(gateways["sms"], SimulatorGateway) and gateways["sms"].channel == "sms"
    assert isinstance(gateways["voice"], SimulatorVoiceGateway) and gateways["voice"].channel == "voice"


def test_an_unknown_gateway_names_the_choices() -> None:
    with pytest.raises(ConfigError) as caught:
        build_gateways(Settings(gateway=GatewaySettings(voice="asterisk")))
    assert str(caught.value) == "Unknown voice gateway 'asterisk' in gateway.voice; choose one of: simulator, twilio."


def test_twilio_without_its_settings_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"twilio\.from_number"):
        build_gateways(Settings(gateway=GatewaySettings(sms="simulator", voice="twilio")))
