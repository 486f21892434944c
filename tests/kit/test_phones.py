from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from phonenumbers import NumberParseException, PhoneNumberFormat

from kit.errors import InvalidPhone
from kit.phones import _national_fast_path, display_phone, is_valid_region, normalize_phone

MOBILE = "+8613800138000"
BEIJING = "+861012345678"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("13800138000", id="plain"),
        pytest.param("138 0013 8000", id="spaces"),
        pytest.param("138-0013-8000", id="dashes"),
        pytest.param("138.0013.8000", id="dots"),
        pytest.param("(138) 0013 8000", id="brackets"),
        pytest.param("（138）0013-8000", id="full-width brackets"),
        pytest.param("１３８００１３８０００", id="full-width digits"),
        pytest.param("１３８－００１３－８０００", id="full-width digits and dashes"),
        pytest.param("013800138000", id="leading 0"),
        pytest.param("+86 138 0013 8000", id="+86"),
        pytest.param("+8613800138000", id="E.164"),
        pytest.param("0086 138 0013 8000", id="0086"),
        pytest.param("86 138 0013 8000", id="86 without plus"),
        pytest.param("8613800138000", id="86 run together"),
        pytest.param(13800138000.0, id="Excel float"),
        pytest.param("13800138000.0", id="Excel float as text"),
        pytest.param(13800138000, id="int"),
        pytest.param("138\u00a00013\u00a08000", id="NBSP"),
        pytest.param("  13800138000\t", id="surrounding whitespace"),
    ],
)
def test_mobile_numbers_as_people_write_them(raw: object) -> None:
    assert normalize_phone(raw) == MOBILE  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("010-12345678", BEIJING, id="Beijing with dash"),
        pytest.param("01012345678", BEIJING, id="Beijing run together"),
        pytest.param("(010) 1234 5678", BEIJING, id="Beijing with brackets"),
        pytest.param("+86 10 1234 5678", BEIJING, id="Beijing international"),
        pytest.param("010/12345678", BEIJING, id="Beijing with slash"),
        pytest.param("021-87654321", "+862187654321", id="Shanghai"),
    ],
)
def test_landlines(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


def test_region_decides_how_national_numbers_are_read() -> None:
    assert normalize_phone("(212) 555-0123", "US") == "+12125550123"
    assert normalize_phone("(212) 555-0123", "us") == "+12125550123"
    # With the international form the default region does not matter.
    assert normalize_phone("+86 138 0013 8000", "US") == MOBILE


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param("", "The phone number is empty.", id="empty"),
        pytest.param("   ", "The phone number is empty.", id="blank"),
        pytest.param(None, "The phone number is empty.", id="None"),
        pytest.param("abc", "'abc' is not a phone number: it has letters or symbols in it.", id="letters"),
        pytest.param("tel:13800138000", "it has letters or symbols in it", id="letters before"),
        pytest.param("138 0013 8000 转 1", "it has letters or symbols in it", id="extension in Chinese"),
        pytest.param("1380", "'1380' is too short for a phone number in China.", id="too short"),
        pytest.param("+86 138", "is too short for a phone number in China", id="too short with +86"),
        pytest.param("1380013800012345", "'1380013800012345' is too long for a phone number in China.", id="too long"),
        pytest.param("+8613800138000+8613900139000", "looks like more than one number; enter one", id="two plus"),
        pytest.param("13800138000 13900139000", "looks like more than one number; enter one", id="two, space"),
        pytest.param("13800138000/13900139000", "looks like more than one number; enter one", id="two, slash"),
        pytest.param("13800138000,13900139000", "looks like more than one number; enter one", id="two, comma"),
        pytest.param("13800138000，13900139000", "looks like more than one number; enter one", id="two, full comma"),
        pytest.param("13800138000、13900139000", "looks like more than one number; enter one", id="two, 、"),
        pytest.param("13800138000;13900139000", "looks like more than one number; enter one", id="two, semicolon"),
        pytest.param("138-0013-8000 139-0013-9000", "looks like more than one number", id="two with dashes"),
        pytest.param("13800138000\n13900139000", "looks like more than one number", id="two lines in a cell"),
        pytest.param(
            "12345678901", "'12345678901' (11 digits) is not a valid number in China; check the digits.", id="11"
        ),
        pytest.param("1380013800", "(10 digits) is not a valid number in China", id="10 digits"),
        pytest.param("138001380001", "(12 digits) is not a valid number in China", id="12 digits"),
    ],
)
def test_rejects_say_why(raw: str | None, reason: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(raw)
    assert reason in caught.value.message
    assert caught.value.title == "Phone number not accepted"


def test_a_float_that_is_not_whole_is_not_rounded_into_a_number() -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(13800138000.5)


def test_display_phone() -> None:
    assert display_phone(MOBILE) == "+86 138 0013 8000"
    assert display_phone(BEIJING) == "+86 10 1234 5678"
    assert display_phone(None) == ""
    assert display_phone("") == ""
    assert display_phone("nonsense") == "nonsense"


def test_is_valid_region() -> None:
    assert is_valid_region("CN")
    assert is_valid_region("cn")
    assert not is_valid_region("XX")


# --- the fast path never disagrees with phonenumbers ---------------------------------------------------------


def full_parse(text: str, region: str) -> str | None:
    """What phonenumbers itself says: the E.164 form of a valid number, else None."""
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def ours(text: str, region: str) -> str | None:
    try:
        return normalize_phone(text, region)
    except InvalidPhone:
        return None


PREFIXES = st.sampled_from(["", "", "1", "13", "0", "01", "010", "86", "861", "0086", "00", "+86", "+1", "+44"])
REGIONS = st.sampled_from(["CN", "CN", "CN", "US", "GB", "DE", "HK", "IT", "JP"])


@settings(max_examples=600, deadline=None)
@given(prefix=PREFIXES, digits=st.text(alphabet="0123456789", min_size=0, max_size=15), region=REGIONS)
@example(prefix="", digits="13800138000", region="CN")
@example(prefix="", digits="1012345678", region="CN")
@example(prefix="0", digits="13800138000", region="CN")
@example(prefix="", digits="2125550123", region="US")
def test_normalize_phone_agrees_with_phonenumbers(prefix: str, digits: str, region: str) -> None:
    text = prefix + digits
    expected = full_parse(text, region)
    fast = _national_fast_path(text, region)
    if fast is not None:  # the fast path may decline, but when it answers it must be right
        assert fast == expected
    # normalize_phone caches _parse; a cached answer must be the same answer.
    assert ours(text, region) == expected
    assert ours(text, region) == expected


def test_the_fast_path_answers_plain_national_numbers_and_declines_the_rest() -> None:
    assert _national_fast_path("13800138000", "CN") == MOBILE
    assert _national_fast_path("1012345678", "CN") == BEIJING
    assert _national_fast_path("138 0013 8000", "CN") == MOBILE
    assert _national_fast_path("8613800138000", "CN") is None  # country code: the full parser decides
    assert _national_fast_path("013800138000", "CN") is None  # national prefix
    assert _national_fast_path("+8613800138000", "CN") is None
    assert _national_fast_path("１３８００１３８０００", "CN") is None  # not ASCII
    assert _national_fast_path("12345678901", "CN") is None  # no pattern matches
    assert _national_fast_path("13800138000", "ZZ") is None  # no metadata
