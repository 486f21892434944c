"""`kit.template_check`: a mobile number or a link in a template text, where the provider forbids them."""

from __future__ import annotations

import pytest

from kit import message_kinds, templates
from kit.models import Community
from kit.template_check import LINK, MOBILE, check
from kit.template_mode import TemplateGateway
from kit.template_registry import TemplateLimits, TemplateMap

ALIYUN = TemplateLimits(35, forbids_mobile_numbers=True, forbids_links=True)


@pytest.mark.parametrize("text", ["请拨打13800138000", "电话+8613800138000", "call +44 7700 900123".replace(" ", "")])
def test_mobile_numbers_are_found(text: str) -> None:
    assert MOBILE.search(text)


@pytest.mark.parametrize("text", ["任务12：3-2-201", "积分+10", "编号20261120"])
def test_task_numbers_and_addresses_are_not_mobile_numbers(text: str) -> None:
    assert not MOBILE.search(text)


@pytest.mark.parametrize("text", ["详见 https://x.org/a", "见www.linli.cn", "访问 linli.cn 了解"])
def test_links_are_found(text: str) -> None:
    assert LINK.search(text)


def test_a_template_with_a_number_or_a_link_is_a_problem_where_forbidden(
    community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = templates.text

    def text(key: str, language: str, section: str | None = None) -> str:
        if key == "opted_in" and section is None:
            return "已恢复接收。详见 https://linli.cn 或致电13800138000"
        return written(key, language, section)

    monkeypatch.setattr(message_kinds, "text", text)
    forbidding = TemplateGateway("ali1", "aliyun", ALIYUN, TemplateMap({"zh": {"opted_in": "SMS_9"}}))
    lines = [finding.line for finding in check(forbidding, ["zh"]).problems if finding.kind == "opted_in"]
    assert lines == [
        "opted_in (zh): carries a mobile number, which aliyun forbids",
        "opted_in (zh): contains a link, which aliyun forbids",
    ]
    allowing = TemplateGateway("x", "aliyun", TemplateLimits(35), TemplateMap({"zh": {"opted_in": "SMS_9"}}))
    assert not [finding for finding in check(allowing, ["zh"]).problems if finding.kind == "opted_in"]


def test_two_parameters_side_by_side_are_a_problem_where_the_provider_forbids_them(
    community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = templates.text

    def text(key: str, language: str, section: str | None = None) -> str:
        if key == "notice_water_off" and section is None:
            return "社区通知：{date}{place}停水。"
        return written(key, language, section)

    monkeypatch.setattr(message_kinds, "text", text)
    tencent = TemplateLimits(35, forbids_adjacent_params=True)
    gateway = TemplateGateway("tc1", "tencent", tencent, TemplateMap({"zh": {"notice_water_off": "100002"}}))
    lines = [f.line for f in check(gateway, ["zh"]).problems if f.kind == "notice_water_off"]
    assert lines == [
        "notice_water_off (zh): two parameters side by side ({date}{place}), which tencent forbids: put a word "
        "between them in data/templates/zh.toml"
    ]
    aliyun = TemplateGateway("ali1", "aliyun", ALIYUN, TemplateMap({"zh": {"notice_water_off": "SMS_2"}}))
    assert not [f for f in check(aliyun, ["zh"]).problems if f.kind == "notice_water_off"]


def test_no_text_linli_ships_puts_two_parameters_side_by_side() -> None:
    from kit.template_check import ADJACENT

    for kind in message_kinds.kinds():
        for language in ("zh", "en"):
            assert not ADJACENT.search(kind.text(language)), (kind.name, language)
