"""The operators' application: composes the screens, shows failures, and is started by `run_tui`.

Each screen lives in `tui/screens/<name>.py` and is a mode of the app (F1..F7 switch between them, each keeping its
own state). The app itself only holds what every screen shares: the settings, the community's name and time zone,
the scheduler the composition root runs (to show what it does next), and the one place worker failures end up.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from textual import work
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.screen import Screen
from textual.worker import Worker

from kit import clock
from kit.config import Settings
from kit.localtime import sending_held_until, to_local
from kit.outbox import counts_by_status
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.keys_help import KeysHelp, screen_keys
from tui.dialogs.message import MessageDialog
from tui.duty import DutyApp
from tui.i18n import set_language, t, translate_bindings
from tui.screens.inbox import InboxScreen
from tui.screens.notices import NoticesScreen
from tui.screens.residents import ResidentsScreen
from tui.screens.simulator import SimulatorScreen
from tui.screens.tasks import TasksScreen
from tui.screens.today import TodayScreen
from tui.screens.volunteers import VolunteersScreen
from tui.widgets.navbar import SCREENS, NavBar
from tui.workers import deliver, explain, failed, worker_purpose

CLOCK_SECONDS = 20.0
DEMO_RESIDENTS = 2000
UI_THREADS = 3  # worker threads for the screens' database work; each holds its own SQLite connection and cache


class LinliApp(DutyApp):
    """Linli's terminal UI. `language` is the interface language (the community's first language)."""

    CSS_PATH = Path(__file__).with_name("linli.tcss")  # absolute: subclasses elsewhere find it too
    TITLE = "Linli 邻里"
    MODES: ClassVar[dict[str, Any]] = {
        "today": TodayScreen,
        "residents": ResidentsScreen,
        "inbox": InboxScreen,
        "tasks": TasksScreen,
        "notices": NoticesScreen,
        "simulator": SimulatorScreen,
        "volunteers": VolunteersScreen,
    }
    DEFAULT_MODE = "today"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            # priority: a text field's own F6/F7 (select line, select all) must not take them from the operator
            Binding(f"f{number}", f"switch_mode('{name}')", f"nav.{name}", show=False, priority=True)
            for number, name in enumerate(SCREENS, start=1)
        ),
        Binding("ctrl+p", "command_palette", "key.palette", show=False, priority=True),
        Binding("ctrl+q", "quit", "key.quit", priority=True),
        Binding("question_mark", "keys_help", "key.help"),
        Binding("ctrl+o", "hand_over", "duty.hand_over", show=False),  # tui.duty: in the palette, not the footer
    ]

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        language: str = "zh",
        community_name: str = "",
        zone: ZoneInfo | None = None,
        scheduler: Any = None,
        voice: Any = None,
        actor: str = "operator",
        inbox_poll_seconds: float = 2.0,
        watch_clock: bool = True,
        pause_scale: float = 1.0,
    ) -> None:
        set_language(language)
        super().__init__()
        translate_bindings(self)
        self.settings = settings or Settings()
        self.scheduler = scheduler  # kit.scheduling.InProcessScheduler when the composition root runs one
        self.voice = voice  # the voice gateway the dispatcher calls through (the simulator: keys pressed here)
        self.actor = actor  # who the audit trail says did it
        self.inbox_poll_seconds = inbox_poll_seconds
        self.watch_clock = watch_clock
        self.pause_scale = pause_scale  # typing pauses before a search or preview runs; tests use 0
        self.community_name = community_name
        self.zone = zone  # the community's time zone; loaded at start when not given
        self.clock_text = ""

    def on_load(self) -> None:
        # Thread workers run on the loop's default executor. A few threads are plenty (a newer search cancels
        # an older one) and keep memory down: every thread that reads gets its own SQLite connection and cache.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=UI_THREADS, thread_name_prefix="linli-ui")
        )

    def on_mount(self) -> None:
        self.start_duty()
        if self.zone is None:
            self.load_community()
        else:
            self._tick()
        if self.watch_clock:
            self.set_interval(CLOCK_SECONDS, self._tick)

    @work(thread=True, exit_on_error=False, group="community", name="open the community")
    def load_community(self) -> None:
        from kit.community import get_community

        community = get_community()
        deliver(self, self._community_loaded, community.name, ZoneInfo(community.timezone))

    def _community_loaded(self, name: str, zone: ZoneInfo) -> None:
        self.community_name = name
        self.zone = zone
        self._tick()
        for screen in self.screen_stack:  # times shown before the zone was known were in UTC: show them again
            reload = getattr(screen, "reload", None)
            if callable(reload):
                reload()

    def _tick(self) -> None:
        if self.zone is not None:
            self.clock_text = to_local(clock.now(), self.zone).strftime("%H:%M")
        for bar in self.screen.query(NavBar):
            bar.community = self.community_name
            bar.clock = self.clock_text
            bar.held_until = self.held_until_text()

    def held_until_text(self) -> str:
        """The local time sending resumes ("07:00") while quiet hours hold it, else "" (the bar says so)."""
        if self.zone is None:
            return ""
        dispatch = self.settings.dispatch
        until = sending_held_until(clock.now(), self.zone, dispatch.quiet_start, dispatch.quiet_end)
        return self.local_time(until) if until is not None else ""

    def local_time(self, at_utc: Any, fmt: str = "%H:%M") -> str:
        """A stored (naive UTC) time in the community's zone, for display."""
        if at_utc is None:
            return ""
        return to_local(at_utc, self.zone or ZoneInfo("UTC")).strftime(fmt)

    def local_today(self) -> date:
        return to_local(clock.now(), self.zone or ZoneInfo("UTC")).date()

    # --- failures: the one place ------------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if failed(event.worker, event.state):
            self.report_failure(event.worker.error, worker_purpose(event.worker))

    def report_failure(self, error: BaseException | None, what: str = "") -> None:
        """Show a failed worker's error as a dialog a volunteer understands (never a traceback)."""
        title, message = explain(error, what)
        top = self.screen
        if isinstance(top, MessageDialog) and top.message == message:
            return  # the same failure again (a poll that keeps failing): one dialog is enough
        self.push_screen(MessageDialog(title, message))

    # --- the command palette ------------------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every screen, and every key binding of the screen in front, also from the palette (Ctrl+P)."""
        for name in SCREENS:
            label = t(f"nav.{name}")
            yield SystemCommand(
                t("nav.go", screen=label), t("nav.go_help", screen=label), partial(self.switch_mode, name)
            )
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not binding.description or binding.description in seen:
                continue
            seen.add(binding.description)
            key = binding.key_display or self.get_key_display(binding)
            yield SystemCommand(binding.description, key, partial(self.run_action, binding.action, active.node))
        yield from super().get_system_commands(screen)  # the hand-over (tui.duty)
        yield SystemCommand(t("key.quit"), "ctrl+q", self.action_quit)  # instead of Textual's, which are in English

    def action_keys_help(self) -> None:
        """`?`: the keys of the screen in front, in the community's language."""
        if not isinstance(self.screen, KeysHelp):
            self.push_screen(KeysHelp(screen_keys(self.screen)))

    async def action_quit(self) -> None:
        """Ctrl+Q: quit, after saying so when messages still wait to go out (the dispatcher stops with the UI)."""
        self.count_waiting()

    @work(thread=True, exclusive=True, group="quit", exit_on_error=False, name="count the messages waiting")
    def count_waiting(self) -> None:
        deliver(self, self._confirm_quit, counts_by_status("out").get("queued", 0))

    def _confirm_quit(self, waiting: int) -> None:
        if not waiting:
            self.exit()
            return
        if isinstance(self.screen, ConfirmDialog):
            return
        dialog = ConfirmDialog(t("quit.title"), t("quit.waiting", count=f"{waiting:,}"), confirm=t("key.quit"))
        self.push_screen(dialog, lambda quit_now: self.exit() if quit_now else None)

    def action_command_palette(self) -> None:
        """Ctrl+P: Textual's command palette, with Linli's words in its search field."""
        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(CommandPalette(placeholder=t("palette.placeholder"), id="--command-palette"))

    def action_help_quit(self) -> None:
        """Ctrl+C does not quit (it copies in a text field): say how to, in the community's language."""
        self.notify(t("quit.how"), title=t("quit.title"), markup=False)


GIL_SWITCH_SECONDS = 0.001


def share_the_interpreter() -> None:
    """Let the webhook server's threads in this process answer promptly while the UI is busy.

    Python hands its interpreter lock between threads every 5 ms by default; the UI's drawing and its workers are
    CPU-bound, so each of the many small steps of an inbound webhook could wait that long. 1 ms keeps a provider's
    webhook fast while an operator types and scrolls (see tests/bench/bench_tui.py).

    The objects that exist by now (modules, classes, the register's caches) live as long as the process; frozen,
    the garbage collector no longer walks them, so its full collections stop pausing every thread for tens of
    milliseconds."""
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    gc.collect()
    gc.freeze()


def prepare_demo(settings: Settings, residents: int = DEMO_RESIDENTS) -> bool:
    """Fill an empty database with the demo community and start today's check-in round, so the demo shows a living
    neighbourhood at any hour. Returns False (and changes nothing) when the database already has residents."""
    from kit.checkin import start_round
    from kit.demo import generate_demo
    from kit.resident_search import count_residents

    if count_residents() > 0:
        return False
    generate_demo(residents)
    start_round(settings=settings.checkin, actor="demo")
    return True


def run_tui(
    settings: Settings | None = None,
    *,
    demo: bool = False,
    scheduler: Any = None,
    voice: Any = None,
) -> int:
    """Run the terminal UI until the operator quits; returns 0, or 1 when it stopped on an unexpected error.

    The composition root has opened the database already (the UI opens none of its own). With `demo`, an empty
    database first gets the demo community (`prepare_demo`; when the composition root starts the runtime first, it
    calls `prepare_demo` itself before that). `scheduler` (the runtime's InProcessScheduler) lets Today
    say what runs next; `voice` (the runtime's voice gateway) lets the simulator panel press keys on the calls the
    dispatcher placed.
    """
    from kit.community import get_community
    from kit.operators import login_required

    settings = settings or Settings()
    share_the_interpreter()
    if demo and prepare_demo(settings):
        print("Prepared the demo community (幸福里社区（演示）) and started today's check-in round.")
    community = get_community()
    app = LinliApp(
        settings,
        language=community.language,
        community_name=community.name,
        zone=ZoneInfo(community.timezone),
        scheduler=scheduler,
        voice=voice,
    )
    app.sign_in_required = login_required()
    app.run()
    return app.return_code or 0
