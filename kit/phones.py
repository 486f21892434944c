"""Phone numbers as people write them, normalised to E.164 with phonenumbers.

Accepts spaces, dashes, dots, brackets, full-width digits, a leading 0, +86 or 0086. Rejects impossible numbers
with a reason a volunteer can act on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import phonenumbers
from babel import Locale, UnknownLocaleError
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat, PhoneNumberType, ValidationResult

from kit.errors import InvalidPhone

_ALLOWED = re.compile(r"^[0-9+()\-.\s/]+$")
# Between two numbers in one cell: whitespace, a slash, a comma, a semicolon, 、 or a bar (full-width forms are
# already folded to ASCII by NFKC).
_BETWEEN_NUMBERS = re.compile(r"[\s/,;、|]+")
_TRAILING_DOT_ZERO = re.compile(r"^\d{7,}\.0$")  # Excel turned the number into a float
_REASONS = {  # the key of each reason a number is not possible (data/ui/*/errors.toml, [errors.phone])
    ValidationResult.TOO_SHORT: "phone.too_short",
    ValidationResult.TOO_LONG: "phone.too_long",
    ValidationResult.INVALID_COUNTRY_CODE: "phone.bad_country_code",
    ValidationResult.INVALID_LENGTH: "phone.wrong_length",
}


def normalize_phone(raw: str | int | float | None, region: str = "CN") -> str:
    """`raw` as E.164 ('+8613800138000'); raises InvalidPhone saying why when it cannot be a real number."""
    text = _clean(raw)
    if not text:
        raise InvalidPhone("phone.empty")
    if _digit_count(text) >= 14 and sum(_digit_count(piece) >= 7 for piece in _BETWEEN_NUMBERS.split(text)) > 1:
        raise InvalidPhone("phone.more_than_one", raw=raw)
    if not _ALLOWED.match(text):
        raise InvalidPhone("phone.letters", raw=raw)
    if text.count("+") > 1 or ("+" in text and not text.lstrip("(").startswith("+")):
        raise InvalidPhone("phone.more_than_one", raw=raw)
    return _parse(text, region.upper())


def _clean(raw: str | int | float | None) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float):
        raw = f"{raw:.0f}" if raw.is_integer() else str(raw)
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    text = text.replace("\u00a0", " ")
    if _TRAILING_DOT_ZERO.match(text):
        text = text[:-2]
    return text


def _digit_count(text: str) -> int:
    return sum(map(str.isdigit, text))


@lru_cache(maxsize=4096)
def _parse(text: str, region: str) -> str:
    fast = _national_fast_path(text, region)
    if fast is not None:
        return fast
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise InvalidPhone("phone.not_a_number", raw=text) from None
    if not phonenumbers.is_valid_number(number):
        raise _why_invalid(text, number, region)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


_SEPARATORS = str.maketrans("", "", " -.")


@lru_cache(maxsize=64)
def _region_patterns(region: str) -> tuple[str, list[re.Pattern[str]], re.Pattern[str] | None] | None:
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None
    patterns = [
        re.compile(desc.national_number_pattern)
        for desc in (metadata.mobile, metadata.fixed_line)
        if desc is not None and desc.national_number_pattern
    ]
    prefix = re.compile(metadata.national_prefix_for_parsing) if metadata.national_prefix_for_parsing else None
    return str(metadata.country_code), patterns, prefix


def _national_fast_path(text: str, region: str) -> str | None:
    """The E.164 form of a plain national number that fully matches the region's own mobile or fixed-line
    pattern from phonenumbers' metadata (what is_valid_number checks), skipping the general parser; None when
    the number needs the full parse (a prefix, a country code, anything unusual)."""
    digits = text.translate(_SEPARATORS)
    known = _region_patterns(region)
    if not digits.isascii() or not digits.isdigit() or known is None:
        return None
    country_code, patterns, national_prefix = known
    if digits.startswith(country_code) or (national_prefix is not None and national_prefix.match(digits)):
        return None
    if any(pattern.fullmatch(digits) for pattern in patterns):
        return f"+{country_code}{digits}"
    return None


def _why_invalid(text: str, number: phonenumbers.PhoneNumber, region: str) -> InvalidPhone:
    reason = phonenumbers.is_possible_number_with_reason(number)
    where = _country_name(_region_of(number, region))
    if reason not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        return InvalidPhone(_REASONS.get(reason, "phone.not_possible"), raw=text, where=where)
    digits = sum(ch.isdigit() for ch in text)
    return InvalidPhone("phone.not_valid", raw=text, digits=digits, where=where)


def _country_name(region: str) -> Callable[[str], str]:
    """The name of the country `region` (CN, GB) in a language: 中国, United Kingdom; the code when Babel has none."""

    def name(language: str) -> str:
        try:
            return str(Locale.parse(language).territories.get(region, region))
        except (ValueError, UnknownLocaleError):
            return region

    return name


def _region_of(number: phonenumbers.PhoneNumber, default: str) -> str:
    return phonenumbers.region_code_for_country_code(number.country_code or 0) or default


def display_phone(e164: str | None) -> str:
    """A stored number the way a volunteer reads it ('+86 138 0013 8000')."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), PhoneNumberFormat.INTERNATIONAL)
    except NumberParseException:
        return e164


def is_valid_region(region: str) -> bool:
    return region.upper() in phonenumbers.SUPPORTED_REGIONS


# --- numbers that cannot take an SMS (kit.landlines) ----------------------------------------------------------------

LANDLINE = "landline"  # the tag (data/vocabulary.toml) of a resident whose number cannot take SMS
_TAKES_SMS = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


@lru_cache(maxsize=64)
def _mobile_pattern(country_code: int) -> re.Pattern[str] | None:
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.mobile is None or not metadata.mobile.national_number_pattern:
        return None
    return re.compile(metadata.mobile.national_number_pattern)


@lru_cache(maxsize=4096)
def takes_sms(e164: str) -> bool:
    """Whether the stored number (E.164) can receive an SMS; False for a landline or a service number."""
    digits = e164.lstrip("+")
    for size in (1, 2, 3):  # country codes are prefix-free: the first that exists is the one
        code = int(digits[:size]) if digits[:size].isdigit() else 0
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            pattern = _mobile_pattern(code)
            if pattern is not None and pattern.fullmatch(digits[size:]):
                return True
            break
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return False
    return phonenumbers.number_type(number) in _TAKES_SMS


_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def sender_number(region: Callable[[], str]) -> Callable[[str], str]:
    """How an inbound message's sender is written: in E.164 when it can be, else as it came. Providers send E.164
    already; the simulator, a modem and people may not. `region` (the community's) is asked once, when first
    needed."""
    known: list[str] = []

    def number(peer: str) -> str:
        written = peer.strip()
        if _E164.match(written):
            return written
        if not known:
            known.append(region())
        try:
            return normalize_phone(peer, known[0])
        except InvalidPhone:
            return written

    return number
