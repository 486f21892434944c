"""An alert, whole, with what an operator does about it: open the resident, give them a task, call them (the number
is there to dial), or mark it handled."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from kit.models import format_address
from kit.phones import display_phone
from kit.resident_search import ResidentView
from tui.i18n import t
from tui.plain import plain, plain_lines
from tui.screens.base import LinliDialog

ACTIONS = ("resident", "task", "acknowledge")


class AlertDialog(LinliDialog[str | None]):
    """Dismisses with "resident", "task", "acknowledge", or None (Escape / Close)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('')", "close"),
        Binding("r", "choose('resident')", "alert_dialog.open_resident"),
        Binding("t", "choose('task')", "alert_dialog.give_task"),
        Binding("k", "choose('acknowledge')", "today.ack"),
    ]

    def __init__(self, title: str, text: str, resident: ResidentView | None, *, urgent: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.resident = resident
        self.urgent = urgent

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide " + ("error" if self.urgent else "")):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Static(plain_lines(self.text), classes="dialog-body")
            if self.resident is not None:
                yield Static(plain_lines(self._who(self.resident)), id="alert-resident", classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                if self.resident is not None:
                    yield Button(t("alert_dialog.open_resident") + " (r)", id="resident")
                    yield Button(t("alert_dialog.give_task") + " (t)", id="task")
                yield Button(t("today.ack") + " (k)", variant="warning", id="acknowledge")
                yield Button(t("close"), id="close")

    @staticmethod
    def _who(resident: ResidentView) -> str:
        address = format_address(resident.building, resident.unit, resident.room)
        phone = display_phone(resident.phone) if resident.phone else t("alert_dialog.no_phone")
        line = t("alert_dialog.resident", name=resident.name, address=address or "-", phone=phone)
        if resident.second_phone:
            line += "\n" + t("alert_dialog.second_phone", phone=display_phone(resident.second_phone))
        return line

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id if event.button.id in ACTIONS else "")

    def action_choose(self, what: str) -> None:
        if what in ("resident", "task") and self.resident is None:
            return
        self.dismiss(what or None)
