"""Hand over without quitting: the shift's summary (what came in, what is still open), then the next operator signs
in. Esc keeps the operator who is on duty."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from kit.shifts import ShiftSummary, shift_summary
from tui.i18n import t
from tui.screens.login import LoginScreen
from tui.workers import deliver


class HandoverDialog(LoginScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "keep", "cancel")]
    CAN_CANCEL: ClassVar[bool] = True

    def compose_summary(self) -> ComposeResult:
        yield Static(t("loading"), id="came-in")
        yield Static("", id="still-open")

    def sign_in_label(self) -> str:
        return t("duty.take_over")

    def on_mount(self) -> None:
        super().on_mount()
        self.load_summary()

    @work(thread=True, exclusive=True, group="duty-summary", exit_on_error=False, name="sum up the shift")
    def load_summary(self) -> None:
        deliver(self, self.show_summary, shift_summary())

    def show_summary(self, summary: ShiftSummary) -> None:
        since = self.linli.local_time(summary.since)
        name = summary.previous or (self.previous.name if self.previous is not None else "")
        title = t("duty.handover_title", name=name, since=since) if name else t("duty.handover_nobody", since=since)
        self.query_one("#sign-in-title", Static).update(Text(title))
        counts = vars(summary)
        self.query_one("#came-in", Static).update(Text(t("duty.came_in", **counts)))
        self.query_one("#still-open", Static).update(Text(t("duty.still_open", **counts)))

    def action_keep(self) -> None:
        self.dismiss(None)
