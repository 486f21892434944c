"""The operators' terminal UI: `linli` on the configured database, `linli demo` on a fresh demo community.

Decisions:
- The runtime (dispatcher, scheduler, webhooks) runs beside the UI in the same process, so the UI must never take it
  down. When the UI stops on an unexpected error (Textual closes the app on one), sending and receiving go on and
  the operator is told so and asked whether to open the UI again; only a quit (Ctrl+Q, or "q" at that question)
  stops the runtime.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import click
from platformdirs import user_data_dir

from kit import db, ui_words
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_plain

log = logging.getLogger(__name__)


def ui_stopped(language: str) -> str:
    """The question asked when the screen closed on an error, in `language` (the community's)."""
    return ui_words.text(ui_words.base_language(language), "cli.serve.ui_stopped")


def can_show_a_terminal_ui() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def run_operators_ui(kit: Kit) -> None:
    """`linli` with no command: the TUI on the configured database, with the runtime beside it (webhooks only
    when a real gateway needs them)."""
    from linli.runtime import Runtime
    from tui.app import run_tui

    kit.open(create=False, identify=False)  # the UI asks who is on duty itself (tui.screens.login)
    settings = kit.settings
    needs_webhooks = "twilio" in (settings.gateway.sms, settings.gateway.voice) and bool(settings.twilio.public_url)
    runtime = Runtime(settings, webhooks=needs_webhooks).start()
    try:
        keep_serving(lambda: run_tui(settings, scheduler=runtime.scheduler, voice=runtime.gateways.get("voice")))
    finally:
        runtime.stop()


def keep_serving(open_ui: Callable[[], int], ask: Callable[[str], str] = input) -> None:
    """Run the UI (`open_ui` returns its exit code) until the operator quits. The runtime is left running by the
    caller the whole time: when the UI stops on an error, the operator reads that the work goes on, and Enter
    opens the UI again."""
    from kit.community import get_community

    while True:
        try:
            code = open_ui()
        except Exception:  # the UI failed to start or to close: the same as a crash, for the operator
            log.exception("the terminal UI failed")
            code = 1
        if code == 0:
            return
        try:
            answer = ask(ui_stopped(get_community().language))
        except (EOFError, KeyboardInterrupt):
            return
        if answer.strip().lower() in ("q", "quit", "退出"):
            return


def demo_path() -> Path:
    """The demo's own database: never the community's real one."""
    return Path(user_data_dir("linli", appauthor=False)) / "linli-demo.sqlite3"


@click.command("demo")
@click.option("--residents", default=2000, show_default=True, help="How many residents the demo community has.")
@click.option("--keep", is_flag=True, help="Open the demo database from last time instead of a fresh one.")
@pass_kit
def demo(kit: Kit, residents: int, keep: bool) -> None:
    """Open the terminal UI on a fresh demo community, on the simulator gateway (no account, no network).

    The demo lives in its own database (linli-demo.sqlite3 in the user data folder, or --db), made anew each
    time unless --keep. Today's check-in round starts at once; answer as a resident in the Simulator panel and
    watch Today change.

    \b
    Example:
      linli demo --residents 2000
    """
    from kit.demo import DEMO_COMMUNITY
    from linli.runtime import Runtime
    from tui.app import prepare_demo, run_tui

    ui_words.use_language(DEMO_COMMUNITY[3][0])  # the demo community's words, before it exists
    if not can_show_a_terminal_ui():
        raise click.UsageError(ui_words.say("cli.demo.needs_terminal"))
    path = Path(kit.db_option) if kit.db_option else demo_path()
    if not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    settings = kit.settings
    simulated = dataclasses.replace(
        settings,
        gateway=dataclasses.replace(settings.gateway, sms="simulator", voice="simulator"),
        # Nothing leaves the laptop, so the demo need not wait for a carrier's pace.
        dispatch=dataclasses.replace(settings.dispatch, rate_per_second=max(settings.dispatch.rate_per_second, 50.0)),
    )
    db.connect(path)
    echo_plain(ui_words.say("cli.demo.preparing", path=path))
    prepare_demo(simulated, residents)
    runtime = Runtime(simulated, webhooks=False).start()
    try:
        keep_serving(lambda: run_tui(simulated, scheduler=runtime.scheduler, voice=runtime.gateways.get("voice")))
    finally:
        runtime.stop()
