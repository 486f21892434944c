"""The operators' terminal UI: `linli` on the configured database, `linli demo` on a fresh demo community."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click
from platformdirs import user_data_dir

from kit import db
from linli.cli.context import Kit, pass_kit


def can_show_a_terminal_ui() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def run_operators_ui(kit: Kit) -> None:
    """`linli` with no command: the TUI on the configured database, with the runtime beside it (webhooks only
    when a real gateway needs them)."""
    from linli.runtime import Runtime
    from tui.app import run_tui

    kit.open(create=False)
    settings = kit.settings
    needs_webhooks = "twilio" in (settings.gateway.sms, settings.gateway.voice) and bool(settings.twilio.public_url)
    runtime = Runtime(settings, webhooks=needs_webhooks).start()
    try:
        run_tui(None, settings, scheduler=runtime.scheduler, voice=runtime.gateways.get("voice"))
    finally:
        runtime.stop()


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
    from linli.runtime import Runtime
    from tui.app import prepare_demo, run_tui

    if not can_show_a_terminal_ui():
        raise click.UsageError("linli demo needs a terminal; run it in a terminal window (or over SSH).")
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
    click.echo(f"Preparing the demo community in {path} ...")
    prepare_demo(simulated, residents)
    runtime = Runtime(simulated, webhooks=False).start()
    try:
        run_tui(None, simulated, scheduler=runtime.scheduler, voice=runtime.gateways.get("voice"))
    finally:
        runtime.stop()
