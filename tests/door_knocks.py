"""A small Chinese street whose round puts everybody on the door-knock list: flats out of walking order, two
residents in one flat, a second contact, a grid without a volunteer, and names that are not what they seem."""

from __future__ import annotations

from kit.checkin import start_round
from kit.config import CheckinSettings
from kit.residents import ResidentInput, add_resident
from kit.volunteers import add_volunteer

ESCAPING = "刘\x1b]0;owned\x07叔"  # a terminal escape that would rename the operator's window
SCRIPT = "<script>alert(1)</script>"

# name, building, unit, room, grid, second contact: added out of walking order on purpose
RESIDENTS = (
    ("王芳", "1", "1", "1002", "东区", "+8613800000009"),
    ("李伯", "1", "1", "301", "东区", None),
    ("李婶", "1", "1", "301", "东区", None),
    ("陈姐", "2", "1", "101", "西区", None),
    (SCRIPT, "1", "2", "201", "东区", None),
    (ESCAPING, "1", "1", "1001", "东区", None),
)


def door_knock_street() -> None:
    """The residents above (none with a phone: all go to the door), 张志愿 covering 东区, and today's round."""
    add_volunteer("张志愿", "+8613900000001", grids=["东区"], actor="test")
    for name, building, unit, room, grid, second in RESIDENTS:
        add_resident(
            ResidentInput(name=name, second_phone=second, grid=grid, building=building, unit=unit, room=room),
            actor="test",
        )
    start_round(settings=CheckinSettings())
