"""Set a resident's monitoring category (with its end date) or health status."""

from __future__ import annotations

from datetime import date

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Select

from kit.errors import ValidationError
from kit.models import HEALTH_STATUSES, MONITORING_CATEGORIES
from kit.resident_search import ResidentView
from kit.residents import set_monitoring, set_status
from tui.dialogs.form import FormDialog
from tui.i18n import t, word
from tui.plain import plain
from tui.widgets.form_field import FormField
from tui.workers import deliver


class _StateDialog(FormDialog[bool]):
    """Dismisses with True once the kit saved the change, False when cancelled."""

    PROBLEM_ID = None  # a message that names no field goes under the last one

    def __init__(self, resident: ResidentView) -> None:
        super().__init__()
        self.resident = resident


class MonitoringDialog(_StateDialog):
    """The monitoring category (居家隔离, 密接, ...) and the date it ends."""

    def compose(self) -> ComposeResult:
        options = [(word("monitoring", value), value) for value in MONITORING_CATEGORIES]
        until = self.resident.monitoring_until.isoformat() if self.resident.monitoring_until else ""
        with Vertical(classes="dialog"):
            yield Label(plain(t("monitoring.title", name=self.resident.name)), classes="dialog-title")
            yield FormField(
                "monitoring",
                t("monitoring.category"),
                Select(options, value=self.resident.monitoring, allow_blank=False, id="category", compact=True),
            )
            yield FormField(
                "monitoring_until",
                t("monitoring.until"),
                Input(until, placeholder="2026-12-05", id="until", compact=True),
            )
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#category", Select).focus()

    def action_save(self) -> None:
        category = self.query_one("#category", Select).value
        until = self.query_one("#until", Input).value.strip()
        self.save(str(category), until or None)

    @work(thread=True, exclusive=True, group="resident-state", exit_on_error=False, name="set the monitoring")
    def save(self, category: str, until: str | date | None) -> None:
        try:
            set_monitoring(self.resident.id, category, until, actor=self.linli.actor)
        except ValidationError as error:
            deliver(self, self.show_problem, error.field, error.message)
            return
        deliver(self, self.dismiss, True)


class StatusDialog(_StateDialog):
    """The health status, always shown as a word (绿/黄/红, GREEN/YELLOW/RED), and why it changed."""

    def compose(self) -> ComposeResult:
        options = [(word("status", value), value) for value in HEALTH_STATUSES]
        with Vertical(classes="dialog"):
            yield Label(plain(t("status.title", name=self.resident.name)), classes="dialog-title")
            yield FormField(
                "status",
                t("residents.status"),
                Select(options, value=self.resident.status, allow_blank=False, id="status", compact=True),
            )
            yield FormField("reason", t("status.reason"), Input(id="reason", compact=True))
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#status", Select).focus()

    def action_save(self) -> None:
        self.save(str(self.query_one("#status", Select).value), self.query_one("#reason", Input).value.strip())

    @work(thread=True, exclusive=True, group="resident-state", exit_on_error=False, name="set the health status")
    def save(self, status: str, reason: str) -> None:
        try:
            set_status(self.resident.id, status, reason=reason, actor=self.linli.actor)
        except ValidationError as error:
            deliver(self, self.show_problem, error.field, error.message)
            return
        deliver(self, self.dismiss, True)
