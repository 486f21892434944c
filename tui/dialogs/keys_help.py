"""`?`: the keys of the screen in front, in the community's language, over it; Escape (or `?` again) closes it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from tui.i18n import t
from tui.screens.base import LinliDialog

if TYPE_CHECKING:
    from textual.screen import Screen


def screen_keys(screen: Screen[Any]) -> list[tuple[str, str]]:
    """(key, what it does) for every key of `screen` and the app that Linli gave words to: the screen's own keys,
    then the tables' and dialogs' ones, then the app's (F1..F6, quit). Textual's own editing keys (the arrows in a
    text field) are left out: they do what every text field does."""
    own: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or not type(active.node).__module__.startswith("tui."):
            continue
        if binding.action == "keys_help":
            continue
        pair = (binding.key_display or screen.app.get_key_display(binding), binding.description)
        if pair not in seen:
            seen.add(pair)
            own.append(pair)
    return own


class KeysHelp(LinliDialog[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "close"),
        Binding("question_mark", "close", "close", show=False),
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        text = Text()
        width = max((len(key) for key, _ in self.keys), default=4) + 2
        for key, what in self.keys:
            text.append(key.ljust(width), style="bold")
            text.append(f"{what}\n")
        text.rstrip()
        with Vertical(classes="dialog wide"):
            yield Label(t("keys.title"), classes="dialog-title")
            with VerticalScroll(id="keys-list"):
                yield Static(text, id="keys-text")
            yield Label(t("keys.close_hint"), classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
