"""Yes or no before something that cannot be undone (sending a notice, closing a task)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from tui.i18n import t
from tui.plain import plain, plain_lines
from tui.screens.base import LinliDialog


class ConfirmDialog(LinliDialog[bool]):
    """Dismisses with True only when the operator chooses the confirm button; Esc or Cancel gives False.

    Cancel has the focus at first, so an Enter pressed by habit does not send anything. The title and body are plain
    text (a notice's body is quoted in them)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", "cancel"),
        Binding("y", "answer(True)", "confirm.yes"),
        Binding("n", "answer(False)", "cancel"),
    ]

    def __init__(self, title: str, body: str, *, confirm: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.confirm_label = confirm or t("confirm.yes")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Static(plain_lines(self.body), classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("cancel"), id="cancel")
                yield Button(self.confirm_label, variant="warning", id="confirm")
            yield Label("", id="focused", classes="hint")
            yield Label(t("confirm.keys"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_descendant_focus(self) -> None:
        """Say which button Enter presses: the focus is not always visible on a plain terminal."""
        focused = self.focused
        if isinstance(focused, Button):
            self.query_one("#focused", Label).update(t("confirm.focused", button=str(focused.label)))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
