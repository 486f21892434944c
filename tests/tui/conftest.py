"""Fixtures for driving the TUI: a small demo community on the fixed clock, and the app at 80x24."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import textual._wait
from textual.app import App
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from kit.config import Settings
from kit.demo import DemoSummary, generate_demo
from kit.models import Community
from tui.app import LinliApp

SIZE = (80, 24)

# Pilot waits for the app to go idle after every key and pause: it sleeps a slice, then checks whether the process
# used under a twentieth of it in CPU, and sleeps again if it did. Textual's slice is 20 ms, which is most of a TUI
# test's time (two waits per key pressed); a 5 ms slice, with the same twentieth, tells idle from busy as well.
IDLE_SLICE = 0.005

MakeApp = Callable[..., LinliApp]


@pytest.fixture(autouse=True)
def quick_idle_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pilot's idle check in 5 ms slices rather than 20 ms (see IDLE_SLICE)."""
    monkeypatch.setattr(textual._wait, "SLEEP_GRANULARITY", IDLE_SLICE)
    monkeypatch.setattr(textual._wait, "SLEEP_IDLE", IDLE_SLICE / 20)


@pytest.fixture
def town(community: Community) -> DemoSummary:
    """The community fixture filled with 300 demo residents and their volunteers (the same every time)."""
    return generate_demo(300, seed=3)


@pytest.fixture
def make_app() -> MakeApp:
    """A LinliApp that polls and ticks quickly enough for tests but never on its own clock."""

    def make(language: str = "en", **options: Any) -> LinliApp:
        options.setdefault("watch_clock", False)
        options.setdefault("inbox_poll_seconds", 0.5)
        options.setdefault("pause_scale", 0.0)
        options.setdefault("zone", ZoneInfo("Asia/Shanghai"))
        options.setdefault("community_name", "幸福里社区")
        return LinliApp(Settings(), language=language, actor="test-operator", **options)

    return make


async def settle(pilot: Pilot[None], rounds: int = 4) -> None:
    """Let timers fire and workers finish (and the workers they start), without sleeping."""
    for _ in range(rounds):
        await pilot.pause()
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:  # a newer search or detail replaced one being waited for: wait for the rest
            await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def screen_text(app: App[None]) -> str:
    """What the terminal shows now, as plain text (one line per row)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)
