"""What every screen and dialog shares: translated key bindings, the hand-over of worker failures, and plain-text
notifications."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.worker import Worker

from kit.plaintext import visible
from tui.i18n import translate_bindings
from tui.widgets.navbar import NavBar
from tui.workers import failed, worker_purpose

if TYPE_CHECKING:
    from tui.app import LinliApp

T = TypeVar("T")


class _Forwarding:
    """Give a failed worker's error to the app, which explains it in a dialog (tui.workers)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if failed(event.worker, event.state):
            linli_app(self).report_failure(event.worker.error, worker_purpose(event.worker))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A notification is plain text: most carry a name or a message body ("已回复 [/] 张"), never markup."""
        app = linli_app(self)
        if timeout is None:
            timeout = app.NOTIFICATION_TIMEOUT
        app.notify(visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False)


def linli_app(node: Any) -> LinliApp:
    return cast("LinliApp", node.app)


class LinliScreen(_Forwarding, Screen[None]):
    """A main screen: the navigation bar on top, the key bindings in the footer (and in the command palette)."""

    NAME: ClassVar[str] = ""  # its mode in the app: "today", "residents", ...

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self._under_dialog = False  # suspended because a dialog opened over it (not because F1..F6 left it)

    @property
    def linli(self) -> LinliApp:
        return linli_app(self)

    def navbar(self) -> NavBar:
        bar = NavBar(self.NAME)
        bar.community = self.linli.community_name
        return bar

    def on_screen_suspend(self) -> None:
        top = self.app.screen
        self._under_dialog = top is not self and top.is_modal

    def on_screen_resume(self) -> None:
        """Coming back to a screen (F1..F6) shows fresh figures; closing a dialog over it does not reload it (the
        dialog's own callback refreshes what it changed)."""
        if self._under_dialog:
            self._under_dialog = False
            return
        for bar in self.query(NavBar):
            bar.community = self.linli.community_name
            bar.clock = self.linli.clock_text
            bar.held_until = self.linli.held_until_text()
        self.reload()

    def reload(self) -> None:
        """Fetch this screen's data again (in workers). Screens override it."""

    def debounce(self, timer: Timer | None, seconds: float, callback: Callable[[], object]) -> Timer | None:
        """Run `callback` once the operator paused `seconds` (scaled by the app's `pause_scale`; at 0 it runs at
        the next turn of the loop), replacing the previous `timer`; returns the timer to pass in next time."""
        if timer is not None:
            timer.stop()
        pause = seconds * self.linli.pause_scale
        if pause <= 0:
            self.call_later(callback)
            return None
        return self.set_timer(pause, callback)


class LinliDialog(_Forwarding, ModalScreen[T]):
    """A dialog that closes with `dismiss(value)`."""

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    @property
    def linli(self) -> LinliApp:
        return linli_app(self)
