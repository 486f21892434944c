"""What the form dialogs share: Cancel and Save under the fields, and the kit's message next to the field it names."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label

from tui.i18n import t
from tui.plain import plain
from tui.screens.base import LinliDialog
from tui.widgets.form_field import FormField

T = TypeVar("T")


class FormDialog(LinliDialog[T]):
    """Escape (or Cancel) dismisses with `CANCELLED`; ctrl+s, Save (any button but Cancel) and, when `SAVE_ON_ENTER`,
    Enter in a field call `action_save`. A message that names no field goes to the `PROBLEM_ID` label above the
    buttons, or under the last field when the dialog has no such label (`PROBLEM_ID` None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "cancel"),
        Binding("ctrl+s", "save", "save"),
    ]
    CANCELLED: ClassVar[Any] = False
    SAVE_ON_ENTER: ClassVar[bool] = True
    PROBLEM_ID: ClassVar[str | None] = "problem"

    def buttons(self, save_label: str | None = None, *, save_id: str = "save", hint: str = "") -> ComposeResult:
        if self.PROBLEM_ID is not None:
            yield Label("", classes="form-problem", id=self.PROBLEM_ID)
        with Horizontal(classes="dialog-buttons"):
            if hint:
                yield Label(hint, classes="hint")
            yield Button(t("cancel"), id="cancel", compact=True)
            yield Button(save_label or t("save"), variant="primary", id=save_id, compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.action_cancel()
        else:
            self.action_save()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        if self.SAVE_ON_ENTER:
            self.action_save()

    def action_cancel(self) -> None:
        self.dismiss(self.CANCELLED)

    def action_save(self) -> None:
        raise NotImplementedError

    def form_field(self, name: str | None) -> FormField | None:
        return next((f for f in self.query(FormField) if f.field_name == name), None)

    def show_problem(self, field_name: str | None, message: str) -> None:
        """The kit's message next to the field it names (or under the form when it names none)."""
        target = self.form_field(field_name)
        if target is not None:
            target.show_error(message)
        elif self.PROBLEM_ID is not None:
            self.query_one(f"#{self.PROBLEM_ID}", Label).update(plain("! " + message))
        else:
            list(self.query(FormField))[-1].show_error(message)
