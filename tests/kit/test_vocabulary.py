from __future__ import annotations

import pytest

from kit.errors import ValidationError
from kit.vocabulary import (
    fold,
    known_tags,
    normalize_language,
    normalize_monitoring,
    normalize_status,
    normalize_tag,
    parse_tags,
)


def test_fold() -> None:
    assert fold("  Elderly   ALONE ") == "elderly alone"
    assert fold("ＮＯ　ＰＨＯＮＥ") == "no phone"  # full-width letters and ideographic space


def test_known_tags() -> None:
    assert known_tags() == [
        "cannot-read",
        "chronic",
        "dialysis",
        "disabled",
        "elderly-alone",
        "front-line-family",
        "landline",
        "no-phone",
        "pregnant",
        "very-old",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("独居老人、慢性病", ["elderly-alone", "chronic"], id="Chinese with 、"),
        pytest.param("独居老人，慢性病", ["elderly-alone", "chronic"], id="full-width comma"),
        pytest.param("行动不便|孕妇", ["disabled", "pregnant"], id="bar"),
        pytest.param("高龄；透析", ["very-old", "dialysis"], id="full-width semicolon"),
        pytest.param("elderly alone, Chronic Illness", ["elderly-alone", "chronic"], id="English"),
        pytest.param("独居,独居老人; 空巢老人", ["elderly-alone"], id="repeats dropped"),
        pytest.param("ＮＯ　ＰＨＯＮＥ", ["no-phone"], id="full-width letters"),
        pytest.param("Needs Wheelchair / 透析", ["needs-wheelchair", "dialysis"], id="free tag"),
        pytest.param("Needs_Wheelchair", ["needs-wheelchair"], id="free tag with underscore"),
        pytest.param("chronic", ["chronic"], id="canonical"),
        pytest.param("", [], id="empty"),
        pytest.param("、、 ,", [], id="only separators"),
        pytest.param(None, [], id="None"),
        pytest.param(["elderly alone", "慢病", "elderly-alone"], ["elderly-alone", "chronic"], id="list"),
    ],
)
def test_parse_tags(raw: str | list[str] | None, expected: list[str]) -> None:
    assert parse_tags(raw) == expected


def test_normalize_tag() -> None:
    assert normalize_tag("  Low Vision ") == "cannot-read"
    assert normalize_tag("!!!") == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("中文", "zh"),
        ("汉语", "zh"),
        ("普通话", "zh"),
        ("Chinese", "zh"),
        ("ZH-CN", "zh"),
        ("zh", "zh"),
        ("英文", "en"),
        ("English", "en"),
        ("en-GB", "en"),
        ("fr", "fr"),  # any two- or three-letter code is accepted as a code
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalize_language(raw: str | None, expected: str | None) -> None:
    assert normalize_language(raw) == expected


def test_normalize_language_errors() -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_language("Klingon")
    assert caught.value.message == "'Klingon' is not a language code such as zh or en."
    assert caught.value.field == "language"
    with pytest.raises(ValidationError) as caught:
        normalize_language("fr", ["zh", "en"])
    assert caught.value.message == "Language 'fr' is not one this community uses (zh, en)."
    assert caught.value.field == "language"
    assert normalize_language("英语", ["zh", "en"]) == "en"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("绿码", "green"),
        ("绿", "green"),
        ("正常", "green"),
        ("G", "green"),
        ("黄码", "yellow"),
        ("Yellow", "yellow"),
        ("红色", "red"),
        ("r", "red"),
        ("", None),
        (None, None),
    ],
)
def test_normalize_status(raw: str | None, expected: str | None) -> None:
    assert normalize_status(raw) == expected


def test_normalize_status_error() -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_status("purple")
    assert caught.value.message == "'purple' is not a health status; use one of: green, yellow, red."
    assert caught.value.field == "status"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("密接", "close_contact"),
        ("密切接触者", "close_contact"),
        ("Close-Contact", "close_contact"),
        ("close contact", "close_contact"),
        ("close_contact", "close_contact"),
        ("居家隔离", "home_quarantine"),
        ("home quarantine", "home_quarantine"),
        ("Quarantine", "home_quarantine"),
        ("确诊", "confirmed"),
        ("阳性", "confirmed"),
        ("康复", "recovered"),
        ("解除隔离", "recovered"),
        ("无", "none"),
        ("-", "none"),
        ("", "none"),
        (None, None),
    ],
)
def test_normalize_monitoring(raw: str | None, expected: str | None) -> None:
    assert normalize_monitoring(raw) == expected


def test_normalize_monitoring_error() -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_monitoring("住院")
    assert caught.value.message == (
        "'住院' is not a monitoring category; use one of: none, close_contact, home_quarantine, confirmed, recovered."
    )
    assert caught.value.field == "monitoring"


def test_a_word_from_another_table_is_not_accepted() -> None:
    # "zh" is a language, not a health status: the lookup is per table.
    with pytest.raises(ValidationError):
        normalize_status("中文")
    with pytest.raises(ValidationError):
        normalize_monitoring("red")
