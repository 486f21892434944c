"""Snapshots of the key screens at 80x24 (fixed clock, fixed demo community): the look, kept from drifting.

Update them after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`, and look at
the SVGs before committing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.pilot import Pilot
from textual.widgets import Input

from kit.checkin import start_round
from kit.config import CheckinSettings
from kit.demo import DemoSummary
from kit.resident_search import find_residents
from sms.router import handle
from tests.tui.conftest import MakeApp, settle

SIZE = (80, 24)

SnapCompare = Callable[..., bool]  # pytest-textual-snapshot's fixture (its own annotation names only `app`)


def busy_morning() -> None:
    """Today's round started; one resident reports a fever, one asks for help, one is well."""
    start_round(settings=CheckinSettings())
    phones = [view.phone for view in find_residents(limit=20) if view.phone][:3]
    for number, (phone, body) in enumerate(zip(phones, ("2 38.9", "3 买药", "1"))):
        handle("simulator", f"SNAP-{number}", phone, body)


def go(screen: str, *keys: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.app.switch_mode(screen)
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor would make the picture depend on the moment
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


def test_today_zh(town: DemoSummary, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    busy_morning()
    assert snap_compare(make_app("zh"), terminal_size=SIZE, run_before=go("today"))


def test_today_en(town: DemoSummary, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    busy_morning()
    assert snap_compare(make_app("en"), terminal_size=SIZE, run_before=go("today"))


def test_residents_zh(town: DemoSummary, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    busy_morning()
    assert snap_compare(make_app("zh"), terminal_size=SIZE, run_before=go("residents", "enter"))


def test_tasks_en(town: DemoSummary, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    busy_morning()
    assert snap_compare(make_app("en"), terminal_size=SIZE, run_before=go("tasks"))


def test_inbox_en(town: DemoSummary, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    busy_morning()
    assert snap_compare(make_app("en"), terminal_size=SIZE, run_before=go("inbox"))


def test_notices_zh(town: DemoSummary, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    busy_morning()
    assert snap_compare(make_app("zh"), terminal_size=SIZE, run_before=go("notices"))


def test_volunteers_zh(town: DemoSummary, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    busy_morning()
    assert snap_compare(make_app("zh"), terminal_size=SIZE, run_before=go("volunteers"))
