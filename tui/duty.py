"""Who is on duty in the terminal UI: signing in at start, handing over, and refusing what a role may not do.

Decisions:
- The app asks who is on duty as soon as an active operator exists (kit.operators.login_required); until then it
  works as before, with no sign-in. `run_tui` asks the kit before the app starts, so no screen shows data before
  the sign-in covers it; an app made without knowing (tests) asks in a worker at mount.
- The operator's name becomes `app.actor`, which every write passes to the kit as `actor=`.
- What a role may do is decided by kit.permissions alone; this module only says which key of which screen is which
  kit action (`GUARDED`). Every binding and every command of the palette goes through `App.run_action`, so
  refusing there covers both; the dialogs behind those keys are never opened for a viewer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import work
from textual.actions import ActionParseResult
from textual.app import App, SystemCommand
from textual.screen import Screen

from kit.operators import login_required
from kit.permissions import CHANGE_RESIDENTS, EXPORT_PERSONAL_DATA, SEND_NOTICES, WORK, allowed
from tui.i18n import t
from tui.workers import deliver

if TYPE_CHECKING:
    from textual.dom import DOMNode


@dataclass(frozen=True)
class OnDuty:
    name: str
    role: str


# (screen, action) -> the kit action it performs (kit.permissions)
GUARDED: dict[tuple[str, str], str] = {
    ("residents", "add"): CHANGE_RESIDENTS,
    ("residents", "edit"): CHANGE_RESIDENTS,
    ("residents", "monitoring"): CHANGE_RESIDENTS,
    ("residents", "status"): CHANGE_RESIDENTS,
    ("inbox", "reply"): WORK,
    ("inbox", "correct"): WORK,
    ("tasks", "new"): WORK,
    ("tasks", "assign"): WORK,
    ("tasks", "done"): WORK,
    ("tasks", "cancel_task"): WORK,
    ("tasks", "print"): EXPORT_PERSONAL_DATA,
    ("today", "acknowledge"): WORK,
    ("notices", "send"): SEND_NOTICES,
}


def action_name(action: str | ActionParseResult) -> str:
    """'status' from 'status', 'screen.status' or "status('x')"; the name from a parsed action."""
    if not isinstance(action, str):
        return action[1]
    return action.split("(", 1)[0].rsplit(".", 1)[-1].strip()


def refusal(duty: OnDuty | None, screen: str, action: str) -> str | None:
    """What to tell `duty` when their role may not run `action` on `screen`; None when they may (or nobody signed
    in because no operators are set up)."""
    wanted = GUARDED.get((screen, action))
    if duty is None or wanted is None or allowed(duty.role, wanted):
        return None
    role = t(f"duty.role.{duty.role}")
    return t("duty.refused", name=duty.name, role=role, what=t(f"duty.may_not.{wanted}"))


class DutyApp(App[None]):
    """The app's part: who is on duty, the sign-in at start, the hand-over key, and the refusals."""

    actor: str = "operator"  # who the audit trail says did it (LinliApp sets it)
    on_duty: OnDuty | None = None
    sign_in_required: bool | None = None  # None: ask the kit at mount
    awaiting_sign_in: bool = False  # the sign-in at start is showing: only it, and quitting, answer keys

    def start_duty(self) -> None:
        """At mount: sign in when operators exist."""
        if self.sign_in_required is None:
            self._ask_whether_to_sign_in()
        elif self.sign_in_required:
            self._show_sign_in()

    @work(thread=True, exit_on_error=False, group="duty", name="check who is on duty")
    def _ask_whether_to_sign_in(self) -> None:
        if login_required():
            deliver(self, self._show_sign_in)

    def _show_sign_in(self) -> None:
        from tui.screens.login import LoginScreen

        self.awaiting_sign_in = True
        self.push_screen(LoginScreen(), self._signed_in)

    def _signed_in(self, duty: OnDuty | None) -> None:
        if duty is None:
            return
        self.awaiting_sign_in = False
        self.on_duty = duty
        self.actor = duty.name
        self.notify(t("duty.signed_in", name=duty.name, role=t(f"duty.role.{duty.role}")), markup=False)

    def action_hand_over(self) -> None:
        if self.on_duty is None:
            self._hand_over_if_operators()
        else:
            self._show_hand_over()

    @work(thread=True, exit_on_error=False, group="duty", name="check who is on duty")
    def _hand_over_if_operators(self) -> None:
        if login_required():
            deliver(self, self._show_hand_over)
        else:
            deliver(self, self.notify, t("duty.no_operators"))

    def _show_hand_over(self) -> None:
        from tui.dialogs.handover import HandoverDialog

        self.push_screen(HandoverDialog(self.on_duty), self._signed_in)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The hand-over in the command palette (its key, Ctrl+O, is kept out of the crowded footer). Textual's own
        commands are in English and not offered: the app offers its own Quit."""
        yield SystemCommand(t("duty.hand_over"), t("duty.hand_over_help") + " (ctrl+o)", self.action_hand_over)

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        name = action_name(action)
        if self.awaiting_sign_in and name != "quit" and default_namespace in (None, self):
            return True  # e.g. the command palette (a priority key) would reach the screens behind the sign-in
        refused = refusal(self.on_duty, str(getattr(default_namespace, "NAME", "")), name)
        if refused is not None:
            self.notify(refused, severity="warning", markup=False)
            return True
        return await super().run_action(action, default_namespace, namespaces)
