"""Addresses as registers write them in one cell, split into building, unit and room.

`split_address("3栋2单元401")` is `Address("3", "2", "401")`; so are `3-2-401`, `3号楼2单元401室`, `Block 3, 2-401`
and the same with full-width digits. Anything else is `None`.

Decisions:
- Only whole, unambiguous shapes are split. `3-401` (building and room, or unit and room?), `3楼401` (the third
  floor?) and an address with a street or estate name in front are not: the caller keeps such an address whole and
  says so, because a wrong household is worse than one a volunteer has to tidy by hand.
- Letters in a building or room (A栋, 401B) are upper-cased and digits are kept as written (03 stays 03): the
  parts are names, not numbers, and the same household must come out of the same text every time.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple


class Address(NamedTuple):
    building: str
    unit: str
    room: str


_PART = r"(?:[0-9]{1,4}|[A-Z]{1,2}[0-9]{0,3})"
_ROOM = r"[0-9]{1,5}[A-Z]?"
_DASH = r"\s*[-‐‑–—]\s*"
_GAP = r"[\s,，、]*"

_SHAPES = [
    # 3栋2单元401, 3号楼2单元401室, 3幢401, A座2单元1201号
    re.compile(rf"(?P<b>{_PART}){_GAP}(?:号楼|栋|幢|座){_GAP}(?:(?P<u>{_PART}){_GAP}单元{_GAP})?(?P<r>{_ROOM})"
               rf"{_GAP}(?:室|号|房)?"),
    # 3-2-401, A-2-401室
    re.compile(rf"(?P<b>{_PART}){_DASH}(?P<u>{_PART}){_DASH}(?P<r>{_ROOM}){_GAP}(?:室|号)?"),
    # Block 3, 2-401; Bldg 3 Unit 2 Room 401; Building 3, Room 401
    re.compile(
        rf"(?:BLOCK|BLK|BLDG|BUILDING|TOWER)\.?{_GAP}(?P<b>{_PART}){_GAP}"
        rf"(?:(?P<u>{_PART}){_DASH}|(?:UNIT|ENTRANCE)\.?{_GAP}(?P<u2>{_PART}){_GAP})?"
        rf"(?:ROOM|RM|FLAT|APT|#)?\.?{_GAP}(?P<r>{_ROOM})"
    ),
]  # fmt: skip


def split_address(text: str) -> Address | None:
    """The building, unit and room of an address in one of the shapes above (unit empty when the address has
    none); None when the text is not one of them."""
    folded = " ".join(unicodedata.normalize("NFKC", text).upper().split())
    for shape in _SHAPES:
        match = shape.fullmatch(folded)
        if match:
            groups = match.groupdict()
            return Address(groups["b"], groups.get("u2") or groups["u"] or "", groups["r"])
    return None
