"""The reply parser, read against tables of real-looking replies in Chinese and English."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import data
from kit.health import FEVER_C, HIGH_FEVER_C, SYMPTOMS
from sms import parser
from sms.parser import Intent, IntentKind, known_languages, parse_reply

# --- well ---------------------------------------------------------------------------------------------

# (reply, language, temperature_c)
WELL = [
    ("1", "zh", None),
    ("１", "zh", None),
    ("1 谢谢", "zh", None),
    ("1，谢谢", "zh", None),
    ("1.", "zh", None),
    (" 1 ", "zh", None),
    ("1 ok", "en", None),
    ("一", "zh", None),
    ("ok", "zh", None),
    ("OK!", "en", None),
    ("ＯＫ", "zh", None),
    ("ok?", "en", None),
    ("Okay", "en", None),
    ("好", "zh", None),
    ("好的", "zh", None),
    ("好的，谢谢！", "zh", None),
    ("很好", "zh", None),
    ("我很好，谢谢", "zh", None),
    ("挺好的", "zh", None),
    ("身体还行", "zh", None),
    ("还不错", "zh", None),
    ("好多了", "zh", None),
    ("一切正常 谢谢关心", "zh", None),
    ("没事", "zh", None),
    ("没事儿", "zh", None),
    ("没事，不用担心", "zh", None),
    ("正常", "zh", None),
    ("体温正常", "zh", None),
    ("烧退了", "zh", None),
    ("没有发烧", "zh", None),
    ("不发烧", "zh", None),
    ("没发烧", "zh", None),
    ("没有咳嗽", "zh", None),
    ("没有发烧也没有咳嗽", "zh", None),
    ("不发烧不咳嗽", "zh", None),
    ("没有发烧、咳嗽", "zh", None),
    ("没有不舒服", "zh", None),
    ("不用帮忙", "zh", None),
    ("不需要帮助", "zh", None),
    ("fine", "en", None),
    ("Fine, thank you!", "en", None),
    ("I'm fine", "en", None),
    ("I’m fine", "en", None),
    ("No I'm fine", "en", None),
    ("well", "en", None),
    ("I am well", "en", None),
    ("doing well thanks", "en", None),
    ("all good thanks", "en", None),
    ("good morning, all good", "en", None),
    ("Feeling better today", "en", None),
    ("not bad", "en", None),
    ("no problem", "en", None),
    ("no fever", "en", None),
    ("no cough", "en", None),
    ("not sick", "en", None),
    ("No fever, no cough", "en", None),
    ("no fever or cough", "en", None),
    ("no symptoms", "en", None),
    ("don't need help", "en", None),
    ("1 no fever", "en", None),
    ("36.5", "zh", 36.5),
    ("体温36.8", "zh", 36.8),
    ("36.8度", "zh", 36.8),
    ("36度8", "zh", 36.8),
    ("三十六度五", "zh", 36.5),
    ("三十六点八", "zh", 36.8),
    ("36,6", "en", 36.6),
    ("36.6°C", "en", 36.6),
    ("36.6℃", "zh", 36.6),
    ("３６．５", "zh", 36.5),
    ("37度2", "zh", 37.2),
    ("37.2", "zh", 37.2),
    ("37", "zh", 37.0),
    ("368", "zh", 36.8),
    ("98.6F", "en", 37.0),
    ("98.6", "en", 37.0),
    ("temp 36.7", "en", 36.7),
    ("1 36.5", "zh", 36.5),
    ("很好 体温36.5", "zh", 36.5),
    ("36.5度，没有咳嗽", "zh", 36.5),
]


@pytest.mark.parametrize(("reply", "language", "temperature"), WELL)
def test_well(reply: str, language: str, temperature: float | None) -> None:
    assert parse_reply(reply, language) == Intent("well", temperature_c=temperature)


# --- unwell -------------------------------------------------------------------------------------------

# (reply, language, temperature_c, symptoms)
UNWELL = [
    ("2", "zh", None, ()),
    ("２", "zh", None, ()),
    ("二", "zh", None, ()),
    ("2 没事", "zh", None, ()),  # they pressed 2: the menu wins over a polite word
    ("2 37.0", "zh", 37.0, ()),
    ("2，发烧", "zh", None, ("fever",)),
    ("２ 咳嗽", "zh", None, ("cough",)),
    ("发烧", "zh", None, ("fever",)),
    ("发热", "zh", None, ("fever",)),
    ("有点发烧", "zh", None, ("fever",)),
    ("发烧了", "zh", None, ("fever",)),
    ("高烧", "zh", None, ("fever",)),
    ("吃了退烧药", "zh", None, ("fever",)),
    ("是不是发烧了", "zh", None, ("fever",)),
    ("不好意思，我发烧了", "zh", None, ("fever",)),
    ("咳嗽", "zh", None, ("cough",)),
    ("有点咳嗽", "zh", None, ("cough",)),
    ("咳嗽厉害", "zh", None, ("cough",)),
    ("干咳", "zh", None, ("cough",)),
    ("没有发烧，但是咳嗽", "zh", None, ("cough",)),
    ("不发烧就是咳嗽", "zh", None, ("cough",)),
    ("还好，就是有点咳嗽", "zh", None, ("cough",)),
    ("1 咳嗽", "zh", None, ("cough",)),
    ("喘不过气", "zh", None, ("breathing",)),
    ("喘不上气", "zh", None, ("breathing",)),
    ("呼吸困难", "zh", None, ("breathing",)),
    ("胸闷气短", "zh", None, ("breathing",)),
    ("发烧咳嗽，有点喘", "zh", None, ("fever", "cough", "breathing")),
    ("不舒服", "zh", None, ()),
    ("不太舒服", "zh", None, ()),
    ("不大舒服", "zh", None, ()),
    ("不好", "zh", None, ()),
    ("身体不好", "zh", None, ()),
    ("不太好", "zh", None, ()),
    ("难受", "zh", None, ()),
    ("头疼", "zh", None, ()),
    ("头晕乏力", "zh", None, ()),
    ("拉肚子", "zh", None, ()),
    ("不正常", "zh", None, ()),
    ("38.5", "zh", 38.5, ("fever",)),
    ("38度5", "zh", 38.5, ("fever",)),
    ("38度", "zh", 38.0, ("fever",)),
    ("38度半", "zh", 38.5, ("fever",)),
    ("三十八度五", "zh", 38.5, ("fever",)),
    ("三十八度半", "zh", 38.5, ("fever",)),
    ("三十九度", "zh", 39.0, ("fever",)),
    ("三十七点五", "zh", 37.5, ("fever",)),
    ("38,5", "zh", 38.5, ("fever",)),
    ("38，5", "zh", 38.5, ("fever",)),
    ("38。5", "zh", 38.5, ("fever",)),
    ("３８．５", "zh", 38.5, ("fever",)),
    ("37.3", "zh", 37.3, ("fever",)),
    ("39", "zh", 39.0, ("fever",)),
    ("40度", "zh", 40.0, ("fever",)),
    ("41.2", "zh", 41.2, ("fever",)),
    ("38.5度", "zh", 38.5, ("fever",)),
    ("38.5℃", "zh", 38.5, ("fever",)),
    ("38.5°C", "en", 38.5, ("fever",)),
    ("39 C", "en", 39.0, ("fever",)),
    ("385", "zh", 38.5, ("fever",)),  # a point forgotten on a keypad
    ("体温37.5", "zh", 37.5, ("fever",)),
    ("低烧37.5", "zh", 37.5, ("fever",)),
    ("发烧38.2度", "zh", 38.2, ("fever",)),
    ("烧到39度了", "zh", 39.0, ("fever",)),
    ("发烧三十九度", "zh", 39.0, ("fever",)),
    ("咳嗽，38度", "zh", 38.0, ("fever", "cough")),
    ("昨天36.5今天38", "zh", 38.0, ("fever",)),  # the highest reading counts
    ("2 38.6", "zh", 38.6, ("fever",)),
    ("1 38.5", "zh", 38.5, ("fever",)),  # a fever beats the menu digit
    ("发烧 37.0", "zh", 37.0, ("fever",)),  # the word says fever, whatever the thermometer
    ("101F", "en", 38.3, ("fever",)),
    ("101 F", "en", 38.3, ("fever",)),
    ("101.3°F", "en", 38.5, ("fever",)),
    ("101.3℉", "en", 38.5, ("fever",)),
    ("102°F", "en", 38.9, ("fever",)),
    ("100.4F", "en", 38.0, ("fever",)),
    ("100.4 degrees F", "en", 38.0, ("fever",)),
    ("101", "en", 38.3, ("fever",)),  # a bare number in the Fahrenheit range
    ("华氏101度", "zh", 38.3, ("fever",)),
    ("fever 38.2", "en", 38.2, ("fever",)),
    ("fever 39 and cough", "en", 39.0, ("fever", "cough")),
    ("temperature 38.9", "en", 38.9, ("fever",)),
    ("I am 38.5", "en", 38.5, ("fever",)),
    ("fever", "en", None, ("fever",)),
    ("I have a fever", "en", None, ("fever",)),
    ("running a temperature", "en", None, ("fever",)),
    ("headache and chills", "en", None, ("fever",)),
    ("cough", "en", None, ("cough",)),
    ("I've been coughing", "en", None, ("cough",)),
    ("I want to stop coughing", "en", None, ("cough",)),
    ("no fever but coughing", "en", None, ("cough",)),
    ("fever and cough", "en", None, ("fever", "cough")),
    ("shortness of breath", "en", None, ("breathing",)),
    ("short of breath", "en", None, ("breathing",)),
    ("I can't breathe", "en", None, ("breathing",)),
    ("I can’t breathe", "en", None, ("breathing",)),
    ("difficulty breathing", "en", None, ("breathing",)),
    ("not well", "en", None, ()),
    ("not feeling well", "en", None, ()),
    ("I'm not feeling well", "en", None, ()),
    ("I don't feel well", "en", None, ()),
    ("not good", "en", None, ()),
    ("not ok", "en", None, ()),
    ("unwell", "en", None, ()),
    ("sick", "en", None, ()),
    ("feeling sick", "en", None, ()),
    ("I feel terrible", "en", None, ()),
    ("sore throat", "en", None, ()),
    ("fever", "zh", None, ("fever",)),  # an English word from a Chinese-speaking resident
    ("发烧", "en", None, ("fever",)),  # and the other way round
]


@pytest.mark.parametrize(("reply", "language", "temperature", "symptoms"), UNWELL)
def test_unwell(reply: str, language: str, temperature: float | None, symptoms: tuple[str, ...]) -> None:
    assert parse_reply(reply, language) == Intent("unwell", temperature_c=temperature, symptoms=symptoms)


# --- help ---------------------------------------------------------------------------------------------

# (reply, language, text)
HELP = [
    ("3", "zh", ""),
    ("３", "zh", ""),
    ("三", "zh", ""),
    ("三，买药", "zh", "买药"),
    ("3 买药", "zh", "买药"),
    ("3买药", "zh", "买药"),
    ("3 买药 谢谢", "zh", "买药 谢谢"),
    ("3 王奶奶需要送饭", "zh", "王奶奶需要送饭"),
    ("求助", "zh", ""),
    ("求助 买药", "zh", "买药"),
    ("求助：买药", "zh", "买药"),
    ("买菜 求助", "zh", "买菜"),
    ("需要帮助", "zh", ""),
    ("我需要帮助", "zh", ""),
    ("需要帮忙 买降压药", "zh", "买降压药"),
    ("帮我买点菜", "zh", "买点菜"),
    ("请帮我买点药", "zh", "买点药"),
    ("帮忙买菜", "zh", "买菜"),
    ("救命", "zh", ""),
    ("救救我", "zh", ""),
    ("紧急！", "zh", ""),
    ("我要买药", "zh", "我要买药"),  # a need on its own: the whole reply says it
    ("没药了", "zh", "没药了"),
    ("help", "en", ""),
    ("HELP", "en", ""),
    ("HELP me", "en", ""),
    ("help!!!", "en", ""),
    ("please help", "en", ""),
    ("I need help", "en", ""),
    ("SOS", "en", ""),
    ("sos", "zh", ""),
    ("emergency", "en", ""),
    ("help me buy medicine", "en", "buy medicine"),
    ("Help: Bread and Milk", "en", "Bread and Milk"),
    ("3 need groceries", "en", "need groceries"),
    ("urgent: need food", "en", "need food"),
    ("Out of medicine", "en", "Out of medicine"),
    ("2 people need food", "en", "2 people need food"),  # "2 people" is not menu digit 2
]


@pytest.mark.parametrize(("reply", "language", "text"), HELP)
def test_help(reply: str, language: str, text: str) -> None:
    assert parse_reply(reply, language) == Intent("help", text=text)


def test_help_keeps_the_temperature_and_symptoms_it_mentions() -> None:
    intent = parse_reply("求助 发烧39度")
    assert intent == Intent("help", temperature_c=39.0, symptoms=("fever",), text="发烧39度")
    assert intent.temperature_c is not None and intent.temperature_c >= HIGH_FEVER_C


def test_help_beats_a_symptom() -> None:
    assert parse_reply("3 咳嗽 没药了").kind == "help"


# --- stop, start, done, unknown -----------------------------------------------------------------------

STOP = [
    "STOP", "stop", "Stop.", " stop ", "STOP!", "Unsubscribe", "END", "QUIT", "STOPALL", "stop all",
    "REVOKE", "OPTOUT", "opt-out", "CANCEL", "TD", "td", "ＴＤ", "退订", "退订。", "退订短信",
    "请退订", "请退订！", "不要再发", "不要再发了", "不要再发了！！", "别发了", "别发了。", "别再发了",
]  # fmt: skip


@pytest.mark.parametrize("reply", STOP)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_stop(reply: str, language: str) -> None:
    assert parse_reply(reply, language) == Intent("stop")


START = ["START", "start", "UNSTOP", "Unstop!", "订阅", "恢复", "恢复订阅"]


@pytest.mark.parametrize("reply", START)
def test_start(reply: str) -> None:
    assert parse_reply(reply) == Intent("start")


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        ("please stop sending me these", "unknown"),
        ("stop the fever", "unwell"),
        ("退订 发烧", "unwell"),
        ("start coughing last night", "unwell"),
        ("恢复了", "well"),  # recovered, not "resume"
        ("end of the week I had a fever", "unwell"),
        ("不要再发烧了", "well"),  # "don't have fever again", not "don't send again"
    ],
)
def test_stop_and_start_words_only_count_as_the_whole_message(reply: str, kind: str) -> None:
    assert parse_reply(reply, "en").kind == kind


# An auto-responder's answer: (reply, language)
AUTO_REPLIES = [
    ("【自动回复】您好，我现在有事不在，稍后联系您。", "zh"),
    ("自动回复：我正在开车，稍后回复", "zh"),
    ("我在开会，稍后回复", "zh"),
    ("您好，本机暂时无法回复短信", "zh"),
    ("此短信为系统自动回复，请勿直接回复", "zh"),
    ("Auto-Reply: I am out of office until Monday.", "en"),
    ("Automatic reply: Out of Office", "en"),
    ("I am currently away and will answer when I am back.", "en"),
    ("I'm driving right now - I'll see your message when I get where I'm going.", "en"),
    ("AUTOREPLY 1", "en"),
    ("This is an automated message, do not reply to this number.", "en"),
]


@pytest.mark.parametrize(("reply", "language"), AUTO_REPLIES)
def test_auto_replies(reply: str, language: str) -> None:
    assert parse_reply(reply, language) == Intent("auto_reply")
    assert parse_reply(reply, "zh" if language == "en" else "en") == Intent("auto_reply")  # every table is tried


@pytest.mark.parametrize(
    ("reply", "kind"), [("ok, will reply later", "well"), ("I am away, fine", "well"), ("好，回复你", "well")]
)
def test_a_reply_that_mentions_replying_is_not_an_auto_reply(reply: str, kind: str) -> None:
    assert parse_reply(reply).kind == kind


# (reply, task_number)
DONE = [
    ("DONE 12", 12),
    ("done #12", 12),
    ("Done12", 12),
    ("DONE: 7", 7),
    ("done no. 31", 31),
    ("done task 5", 5),
    ("done 12 delivered to Mrs Wang", 12),
    ("12 done", 12),
    ("#12 done", 12),
    ("完成 12", 12),
    ("完成12号", 12),
    ("已完成 12", 12),
    ("已完成12", 12),
    ("完成了 8", 8),
    ("完成任务3", 3),
    ("任务12完成", 12),
    ("12号完成", 12),
    ("ＤＯＮＥ １２", 12),
    ("DONE", None),
    ("done.", None),
    ("完成", None),
    ("已完成", None),
    ("finished", None),
]


@pytest.mark.parametrize(("reply", "task_number"), DONE)
def test_done(reply: str, task_number: int | None) -> None:
    assert parse_reply(reply) == Intent("done", task_number=task_number)


UNKNOWN = [
    "", " ", "???", "?", "。。。", "hello", "hi", "谁啊", "你好", "不好意思", "[image]", "[图片]",
    "😀", "thanks", "谢谢", "收到", "yes", "no", "11", "123", "12345", "+8613800000001", "9点",
    "10:37", "3楼王奶奶", "3-385", "3/4", "95 years old", "我今年85岁", "I am 95", "今年95",
    "room 101", "房间101", "2 days", "wellness", "book", "doneness",
]  # fmt: skip


@pytest.mark.parametrize("reply", UNKNOWN)
def test_unknown(reply: str) -> None:
    assert parse_reply(reply) == Intent("unknown")


# --- temperatures at the edges ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "temperature"),
    [
        ("34", 34.0),
        ("43", 43.0),
        ("33.9", None),
        ("43.1", None),
        ("93F", 33.9),
        ("110F", 43.3),
        ("92F", None),
        ("111F", None),
        ("340", 34.0),
        ("430", 43.0),
        ("339", None),
        ("431", None),
        ("200", None),
        ("38 F", None),  # no such temperature in Fahrenheit
        ("101 C", None),  # nor in Celsius
    ],
)
def test_plausible_temperatures_only(reply: str, temperature: float | None) -> None:
    assert parse_reply(reply, "en").temperature_c == temperature


def test_fever_thresholds() -> None:
    assert FEVER_C == 37.3
    assert HIGH_FEVER_C == 38.5
    assert parse_reply(str(FEVER_C)).symptoms == ("fever",)
    assert parse_reply("37.2").symptoms == ()


@pytest.mark.parametrize("reply", ["1", "2", "3", "1 2", "12"])
def test_menu_digits_are_not_temperatures(reply: str) -> None:
    assert parse_reply(reply).temperature_c is None


# --- languages and tables -----------------------------------------------------------------------------


def test_known_languages() -> None:
    assert known_languages() == ["en", "zh"]


@pytest.mark.parametrize("language", ["zh", "en", "ZH", "zh-CN", "zh_Hans", "en-GB", "fr", "", "??"])
def test_every_table_is_tried_whatever_the_language(language: str) -> None:
    assert parse_reply("ok", language) == Intent("well")
    assert parse_reply("好", language) == Intent("well")
    assert parse_reply("咳嗽", language).symptoms == ("cough",)
    assert parse_reply("cough", language).symptoms == ("cough",)


@pytest.mark.parametrize("file_name", data.names_in("keywords"))
def test_every_keyword_table_has_the_required_keys(file_name: str) -> None:
    assert file_name.endswith(".toml")
    raw = data.read_toml("keywords", file_name)
    missing = [key for key in parser.REQUIRED_KEYS if key not in raw]
    assert missing == []
    unexpected = set(raw) - set(parser.REQUIRED_KEYS) - set(parser.OPTIONAL_KEYS)
    assert unexpected == set()
    for key, phrases in raw.items():
        assert isinstance(phrases, list) and phrases, key
        assert all(isinstance(phrase, str) and phrase.strip() == phrase != "" for phrase in phrases), key
        assert all(phrase == phrase.casefold() for phrase in phrases), key
        assert len(set(phrases)) == len(phrases), f"{key} lists a phrase twice"


@pytest.mark.parametrize("language", known_languages())
def test_no_phrase_has_two_meanings_in_one_table(language: str) -> None:
    table = parser.keyword_table(language)
    scanned = [phrase for key in parser._SCANNED for phrase in table[key]]
    assert sorted(phrase for phrase in set(scanned) if scanned.count(phrase) > 1) == []


CANTONESE: dict[str, Any] = {
    "well": ["冇事", "几好", "好好"],
    "unwell": ["唔舒服", "唔妥"],
    "fever": ["发烧", "发滚"],
    "cough": ["咳"],
    "breathing": ["唞唔到气"],
    "help": ["帮手", "救命"],
    "negations": ["唔", "冇"],
    "stop": ["退订"],
    "start": ["订阅"],
    "done": ["搞掂"],
}


@pytest.fixture
def with_tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, dict[str, Any]]]:
    """Keyword tables as a community would drop them into data/keywords/, without touching the real ones."""
    tables = {name: data.read_toml("keywords", name) for name in data.names_in("keywords")}
    monkeypatch.setattr(parser, "names_in", lambda *parts: sorted(tables))
    monkeypatch.setattr(parser, "read_toml", lambda *parts: tables[parts[-1]])
    parser.reload_keywords()
    yield tables
    parser.reload_keywords()


def test_a_language_is_added_with_a_data_file_only(with_tables: dict[str, dict[str, Any]]) -> None:
    with_tables["yue.toml"] = CANTONESE
    assert known_languages() == ["en", "yue", "zh"]
    assert parse_reply("冇事", "yue") == Intent("well")
    assert parse_reply("唔舒服", "yue") == Intent("unwell")
    assert parse_reply("冇发滚", "yue") == Intent("well")
    assert parse_reply("发滚 38度5", "yue") == Intent("unwell", temperature_c=38.5, symptoms=("fever",))
    assert parse_reply("帮手 买药", "yue") == Intent("help", text="买药")
    assert parse_reply("搞掂 12", "yue") == Intent("done", task_number=12)
    assert parse_reply("ok", "yue") == Intent("well")  # the other tables are still tried


def test_the_senders_language_wins_when_tables_disagree(with_tables: dict[str, dict[str, Any]]) -> None:
    with_tables["xx.toml"] = {**CANTONESE, "unwell": ["ok"]}  # a made-up language where "ok" is a complaint
    assert parse_reply("ok", "xx").kind == "unwell"
    assert parse_reply("ok", "en").kind == "well"
    assert parse_reply("ok", "zh").kind == "well"  # en comes before xx when zh has no say


def test_a_table_without_a_required_key_is_refused(with_tables: dict[str, dict[str, Any]]) -> None:
    with_tables["yue.toml"] = {key: value for key, value in CANTONESE.items() if key != "negations"}
    with pytest.raises(ValueError, match="negations"):
        parse_reply("冇事", "yue")


# --- the result ---------------------------------------------------------------------------------------


def test_as_dict_is_json_ready() -> None:
    assert parse_reply("发烧 咳嗽 38.6").as_dict() == {
        "intent": "unwell",
        "temperature_c": 38.6,
        "symptoms": ["fever", "cough"],
        "text": "",
        "task_number": None,
    }
    assert parse_reply("done 4").as_dict()["task_number"] == 4
    assert parse_reply("求助 买药").as_dict()["text"] == "买药"


def test_intent_is_immutable() -> None:
    intent = parse_reply("1")
    with pytest.raises(AttributeError):
        intent.kind = "unwell"  # type: ignore[misc]


# --- properties ---------------------------------------------------------------------------------------

KINDS = set(get_args(IntentKind))  # volunteers' words (PAUSE, 接 12) are intents too
CHINESE_DIGITS = "零一二三四五六七八九"


def to_full_width(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


def in_chinese(tenths: int) -> str:
    """385 -> 三十八度五."""
    whole, tenth = divmod(tenths, 10)
    tens, units = divmod(whole, 10)
    spoken = CHINESE_DIGITS[tens] + "十" + (CHINESE_DIGITS[units] if units else "") + "度"
    return spoken + (CHINESE_DIGITS[tenth] if tenth else "")


@settings(deadline=None)
@given(st.text(), st.sampled_from(["zh", "en", "fr", ""]))
def test_never_raises_and_always_answers_an_intent(reply: str, language: str) -> None:
    intent = parse_reply(reply, language)
    assert isinstance(intent, Intent)
    assert intent.kind in KINDS
    assert set(intent.symptoms) <= {"fever", "cough", "breathing"}
    assert list(intent.symptoms) == sorted(intent.symptoms, key=SYMPTOMS.index)
    assert intent.temperature_c is None or 33.8 <= intent.temperature_c <= 43.4
    assert intent.text == "" or intent.kind == "help"
    assert intent.task_number is None or intent.kind == "done"


@settings(deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_full_width_replies_read_like_half_width_ones(reply: str) -> None:
    assert parse_reply(to_full_width(reply)) == parse_reply(reply)


@settings(deadline=None)
@given(st.text(), st.sampled_from([" ", "\t", "\n", "\u3000", "  \r\n"]))
def test_surrounding_space_does_not_matter(reply: str, space: str) -> None:
    assert parse_reply(space + reply + space) == parse_reply(reply)


@given(st.integers(min_value=340, max_value=430), st.sampled_from(["{}", "{}度", "{}°C", "体温{}", "temp {}"]))
def test_every_plausible_celsius_reading(tenths: int, form: str) -> None:
    temperature = tenths / 10
    intent = parse_reply(form.format(f"{temperature:.1f}"))
    assert intent.temperature_c == temperature
    assert intent.kind == ("unwell" if temperature >= FEVER_C else "well")
    assert ("fever" in intent.symptoms) == (temperature >= FEVER_C)


@given(st.integers(min_value=340, max_value=430))
def test_every_temperature_in_chinese_numerals(tenths: int) -> None:
    assert parse_reply(in_chinese(tenths)).temperature_c == tenths / 10


@given(st.integers(min_value=93, max_value=110), st.sampled_from(["{}F", "{} F", "{}°F", "{}"]))
def test_every_plausible_fahrenheit_reading(degrees: int, form: str) -> None:
    assert parse_reply(form.format(degrees), "en").temperature_c == round((degrees - 32) * 5 / 9, 1)


@given(st.sampled_from(["1", "2", "3"]), st.sampled_from(["", " 谢谢", "。", "!", " thanks", "，谢谢您"]))
def test_a_menu_digit_with_a_polite_word(digit: str, polite: str) -> None:
    kind = {"1": "well", "2": "unwell", "3": "help"}[digit]
    assert parse_reply(digit + polite).kind == kind


@given(st.integers(min_value=0, max_value=999_999), st.sampled_from(["DONE {}", "done #{}", "完成{}号", "{} done"]))
def test_every_task_number(number: int, form: str) -> None:
    assert parse_reply(form.format(number)) == Intent("done", task_number=number)


@pytest.mark.parametrize(
    ("text", "need"),
    [
        ("\x1b]0;pwned\x07\x1b[2J 3 买药", "买药"),
        ("3 买药\x1b]52;c;aGk=\x07", "买药"),
        ("求助\x00 买\x1b[31m菜\x1b[0m", "买菜"),
    ],
)
def test_a_need_is_read_without_the_terminal_escapes_around_it(text: str, need: str) -> None:
    intent = parse_reply(text, "zh")
    assert (intent.kind, intent.text) == ("help", need)
