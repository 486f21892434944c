"""The district's terminal app: one screen (`tui.screens.district`), for a district's laptop, which has communities
and their pushed figures but no residents, so none of the operators' screens."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual.app import App
from textual.worker import Worker

from kit.config import DistrictSettings
from tui.dialogs.message import MessageDialog
from tui.i18n import set_language
from tui.screens.district import DistrictScreen
from tui.workers import explain, failed, worker_purpose


class DistrictApp(App[None]):
    CSS_PATH = Path(__file__).with_name("linli.tcss")
    TITLE = "Linli 邻里"

    def __init__(self, day: date, *, language: str = "zh") -> None:
        set_language(language)
        super().__init__()
        self.day = day

    def on_mount(self) -> None:
        self.push_screen(DistrictScreen(self.day))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if failed(event.worker, event.state):
            self.report_failure(event.worker.error, worker_purpose(event.worker))

    def report_failure(self, error: BaseException | None, what: str = "") -> None:
        """Show a failed worker's error as a dialog a volunteer understands (never a traceback)."""
        title, message = explain(error, what)
        top = self.screen
        if isinstance(top, MessageDialog) and top.message == message:
            return
        self.push_screen(MessageDialog(title, message))


def run_district_ui(settings: DistrictSettings, day: date) -> None:
    """Run the district's screen on the database the composition root opened, until the operator quits."""
    DistrictApp(day, language=settings.language).run()
