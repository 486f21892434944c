"""`linli notice send --template`: a notice from an approved template when the SMS gateway sends only templates;
free text refused there."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.message_kinds import decode
from kit.models import Community, Message
from kit.residents import ResidentInput, add_resident
from kit.template_mode import template_gateways
from tests.cli_run import Run, one_line_error

CONFIG = """
[gateway]
sms = "ali1"

[gateways.ali1]
kind = "aliyun"
templates = "ali.toml"
sign_name = "幸福里社区"
"""
WATER = ("--template", "notice_water_off", "--param", "date=12月1日", "--param", "place=3号楼")


@pytest.fixture
def template_only(community: Community, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "linli.toml"
    path.write_text(CONFIG, encoding="utf-8")
    mapped = 'notice_water_off = "SMS_7"\n'
    (tmp_path / "ali.toml").write_text(f"[zh]\n{mapped}[en]\n{mapped}", encoding="utf-8")
    monkeypatch.setenv("LINLI_CONFIG", str(path))
    add_resident(ResidentInput(name="王芳", phone="+8613800000001", grid="东区", building="3"))
    add_resident(ResidentInput(name="Anna", phone="+8613800000002", grid="东区", building="3", language="en"))
    return path


def test_the_preview_shows_the_exact_text_with_the_signature(template_only: Path, run: Run) -> None:
    result = run("notice", "send", *WATER)
    assert result.exit_code == 0, result.output
    assert "短信内容（ali1）：【幸福里社区】社区通知：12月1日在3号楼停水，请提前储水。有困难请回复3。" in result.output
    assert "什么都没有发" in result.output
    assert Message.select().count() == 0


def test_sending_it_stores_the_kind_and_values_for_the_gateway(template_only: Path, run: Run) -> None:
    result = run("notice", "send", *WATER, "--yes")
    assert result.exit_code == 0, result.output
    rows = {m.peer: m for m in Message.select()}
    assert rows["+8613800000001"].body == "社区通知：12月1日在3号楼停水，请提前储水。有困难请回复3。"
    assert rows["+8613800000002"].body.startswith("Community notice: no water 12月1日 at 3号楼")
    for message in rows.values():
        assert message.kind == "notice" and message.status == "queued"
        assert decode(message.params) == ("notice_water_off", {"date": "12月1日", "place": "3号楼"})
    assert [gateway.name for gateway in template_gateways()] == ["ali1"]


def test_free_text_is_refused_in_template_only_mode(template_only: Path, run: Run) -> None:
    line = one_line_error(run("notice", "send", "--body", "明天停水", "--yes"))
    assert "只发已审核的模板" in line and "--template KIND --param NAME=VALUE" in line
    assert "notice_water_off" in line
    assert Message.select().count() == 0


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--template", "notice_water_off", "--param", "date=12月1日"), "notice_water_off 还缺 place"),
        ((*WATER, "--param", "time=9点"), "没有参数 time"),
        (
            ("--template", "notice_water_off", "--param", "date=12月1日", "--param", "place=" + "楼" * 36),
            "place 有 36 个字",
        ),
        (
            ("--template", "notice_power_off", "--param", "date=1日", "--param", "place=3号楼"),
            "没有 notice_power_off（zh）的已审核模板",
        ),
        (("--template", "checkin"), "checkin 不是通知模板"),
        (("--template", "notice_water_off", "--param", "date"), "名称=值"),
    ],
)
def test_bad_template_input_is_one_line_and_sends_nothing(
    template_only: Path, run: Run, args: tuple[str, ...], said: str
) -> None:
    assert said in one_line_error(run("notice", "send", *args, "--yes"))
    assert Message.select().count() == 0


def test_template_and_body_together_are_refused(template_only: Path, run: Run) -> None:
    result = run("notice", "send", *WATER, "--body", "x")
    assert result.exit_code == 2 and "--template（加 --param）和 --body 只能用一个" in result.output


def test_an_english_community_reads_the_refusals_in_english(template_only: Path, run: Run) -> None:
    Community.update(languages="en,zh").execute()
    line = one_line_error(run("notice", "send", "--template", "notice_water_off", "--param", "date=12月1日", "--yes"))
    assert line == "Please check the input: notice_water_off needs place: add --param place=VALUE for each."
    refused = one_line_error(run("notice", "send", "--body", "No water tomorrow", "--yes"))
    assert "sends only approved templates" in refused


def test_a_template_notice_works_with_a_free_text_gateway_too(community: Community, run: Run) -> None:
    add_resident(ResidentInput(name="王芳", phone="+8613800000001", grid="东区", building="3"))
    result = run("notice", "send", *WATER, "--yes")
    assert result.exit_code == 0, result.output
    assert "【" not in result.output  # no signature to show: the simulator sends the text as it is
    assert decode(Message.get().params)[0] == "notice_water_off"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--param", "date=12月1日", "--body", "明天停水"), "--param 要和 --template 一起用。"),
        ((), "请用 --body 写通知，或用 --template 选一个已审核的模板。"),
    ],
)
def test_a_notice_without_its_text_is_refused_in_the_communitys_words(
    community: Community, run: Run, args: tuple[str, ...], said: str
) -> None:
    result = run("notice", "send", *args)
    assert result.exit_code == 2 and said in result.output
    assert Message.select().count() == 0
