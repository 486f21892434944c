"""A bar per grid for the day's check-in: answered, escalated and silent, drawn with different characters.

Each bar is as wide as the grid's asked count allows, and its numbers follow it, so the picture reads the same
without colour:  █ answered  ▒ escalated (silent, past the reminder)  ░ silent.

A district has hundreds of grids, so only the lines in view are drawn (the Line API), each once until the figures
change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from tui.i18n import translate_bindings
from tui.widgets.lazy_table import plain_strip

ANSWERED, ESCALATED, SILENT = "█", "▒", "░"


@dataclass(frozen=True)
class BarRow:
    label: str
    asked: int
    answered: int
    silent: int
    escalated: int
    grid: str = ""  # the grid's name as stored (the label is what is shown)


def bar(row: BarRow, width: int) -> Text:
    """`width` cells split in proportion to answered, escalated and the rest of the silent."""
    if row.asked <= 0 or width <= 0:
        return Text(" " * max(width, 0))
    quiet = max(row.silent - row.escalated, 0)
    # Every part that is not zero gets at least one cell: 6 answered of 262 still shows.
    cells = [max(1, round(width * n / row.asked)) if n else 0 for n in (row.answered, row.escalated, quiet)]
    while sum(cells) > width:
        cells[cells.index(max(cells))] -= 1
    text = Text()
    text.append(ANSWERED * cells[0], style="green")
    text.append(ESCALATED * cells[1], style="bold red")
    text.append(SILENT * cells[2], style="yellow")
    text.append(" " * (width - sum(cells)))
    return text


class RoundBars(Widget, can_focus=True):
    """Renders `rows` (set with `show`) as labelled bars with their figures, and a legend line under them.

    Focused, up/down move a highlight over the grids and Enter posts `GridChosen` (Today opens that grid's silent
    residents)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "table.up", show=False),
        Binding("down", "move(1)", "table.down", show=False),
        Binding("enter", "choose", "today.open_grid"),
    ]

    class GridChosen(Message):
        def __init__(self, grid: str) -> None:
            super().__init__()
            self.grid = grid

    DEFAULT_CSS = """
    RoundBars {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self.cursor = 0
        self.rows: list[BarRow] = []
        self.words: tuple[str, str, str] = ("answered", "silent", "escalated")
        self._figures: list[str] = []
        self._label_width = 4
        self._figure_width = 0
        self._drawn: dict[tuple[int, int], Strip] = {}

    def show(self, rows: Sequence[BarRow], words: tuple[str, str, str]) -> None:
        rows = list(rows)
        if rows == self.rows and words == self.words:
            return
        resized = len(rows) != len(self.rows)
        self.rows, self.words = rows, words
        _, silent_word, escalated_word = words
        self._figures = [
            f" {row.answered}/{row.asked} {silent_word}{row.silent} {escalated_word}{row.escalated}" for row in rows
        ]
        self._label_width = min(max((Text(row.label).cell_len for row in rows), default=4), 12)
        self._figure_width = max((Text(figure).cell_len for figure in self._figures), default=0)
        self.cursor = min(self.cursor, max(len(rows) - 1, 0))
        self._drawn.clear()
        self.refresh(layout=resized)

    def action_move(self, step: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + step))
            self._drawn.clear()
            self.refresh()
            self.scroll_to_region(Region(0, self.cursor, self.size.width, 1))

    def action_choose(self) -> None:
        if self.rows:
            self.post_message(self.GridChosen(self.rows[self.cursor].grid))

    def on_focus(self) -> None:
        self._drawn.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._drawn.clear()
        self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.rows) + 1 if self.rows else 0

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        key = (y, width)
        strip = self._drawn.get(key)
        if strip is None:
            strip = self._drawn[key] = self._line(y, width)
        return strip

    def _line(self, y: int, width: int) -> Strip:
        style = self.rich_style
        if y > len(self.rows) or not self.rows:
            return Strip.blank(width, style)
        if y == len(self.rows):
            answered_word, silent_word, escalated_word = self.words
            line = Text(
                f"{ANSWERED} {answered_word}  {ESCALATED} {escalated_word}  {SILENT} {silent_word}", style="dim"
            )
        else:
            row = self.rows[y]
            label = Text(row.label)
            label.truncate(self._label_width, overflow="ellipsis", pad=True)
            bar_width = max(width - self._label_width - self._figure_width - 2, 4)
            line = Text.assemble(label, " ", bar(row, bar_width), self._figures[y])
            if self.has_focus and y == self.cursor:
                line.stylize("reverse", 0, self._label_width)  # the grid Enter opens
        return plain_strip(line, self.app.console, width, style)  # a grid's name is outside text
