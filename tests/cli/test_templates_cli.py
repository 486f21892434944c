"""`linli templates list / check / export`: the kinds, their mapped template ids, what stops a template gateway,
and the sheet to apply for approval."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kit.config import load_settings
from kit.models import Community
from kit.residents import ResidentInput, add_resident
from kit.template_check import kinds_for
from kit.template_mode import named_template_gateway
from tests.cli_run import Run, one_line_error

CONFIG = """
[gateway]
sms = "simulator"

[gateways.ali1]
kind = "aliyun"
templates = "ali.toml"
sign_name = "幸福里社区"

[gateways.tc1]
kind = "tencent"
templates = "tc.toml"
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "linli.toml"
    path.write_text(CONFIG, encoding="utf-8")
    (tmp_path / "ali.toml").write_text('[zh]\ncheckin = "SMS_1"\n', encoding="utf-8")
    (tmp_path / "tc.toml").write_text('[zh]\ncheckin = "1001"\n', encoding="utf-8")
    monkeypatch.setenv("LINLI_CONFIG", str(path))
    return path


def map_everything(config: Path, name: str, file: str) -> None:
    """A templates file with an id for every kind the gateway sends, in Chinese and English."""
    gateway = named_template_gateway(load_settings(config), name)
    lines = [f'{kind.name} = "{index}"' for index, kind in enumerate(kinds_for(gateway), 1)]
    body = "\n".join(lines)
    (config.parent / file).write_text(f"[zh]\n{body}\n[en]\n{body}\n", encoding="utf-8")


def test_list_shows_each_kind_with_texts_parameters_and_ids(community: Community, config: Path, run: Run) -> None:
    result = run("templates", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("checkin (没有参数)")
    assert lines[start + 1].startswith("  zh: 今日健康打卡")
    assert lines[start + 2].startswith("  en: Daily check-in")
    assert lines[start + 3 : start + 5] == ["  ali1: zh SMS_1, en -", "  tc1: zh 1001, en -"]
    assert "second_contact (name, address)" in lines
    assert not [line for line in lines if line.startswith("alert_")]


def test_check_exits_1_naming_every_problem(community: Community, config: Path, run: Run) -> None:
    add_resident(ResidentInput(name="王" * 40, phone="+8613800000001", grid="东区", building="3"))
    result = run("templates", "check", "ali1")
    assert result.exit_code == 1, result.output
    out = result.output
    assert "问题：ack_fever（zh）：" in out and "ali.toml 里没有模板 ID" in out
    assert "问题：ack_fever（en）：" in out
    assert "问题：checkin（zh）" not in out  # mapped
    assert "name：名册里有一个 40 个字，超过上限 35" in out
    assert "提示：task_for_volunteer_nophone（zh）：need 可能超过 35 个字；超出时截成 35 个字，末尾加 …" in out
    assert "提示：notice_water_off（zh）：没有对应模板（通知，可以不申请）" in out
    assert "task_for_volunteer（" not in out.replace("task_for_volunteer_nophone", "")  # the variant instead
    assert "条数包括签名（【幸福里社区】）" in out
    assert "个问题：ali1 还不能发送邻里要发的所有消息。" in out
    assert out.splitlines()[0].split() == ["消息种类", "语言", "模板", "ID", "条数"]
    assert "Problem" not in out and "problem" not in out  # nothing left in English


def test_an_english_community_reads_the_check_and_the_list_in_english(
    community: Community, config: Path, run: Run
) -> None:
    Community.update(languages="en").execute()
    out = run("templates", "check", "ali1").output
    assert out.splitlines()[0].split() == ["KIND", "LANG", "TEMPLATE", "ID", "SEGMENTS"]
    assert "Problem: ack_fever (en): no template id in" in out
    assert "Segments include the signature (【幸福里社区】)" in out
    assert "problems: ali1 cannot yet send everything Linli sends." in out
    assert "checkin (no parameters)" in run("templates", "list").output.splitlines()
    assert "No template gateway 'nope'" in one_line_error(run("templates", "check", "nope"))
    target = config.parent / "sheet.csv"
    said = run("templates", "export", "ali1", "--format", "csv", "-o", target).output
    assert said.startswith("Wrote ") and said.strip().endswith(f"templates for ali1 to {target}.")


def test_check_wants_the_variant_without_a_number_only_where_numbers_are_forbidden(
    community: Community, config: Path, run: Run
) -> None:
    config.write_text(CONFIG + "forbids_mobile_numbers = true\n", encoding="utf-8")  # tc1's table
    out = run("templates", "check", "tc1").output
    assert "问题：task_for_volunteer_nophone（zh）：" in out
    assert "问题：task_for_volunteer（zh）" not in out
    config.write_text(CONFIG + "forbids_mobile_numbers = false\n", encoding="utf-8")
    out = run("templates", "check", "tc1").output
    assert "问题：task_for_volunteer（zh）：" in out
    assert "task_for_volunteer_nophone" not in out


def test_check_exits_0_when_everything_is_mapped(community: Community, config: Path, run: Run) -> None:
    map_everything(config, "ali1", "ali.toml")
    add_resident(ResidentInput(name="王芳", phone="+8613800000001", grid="东区", building="3"))
    result = run("templates", "check", "ali1")
    assert result.exit_code == 0, result.output
    assert "问题" not in result.output
    assert "ali1 可以用了：每种消息都有审批通过的模板。" in result.output
    row = next(line for line in result.output.splitlines() if line.startswith("checkin "))
    assert row.split()[-1] == "1"  # one segment with the signature


def test_check_of_an_unknown_or_free_text_gateway_is_one_line(community: Community, config: Path, run: Run) -> None:
    assert "没有叫“simulator”的模板网关" in one_line_error(run("templates", "check", "simulator"))
    assert "模板网关有：ali1, tc1" in one_line_error(run("templates", "check", "nope"))


def test_a_missing_templates_file_is_one_line(community: Community, config: Path, run: Run) -> None:
    (config.parent / "ali.toml").unlink()
    assert "ali.toml 不存在" in one_line_error(run("templates", "check", "ali1"))


def test_export_xlsx_has_the_columns_an_operator_pastes(community: Community, config: Path, run: Run) -> None:
    target = config.parent / "sheet.xlsx"
    result = run("templates", "export", "ali1", "--format", "xlsx", "--output", target)
    assert result.exit_code == 0, result.output
    assert result.output.strip().startswith("已把 ali1 的") and result.output.strip().endswith(f"个模板写入 {target}。")
    sheet = load_workbook(target).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("模板名称", "模板内容", "变量", "申请说明")
    by_kind = {str(row[0]): row for row in rows[1:]}
    assert by_kind["second_contact"][1] == (
        "您好，${name}（${address}）今天没有回复健康打卡，也没接电话。请联系TA，或回复1 TA平安。"
    )
    assert by_kind["second_contact"][2] == "name, address"
    assert by_kind["checkin"][3] == "每日健康打卡询问，居民回复数字"
    assert "task_for_volunteer" not in by_kind and "task_for_volunteer_nophone" in by_kind
    assert not [kind for kind in by_kind if kind.startswith("alert_")]


def test_export_csv_numbers_tencent_variables(community: Community, config: Path, run: Run) -> None:
    target = config.parent / "sheet.csv"
    assert run("templates", "export", "tc1", "--format", "csv", "-o", target).exit_code == 0
    with target.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["模板名称", "模板内容", "变量", "申请说明"]
    second = next(row for row in rows if row[0] == "second_contact")
    assert second[1].startswith("您好，{1}（{2}）今天没有回复") and second[2] == "name, address"
