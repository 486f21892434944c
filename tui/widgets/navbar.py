"""The one-line bar at the top: the screens with their keys (the current one in brackets), the community, the time."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.i18n import t
from tui.plain import plain

SCREENS = ("today", "residents", "inbox", "tasks", "notices", "simulator", "volunteers")
ROOM_FOR_NAME = 14  # the clock (" 12:00 ") and the start of the community's name


class NavBar(Widget):
    """Shows where the operator is and how to go elsewhere (F1..F7, also clickable).

    The screens come first; the community's name and the clock get what width is left, so the bar fits 80 columns
    (with one space between the screens when two would leave no room for the name).
    """

    DEFAULT_CSS = """
    NavBar {
        height: auto;
        width: 1fr;
        background: $panel;
        color: $foreground;
    }
    """

    community: reactive[str] = reactive("")
    clock: reactive[str] = reactive("")
    held_until: reactive[str] = reactive("", layout=True)  # "07:00" while quiet hours hold sending: a second line

    def __init__(self, active: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.active = active

    def render(self) -> Text:
        tabs = self.tabs(padded=True)
        if tabs.cell_len + ROOM_FOR_NAME > self.size.width:  # at 80 columns: one space between the screens, not two
            tabs = self.tabs(padded=False)
        spare = self.size.width - tabs.cell_len
        tail = Text(no_wrap=True, end="")
        clock = f" {self.clock} " if self.clock and spare >= len(self.clock) + 2 else ""
        name_room = spare - len(clock) - 1
        if self.community and name_room >= 6:
            name = plain(" " + self.community, style="bold")
            name.truncate(name_room, overflow="ellipsis")
            tail.append_text(name)
        tail.append(" " * max(spare - tail.cell_len - len(clock), 0))
        tail.append(clock)
        bar = Text.assemble(tabs, tail, no_wrap=True, end="")
        if self.held_until:
            bar.append("\n")
            bar.append(t("nav.quiet", until=self.held_until), style="bold black on yellow")
        return bar

    def tabs(self, *, padded: bool) -> Text:
        """The screens with their keys, the current one in brackets; `padded`: two spaces between them, else one."""
        tabs = Text(no_wrap=True, end="")
        for number, screen in enumerate(SCREENS, start=1):
            label = f"F{number} {t('nav.' + screen)}"
            if not padded and number > 1:
                tabs.append(" ")
            if screen == self.active:
                tabs.append(f"[{label}]", style="bold reverse")
            else:
                click = Style.from_meta({"@click": f"app.switch_mode('{screen}')"})
                tabs.append(f" {label} " if padded else label, style=click)
        return tabs
