"""A table of rows (the Inbox, the notices' history, the district): Home and End go to the first and last row, and
its keys have words in the community's language (Textual's own DataTable scrolls sideways on Home/End)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from tui.i18n import translate_bindings


class RowTable(DataTable[Any]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "table.select", show=False),
        Binding("up", "cursor_up", "table.up", show=False),
        Binding("down", "cursor_down", "table.down", show=False),
        Binding("pageup", "page_up", "table.page_up", show=False),
        Binding("pagedown", "page_down", "table.page_down", show=False),
        Binding("home", "first_row", "table.first", show=False),
        Binding("end", "last_row", "table.last", show=False),
    ]

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        translate_bindings(self)

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)
