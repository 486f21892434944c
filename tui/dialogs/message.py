"""A dialog that tells the operator something (an error a volunteer can act on) and waits for OK."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from tui.i18n import t
from tui.plain import plain, plain_lines
from tui.screens.base import LinliDialog


class MessageDialog(LinliDialog[None]):
    """A title, a message and OK. Used for every error the kit raises and for unexpected failures.

    Both are shown as plain text: an error or an alert often quotes a name or a message."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "close"),
        Binding("enter", "close", "ok", show=False),
    ]

    def __init__(self, title: str, message: str, *, error: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog " + ("error" if self.error else "")):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Static(plain_lines(self.message), classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ok"), variant="primary", id="ok")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
