"""The voice tables in data/voice: a community adds a language by adding a file, so every file is checked here."""

from __future__ import annotations

import re

import pytest

import data
from ivr import prompts
from ivr.flows import Step, prompt
from ivr.prompts import VoiceTableError, need_word, parse_table, speak, table
from tests.ivr.menus import explore

SAMPLE = {"name": "王秀英", "community": "幸福里社区", "notice": "明天停水。", "temperature": "38.5"}


def all_tables() -> list[tuple[str, dict[str, object]]]:
    return [(code, data.read_toml("voice", f"{code}.toml")) for code in prompts.languages()]


def test_chinese_and_english_are_there() -> None:
    assert {"zh", "en"} <= set(prompts.languages())
    assert table("zh").speech_language == "zh-CN"
    assert table("en").speech_language == "en-US"


@pytest.mark.parametrize("code", prompts.languages())
def test_every_table_has_the_same_keys_as_the_chinese_one(code: str) -> None:
    reference, candidate = table("zh"), parse_table(code, data.read_toml("voice", f"{code}.toml"))
    assert set(candidate.prompts) == set(reference.prompts)
    assert set(candidate.needs) == set(reference.needs)
    assert re.match(r"^[a-z]{2,3}-[A-Z]{2}$", candidate.speech_language), "a speech code such as zh-CN"
    for key, text in {**candidate.prompts, **candidate.needs}.items():
        filled = text.format(**SAMPLE)
        assert filled.strip(), f"{code}: {key} is empty"
        assert "{" not in filled and "}" not in filled


def test_every_prompt_the_menus_say_is_in_the_tables_and_every_prompt_is_said() -> None:
    _, steps = explore()
    used = {item.key for step in steps for item in step.say} | {"error"}  # error: see flows.apology
    assert used == set(table("zh").prompts)


def test_a_table_with_a_missing_or_unknown_part_is_refused() -> None:
    good = data.read_toml("voice", "en.toml")
    with pytest.raises(VoiceTableError, match="language"):
        parse_table("xx", {**good, "language": ""})
    with pytest.raises(VoiceTableError, match="prompts"):
        parse_table("xx", {key: value for key, value in good.items() if key != "prompts"})
    with pytest.raises(VoiceTableError, match="address"):
        parse_table("xx", {**good, "prompts": {**good["prompts"], "greeting": "Hello {address}"}})
    with pytest.raises(VoiceTableError):
        parse_table("xx", {**good, "prompts": {**good["prompts"], "greeting": "Hello {name"}})


def test_speak_fills_in_the_call_and_the_step() -> None:
    step = Step("zh", (prompt("greeting"), prompt("recorded_temperature", temperature="38.5")))
    speech = speak(step, {"name": "王秀英", "community": "幸福里社区"})
    assert speech.language == "zh-CN"
    assert speech.lines == (
        "王秀英您好，这里是幸福里社区的健康问候电话。",
        "已记录：体温38.5度。网格员会尽快联系您，请在家休息。",
    )


def test_a_fact_that_is_missing_is_left_out_not_an_error() -> None:
    lines = speak(Step("en", (prompt("greeting"),))).lines
    assert lines == ("Hello. This is the daily health call from your community.",)


def test_a_language_without_a_table_is_spoken_in_chinese() -> None:
    assert table("ug").code == "zh"
    assert speak(Step("ug", (prompt("goodbye"),))).lines == ("再见。",)


def test_kinds_of_help_in_the_residents_language() -> None:
    assert need_word("medicine", "zh") == "买药"
    assert need_word("food", "en") == "food"
    assert need_word("hotline call from +86138", "zh") == "hotline call from +86138"
