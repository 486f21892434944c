"""The voice package's fences: the menus and their rendering need no kit but its pure health rules (`kit.health`, no
database); nothing in ivr needs the terminal UI."""

from __future__ import annotations

import subprocess
import sys

PURE = ("ivr.state", "ivr.flows", "ivr.prompts", "ivr.twiml")
ALL = (*PURE, "ivr.calls", "ivr.outcomes", "ivr.webhooks", "ivr.twilio_voice", "ivr.simulator")


def imported_after(modules: tuple[str, ...]) -> set[str]:
    code = f"import sys\nfor name in {modules!r}: __import__(name)\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def under(names: set[str], *packages: str) -> set[str]:
    return {name for name in names if name.split(".")[0] in packages}


def test_the_menus_and_their_rendering_need_no_kit() -> None:
    assert under(imported_after(PURE), "kit", "aiohttp", "peewee") <= {"kit", "kit.health"}


def test_nothing_in_ivr_needs_the_terminal_ui() -> None:
    assert under(imported_after(ALL), "textual", "tui", "linli") == set()
