"""How many SMS parts a text costs, and why.

Organizers see this before a broadcast goes out: one Chinese character or one curly quote turns a
160-character GSM-7 message into a 70-unit UCS-2 one, and every extra part is paid for per recipient.

Parts are counted by packing characters the way a phone or SMSC does (3GPP TS 23.038 / 23.040):
an escaped GSM-7 character and a UTF-16 surrogate pair are never split across two parts, so a
long text can need one part more than plain division suggests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from kit.jsonable import record_dict

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 default alphabet, basic set, in code order (0x1B, the escape to the extension table, left out).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each is sent as ESC + code, so it costs two septets.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_LIMIT: dict[Encoding, int] = {"GSM-7": 160, "UCS-2": 70}
# A multipart message gives 6 octets of each part to the concatenation header.
MULTIPART_LIMIT: dict[Encoding, int] = {"GSM-7": 153, "UCS-2": 67}

# Look-alikes people paste from word processors and phones, with a GSM-7 stand-in.
_GSM_STAND_INS = {
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark, also the typographic apostrophe
    "\u201a": ",",  # single low-9 quotation mark
    "\u201b": "'",  # single high-reversed-9 quotation mark
    "\u2032": "'",  # prime
    "\u00b4": "'",  # acute accent
    "`": "'",
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u201e": '"',  # double low-9 quotation mark
    "\u201f": '"',  # double high-reversed-9 quotation mark
    "\u2033": '"',  # double prime
    "\u00ab": '"',  # left-pointing double angle quotation mark
    "\u00bb": '"',  # right-pointing double angle quotation mark
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    "\u2022": "-",  # bullet
    "\u2026": "...",  # horizontal ellipsis
    "\u00a0": " ",  # no-break space
    "\u2002": " ",  # en space
    "\u2003": " ",  # em space
    "\u2009": " ",  # thin space
    "\u202f": " ",  # narrow no-break space
    "\u3000": " ",  # ideographic space
    "\t": " ",
    "\u200b": "",  # zero-width space
    "\u00ad": "",  # soft hyphen
    "\ufeff": "",  # byte-order mark / zero-width no-break space
    "\u3001": ",",  # ideographic comma
    "\u3002": ".",  # ideographic full stop
}


@dataclass(frozen=True)
class SegmentInfo:
    """What a text costs as SMS."""

    encoding: Encoding
    segments: int
    """Number of SMS parts (0 for the empty text)."""
    units: int
    """Septets for GSM-7 (extension characters count 2), UTF-16 code units for UCS-2."""
    per_segment: int
    """The per-part limit that applied: 160/153 for GSM-7, 70/67 for UCS-2."""
    non_gsm: tuple[str, ...]
    """Distinct characters that forced UCS-2, in order of first appearance (empty when GSM-7)."""

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self)


def analyze(text: str) -> SegmentInfo:
    """Encoding, part count and size of `text` as one SMS (or a concatenated one)."""
    non_gsm = tuple(dict.fromkeys(ch for ch in text if ch not in GSM_BASIC and ch not in GSM_EXTENSION))
    encoding: Encoding = "UCS-2" if non_gsm else "GSM-7"
    costs = [_cost(ch, encoding) for ch in text]
    units = sum(costs)
    if units <= SINGLE_LIMIT[encoding]:
        return SegmentInfo(encoding, 1 if text else 0, units, SINGLE_LIMIT[encoding], non_gsm)
    limit = MULTIPART_LIMIT[encoding]
    return SegmentInfo(encoding, _pack(costs, limit), units, limit, non_gsm)


def fits_one_segment(text: str) -> bool:
    """True when `text` goes out as a single SMS (the empty text included)."""
    return analyze(text).segments <= 1


def gsm_suggestions(text: str) -> dict[str, str]:
    """Replacements that would keep a text in GSM-7: smart quotes → straight quotes, en/em dash → '-',
    ellipsis → '...', non-breaking space → space, full-width punctuation → ASCII, etc.

    Only for characters present in `text`, in order of first appearance. Characters with no
    stand-in (Chinese, emoji) are left out, so applying every suggestion does not always reach GSM-7.
    """
    suggestions: dict[str, str] = {}
    for ch in text:
        if ch not in suggestions and (stand_in := _stand_in(ch)) is not None:
            suggestions[ch] = stand_in
    return suggestions


def _cost(ch: str, encoding: Encoding) -> int:
    if encoding == "GSM-7":
        return 2 if ch in GSM_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1  # astral characters are a UTF-16 surrogate pair


def _pack(costs: list[int], limit: int) -> int:
    """Number of parts when characters are packed in order and none is split across two parts."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > limit:
            parts, used = parts + 1, 0
        used += cost
    return parts


def _stand_in(ch: str) -> str | None:
    if ch in _GSM_STAND_INS:
        return _GSM_STAND_INS[ch]
    if "\uff01" <= ch <= "\uff5e":  # full-width ASCII, common in Chinese input methods
        ascii_ch = chr(ord(ch) - 0xFEE0)
        if ascii_ch in GSM_BASIC or ascii_ch in GSM_EXTENSION:
            return ascii_ch
    return None
