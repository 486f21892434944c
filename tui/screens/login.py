"""The sign-in: who is on duty. Shown at start once operators exist; it cannot be closed, only signed in (or the
app quit with Ctrl+Q). It covers the screen, so nothing of the community shows before somebody signs in.

Names are shown as plain text (an operator's name is data, never markup); the PIN field never echoes.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select
from textual.worker import Worker, WorkerState

from kit.errors import NotAllowed
from kit.operators import authenticate, list_operators
from kit.shifts import start_shift
from tui.duty import OnDuty
from tui.i18n import t
from tui.screens.base import LinliDialog
from tui.workers import deliver

SIGN_IN = "duty-sign-in"


class LoginScreen(LinliDialog[OnDuty | None]):
    """Pick your name, type your PIN; dismisses with who signed in (and their shift has started)."""

    BINDINGS: ClassVar[list[BindingType]] = []
    CAN_CANCEL: ClassVar[bool] = False

    def __init__(self, previous: OnDuty | None = None) -> None:
        super().__init__()
        self.previous = previous  # who hands over (None at start)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="sign-in"):
            yield Label(t("duty.title"), classes="dialog-title", id="sign-in-title")
            yield from self.compose_summary()
            yield Label(t("duty.who"))
            yield Select[str]([], prompt=t("duty.pick"), id="who", compact=True)
            yield Label(t("duty.pin"))
            yield Input(password=True, id="pin", compact=True)
            yield Label("", classes="form-problem", id="problem")
            with Horizontal(classes="dialog-buttons"):
                yield Label(t("duty.quit_hint"), classes="hint")
                if self.CAN_CANCEL:
                    yield Button(t("cancel"), id="cancel", compact=True)
                yield Button(self.sign_in_label(), variant="primary", id="sign-in-button", compact=True)

    def compose_summary(self) -> ComposeResult:
        """What a hand-over shows above the fields (nothing at start)."""
        yield from ()

    def sign_in_label(self) -> str:
        return t("duty.sign_in")

    def on_mount(self) -> None:
        self.load_names()

    @work(thread=True, exclusive=True, group="duty-names", exit_on_error=False, name="load the operators")
    def load_names(self) -> None:
        deliver(self, self.show_names, [view.name for view in list_operators(include_inactive=False)])

    def show_names(self, names: list[str]) -> None:
        who = self.query_one("#who", Select)
        who.set_options((Text(name), name) for name in names)
        if len(names) == 1:
            who.value = names[0]
            self.query_one("#pin", Input).focus()
        else:
            who.focus()

    @on(Select.Changed, "#who")
    def _picked(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def _submitted(self) -> None:
        self.action_sign_in()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        else:
            self.action_sign_in()

    def action_sign_in(self) -> None:
        name = self.query_one("#who", Select).value
        pin_field = self.query_one("#pin", Input)
        pin, pin_field.value = pin_field.value, ""
        if not isinstance(name, str):
            self.show_problem(t("duty.pick_first"))
            return
        self.check(name, pin)

    @work(thread=True, exclusive=True, group=SIGN_IN, exit_on_error=False, name="sign in")
    def check(self, name: str, pin: str) -> OnDuty | None:
        try:
            operator = authenticate(name, pin)
        except NotAllowed as refused:
            deliver(self, self.show_problem, t("duty.not_signed_in", reason=refused.message))
            return None
        start_shift(operator, handed_over_by=self.previous.name if self.previous is not None else "")
        return OnDuty(str(operator.name), str(operator.role))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Close once the sign-in worker has finished (closing from inside it would cancel it half-way)."""
        super().on_worker_state_changed(event)
        worker = event.worker
        if worker.group == SIGN_IN and event.state == WorkerState.SUCCESS and isinstance(worker.result, OnDuty):
            self.dismiss(worker.result)

    def show_problem(self, message: str) -> None:
        self.query_one("#problem", Label).update(Text("! " + message))
