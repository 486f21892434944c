"""TwiML for the key steps, compared as exact XML: what Twilio reads is what residents hear."""

from __future__ import annotations

import pytest

from ivr import flows, prompts
from ivr.prompts import VoiceTable
from ivr.twiml import render_xml

BASE = "https://linli.example.org"
FACTS = {"name": "王秀英", "community": "幸福里社区"}
CHECKIN = flows.checkin_call("zh", 42, 7)
HEAD = '<?xml version="1.0" encoding="UTF-8"?><Response>'
MENU_ZH = '<Say language="zh-CN">身体好，请按1；发烧或咳嗽，请按2；需要帮助，请按3。</Say>'


def gather(query: str, *says: str, digits: int = 1, timeout: int = 6) -> str:
    """A Gather with its says, then the Redirect for silence: what every listening step renders to."""
    url = f"{BASE}/twilio/voice/gather?{query.replace('&', '&amp;')}"
    return (
        f'<Gather action="{url}" finishOnKey="#" input="dtmf" method="POST" numDigits="{digits}" timeout="{timeout}">'
        + "".join(says)
        + f'</Gather><Redirect method="POST">{url}</Redirect></Response>'
    )


def test_greeting() -> None:
    assert render_xml(flows.answer(CHECKIN), base_url=BASE, facts=FACTS) == HEAD + gather(
        "flow=checkin&s=menu&n=0&rid=42&mid=7&lang=zh",
        '<Say language="zh-CN">王秀英您好，这里是幸福里社区的健康问候电话。</Say>',
        MENU_ZH,
    )


def test_greeting_in_english_with_a_trailing_slash_on_the_public_url() -> None:
    state = flows.checkin_call("en", 5, 9)
    assert render_xml(flows.answer(state), base_url=BASE + "/", facts={"name": "Mary Chen"}) == HEAD + gather(
        "flow=checkin&s=menu&n=0&rid=5&mid=9&lang=en",
        '<Say language="en-US">Hello Mary Chen. This is the daily health call from your community.</Say>',
        '<Say language="en-US">Press 1 if you are well. Press 2 if you have fever or cough. '
        "Press 3 if you need help.</Say>",
    )


def test_temperature() -> None:
    assert render_xml(flows.advance(CHECKIN, "2"), base_url=BASE, facts=FACTS) == HEAD + gather(
        "flow=checkin&s=temp&n=0&rid=42&mid=7&lang=zh",
        '<Say language="zh-CN">如果量了体温，请输入体温，例如三十八度五，就按3、8、5。不知道体温，请按井号键。</Say>',
        digits=3,
        timeout=8,
    )


def test_help_kind() -> None:
    assert render_xml(flows.advance(CHECKIN, "3"), base_url=BASE, facts=FACTS) == HEAD + gather(
        "flow=checkin&s=help&n=0&rid=42&mid=7&lang=zh",
        '<Say language="zh-CN">您需要什么帮助？买药请按1，买菜或送饭请按2，其他帮助请按3。</Say>',
    )


def test_invalid_key_repeats_the_menu_once() -> None:
    assert render_xml(flows.advance(CHECKIN, "7"), base_url=BASE, facts=FACTS) == HEAD + gather(
        "flow=checkin&s=menu&n=1&rid=42&mid=7&lang=zh",
        '<Say language="zh-CN">对不起，没有这个选项。</Say>',
        MENU_ZH,
    )


def test_confirmation_and_goodbye() -> None:
    assert render_xml(flows.advance(CHECKIN, "1"), base_url=BASE, facts=FACTS) == (
        HEAD
        + '<Say language="zh-CN">已记录：您身体好。谢谢！</Say>'
        + '<Say language="zh-CN">再见。</Say><Hangup /></Response>'
    )
    fever = flows.advance(CHECKIN.at("temp"), "385")
    assert render_xml(fever, base_url=BASE) == (
        HEAD
        + '<Say language="zh-CN">已记录：体温38.5度。网格员会尽快联系您，请在家休息。</Say>'
        + '<Say language="zh-CN">再见。</Say><Hangup /></Response>'
    )


def test_goodbye_after_no_answer() -> None:
    assert render_xml(flows.advance(CHECKIN.at("menu", tries=1), None), base_url=BASE) == (
        HEAD + '<Say language="zh-CN">没有收到您的回答，社区工作人员会再联系您。再见。</Say><Hangup /></Response>'
    )


def test_notice_repeat() -> None:
    notice = flows.notice_call("zh", 42, 8)
    facts = {"notice": "明天9点到12点停水 & 请提前储水 <重要>"}
    assert render_xml(flows.advance(notice, "1"), base_url=BASE, facts=facts) == HEAD + gather(
        "flow=notice&s=play&n=0&rid=42&mid=8&p=2&lang=zh",
        '<Say language="zh-CN">下面是社区通知。明天9点到12点停水 &amp; 请提前储水 &lt;重要&gt;</Say>',
        '<Say language="zh-CN">再听一遍，请按1；需要帮助，请按9。</Say>',
    )


def test_apology() -> None:
    assert render_xml(flows.apology("en"), base_url=BASE) == (
        HEAD
        + '<Say language="en-US">Sorry, something went wrong. Please call again later, '
        + "or contact your grid worker.</Say>"
        + '<Say language="en-US">Goodbye.</Say><Hangup /></Response>'
    )


def test_a_table_that_names_a_voice_uses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = VoiceTable("zh", "zh-CN", "Polly.Zhiyu", {"goodbye": "再见。"}, {})
    monkeypatch.setattr(prompts, "table", lambda language: chosen)
    step = flows.Step("zh", (flows.prompt("goodbye"),))
    assert render_xml(step, base_url=BASE) == (
        HEAD + '<Say language="zh-CN" voice="Polly.Zhiyu">再见。</Say><Hangup /></Response>'
    )
