from __future__ import annotations

import pytest

from kit.segments import SegmentInfo, analyze, fits_one_segment, gsm_suggestions

HAN = "邻"  # any BMP character outside GSM-7: one UTF-16 unit
EMOJI = "😜"  # U+1F61C, astral: a surrogate pair, two UTF-16 units
CHECKIN_PROMPT = "请回复：1 身体好，2 发烧或咳嗽，3 需要帮助。"


def digits(n: int) -> str:
    """The filler of the TwilioDevEd message-segment-calculator test bodies: '2345678901...'."""
    return ("2345678901" * 20)[:n]


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "units"),
    [
        pytest.param("", "GSM-7", 0, 0, id="empty"),
        pytest.param("hello", "GSM-7", 1, 5, id="hello"),
        pytest.param("a" * 160, "GSM-7", 1, 160, id="160 GSM chars"),
        pytest.param("a" * 161, "GSM-7", 2, 161, id="161 GSM chars"),
        pytest.param("a" * 306, "GSM-7", 2, 306, id="306 GSM chars"),
        pytest.param("a" * 307, "GSM-7", 3, 307, id="307 GSM chars"),
        # TwilioDevEd/message-segment-calculator tests/index.test.js TestData
        pytest.param("{" + digits(158), "GSM-7", 1, 160, id="twilio escape in one segment"),
        pytest.param("{" + digits(159), "GSM-7", 2, 161, id="twilio escape in two segments"),
        pytest.param(EMOJI + digits(68), "UCS-2", 1, 70, id="twilio UCS-2 in one segment"),
        pytest.param(EMOJI + digits(69), "UCS-2", 2, 71, id="twilio UCS-2 in two segments"),
        # An escape pair ending exactly on the 153-septet boundary stays in part 1...
        pytest.param("a" * 151 + "{" + "a" * 152, "GSM-7", 2, 305, id="escape ends part 1"),
        # ...one septet later it would straddle it and moves whole to part 2: 152 | 2+151 | 1.
        pytest.param("a" * 152 + "{" + "a" * 152, "GSM-7", 3, 306, id="escape straddles 153"),
        pytest.param("€", "GSM-7", 1, 2, id="euro counts 2"),
        pytest.param("€" * 80, "GSM-7", 1, 160, id="80 euros in one part"),
        pytest.param("€" * 81, "GSM-7", 2, 162, id="81 euros in two parts"),
        # 153 septets hold 76 euro signs, not 76.5: 76 | 76 | 1.
        pytest.param("€" * 153, "GSM-7", 3, 306, id="153 euros in three parts"),
        pytest.param("\f^{}\\[~]|€", "GSM-7", 1, 20, id="whole extension table"),
        pytest.param("Ç", "GSM-7", 1, 1, id="capital C cedilla is GSM"),
        pytest.param("ç", "UCS-2", 1, 1, id="small c cedilla is not"),
        pytest.param(HAN * 70, "UCS-2", 1, 70, id="70 Chinese chars"),
        pytest.param(HAN * 71, "UCS-2", 2, 71, id="71 Chinese chars"),
        pytest.param(HAN * 134, "UCS-2", 2, 134, id="134 Chinese chars"),
        pytest.param(HAN * 135, "UCS-2", 3, 135, id="135 Chinese chars"),
        pytest.param("It’s fine", "UCS-2", 1, 9, id="one smart quote"),
        pytest.param("OK 👍", "UCS-2", 1, 5, id="one emoji"),
        # A surrogate pair ending exactly on the 67-unit boundary stays in part 1...
        pytest.param("a" * 65 + EMOJI + "a" * 67, "UCS-2", 2, 134, id="emoji ends part 1"),
        # ...one unit later it would be split, so it moves whole to part 2: 66 | 2+65 | 1.
        pytest.param("a" * 66 + EMOJI + "a" * 66, "UCS-2", 3, 134, id="emoji straddles 67"),
        pytest.param(EMOJI * 35, "UCS-2", 1, 70, id="35 emoji in one part"),
        # 67 units hold 33 emoji: 33 | 3.
        pytest.param(EMOJI * 36, "UCS-2", 2, 72, id="36 emoji in two parts"),
        pytest.param(CHECKIN_PROMPT, "UCS-2", 1, 25, id="check-in prompt"),
    ],
)
def test_analyze(text: str, encoding: str, segments: int, units: int) -> None:
    info = analyze(text)

    assert (info.encoding, info.segments, info.units) == (encoding, segments, units)


@pytest.mark.parametrize(
    ("text", "per_segment"),
    [
        ("", 160),
        ("a" * 160, 160),
        ("a" * 161, 153),
        (HAN * 70, 70),
        (HAN * 71, 67),
    ],
)
def test_per_segment_is_the_limit_that_applied(text: str, per_segment: int) -> None:
    assert analyze(text).per_segment == per_segment


@pytest.mark.parametrize(
    ("text", "non_gsm"),
    [
        ("hello {world} €5 Ç", ()),
        ("It’s fine", ("’",)),
        ("OK 👍", ("👍",)),
        ("ça va", ("ç",)),
        ("“Stay” – “home”", ("“", "”", "–")),
        ("请回复：1 身体好，2", ("请", "回", "复", "：", "身", "体", "好", "，")),
    ],
)
def test_non_gsm_names_distinct_culprits_in_order(text: str, non_gsm: tuple[str, ...]) -> None:
    assert analyze(text).non_gsm == non_gsm


def test_check_in_prompt_is_one_segment() -> None:
    assert fits_one_segment(CHECKIN_PROMPT)
    assert analyze(CHECKIN_PROMPT).segments == 1


@pytest.mark.parametrize(
    ("text", "fits"),
    [
        ("", True),
        ("a" * 160, True),
        ("a" * 161, False),
        ("a" * 159 + "€", False),
        (HAN * 70, True),
        (HAN * 69 + EMOJI, False),
    ],
)
def test_fits_one_segment(text: str, fits: bool) -> None:
    assert fits_one_segment(text) is fits


def test_as_dict() -> None:
    info = SegmentInfo("UCS-2", 1, 9, 70, ("’",))

    assert info.as_dict() == {
        "encoding": "UCS-2",
        "segments": 1,
        "units": 9,
        "per_segment": 70,
        "non_gsm": ["’"],
    }


@pytest.mark.parametrize(
    ("text", "suggestions"),
    [
        ("plain GSM text", {}),
        ("It’s fine", {"’": "'"}),
        ("“Stay home” – it’s safe…", {"“": '"', "”": '"', "–": "-", "’": "'", "…": "..."}),
        ("Bring water—now", {"—": "-"}),
        ("Room\u00a012", {"\u00a0": " "}),
        ("Reply 1！", {"！": "!"}),
        ("请回复", {}),
        ("OK 👍", {}),
    ],
)
def test_gsm_suggestions(text: str, suggestions: dict[str, str]) -> None:
    assert gsm_suggestions(text) == suggestions


def test_applying_suggestions_brings_text_back_to_gsm() -> None:
    text = "“Stay home” – it’s safe… Reply 1\u00a0or\u00a02！"
    for char, stand_in in gsm_suggestions(text).items():
        text = text.replace(char, stand_in)

    info = analyze(text)

    assert text == '"Stay home" - it\'s safe... Reply 1 or 2!'
    assert (info.encoding, info.segments, info.non_gsm) == ("GSM-7", 1, ())
