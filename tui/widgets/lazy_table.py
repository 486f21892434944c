"""A table that holds only the rows on screen: it asks for pages as they come into view.

A register of 100,000 residents never goes into a widget whole. `LazyTable` knows how many rows there are (so the
scrollbar is right) and keeps a few pages in memory; when a row that is not loaded scrolls into view it posts
`PageWanted`, and whoever owns the data (a screen, from a worker) answers with `put_rows`. Every reset starts a new
generation, so a page that arrives for an old search is dropped.

The row under the cursor is marked with "▶" as well as highlighted, so it does not depend on colour.

Cells are plain text: a `str` cell is never read as markup, and every line drawn has its control characters made
visible (kit.plaintext), whatever the cell was built from; a name with an escape sequence shows "␛", it does not
reach the terminal.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kit.plaintext import visible
from tui.i18n import translate_bindings

MARKER = "▶ "
SEPARATOR = " "


@dataclass(frozen=True)
class Column:
    title: str
    width: int  # the fewest cells it gets
    grow: int = 0  # its share of the width left over


class Deferred:
    """A cell worked out only when it is first drawn (formatting a phone number costs a fraction of a
    millisecond: worth it for the rows on screen, not for a page fetched in the background)."""

    __slots__ = ("_args", "_make", "_value")

    def __init__(self, make: Callable[..., str | Text], *args: Any) -> None:
        self._make = make
        self._args = args
        self._value: str | Text | None = None

    @property
    def value(self) -> str | Text:
        if self._value is None:
            self._value = self._make(*self._args)
        return self._value

    def __str__(self) -> str:
        return str(self.value)


Cell = str | Text | Deferred


@dataclass(frozen=True)
class Row:
    key: int  # what the row is (e.g. a resident's id)
    cells: tuple[Cell, ...]


class LazyTable(ScrollView, can_focus=True):
    """Rows fetched a page at a time; see the module docstring."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"lazy-table--header", "lazy-table--cursor", "lazy-table--loading"}

    DEFAULT_CSS = """
    LazyTable {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
        background: $surface;
    }
    LazyTable > .lazy-table--header {
        text-style: bold;
        background: $panel;
    }
    LazyTable > .lazy-table--cursor {
        background: $secondary 30%;
    }
    LazyTable:focus > .lazy-table--cursor {
        background: $accent 60%;
        text-style: bold;
    }
    LazyTable > .lazy-table--loading {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "table.up", show=False),
        Binding("down", "cursor(1)", "table.down", show=False),
        Binding("pageup", "page(-1)", "table.page_up", show=False),
        Binding("pagedown", "page(1)", "table.page_down", show=False),
        Binding("home", "jump(0)", "table.first", show=False),
        Binding("end", "jump(-1)", "table.last", show=False),
        Binding("enter", "select", "table.select", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class PageWanted(Message):
        """Rows `offset` .. `offset + limit` of `generation` are needed."""

        def __init__(self, table: LazyTable, generation: int, offset: int, limit: int) -> None:
            super().__init__()
            self.table = table
            self.generation = generation
            self.offset = offset
            self.limit = limit

        @property
        def control(self) -> LazyTable:
            return self.table

    class RowHighlighted(Message):
        def __init__(self, table: LazyTable, index: int, row: Row | None) -> None:
            super().__init__()
            self.table = table
            self.index = index
            self.row = row

        @property
        def control(self) -> LazyTable:
            return self.table

    class RowSelected(RowHighlighted):
        pass

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        page_size: int = 100,
        max_pages: int = 8,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        translate_bindings(self)
        self.columns = list(columns)
        self.page_size = page_size
        self.max_pages = max_pages
        self.total = 0
        self.generation = 0
        self._pages: OrderedDict[int, list[Row]] = OrderedDict()
        self._asked: set[int] = set()  # pages asked for in this generation
        self._highlighted: tuple[int, int | None] | None = None  # (index, key) last announced
        self._drawn: dict[tuple[int, bool, bool, int], Strip] = {}  # lines already drawn: the screen redraws often

    # --- feeding ----------------------------------------------------------------------------------------------

    def reset(self, total: int = 0) -> int:
        """Forget every row (a new search); returns the new generation to answer pages with."""
        self.generation += 1
        self._pages.clear()
        self._asked.clear()
        self._drawn.clear()
        self._highlighted = None
        self.set_total(total)
        self.scroll_to(y=0, animate=False, immediate=True)
        self.cursor = 0
        return self.generation

    def set_total(self, total: int) -> None:
        self.total = max(0, total)
        self._set_virtual_height(self.total + 1)
        if self.cursor >= self.total > 0:
            self.cursor = self.total - 1
        self.refresh()

    def _set_virtual_height(self, height: int) -> None:
        """A new row count moves the scrollbar but not the layout (the scrollbar is always shown): setting
        `virtual_size` the ordinary way would lay out the whole screen again on every search."""
        size = Size(self.size.width, height)
        if size == self.virtual_size:
            return
        self.set_reactive(LazyTable.virtual_size, size)
        if self.is_mounted and self.container_size:
            self._scroll_update(size)

    def put_rows(self, generation: int, offset: int, rows: Sequence[Row]) -> bool:
        """Rows from `offset` on, for `generation`; False (and nothing changes) when the generation is stale."""
        if generation != self.generation:
            return False
        for start in range(0, max(len(rows), 1), self.page_size):
            page = (offset + start) // self.page_size
            self._pages[page] = list(rows[start : start + self.page_size])
            self._pages.move_to_end(page)
            self._asked.discard(page)
        self._drawn.clear()
        self._evict()
        self.refresh()
        self._announce()
        return True

    def _evict(self) -> None:
        visible = self._visible_pages()
        for page in list(self._pages):
            if len(self._pages) <= self.max_pages:
                break
            if page not in visible:
                del self._pages[page]

    def _visible_pages(self) -> set[int]:
        first = int(self.scroll_offset.y)
        last = first + max(self.size.height, 1)
        return set(range(first // self.page_size, last // self.page_size + 1))

    # --- reading ----------------------------------------------------------------------------------------------

    def row(self, index: int) -> Row | None:
        """The row at `index` if it is loaded (asking for its page when it is not)."""
        if not 0 <= index < self.total:
            return None
        page, at = divmod(index, self.page_size)
        rows = self._pages.get(page)
        if rows is None:
            if page not in self._asked:
                self._asked.add(page)
                self.post_message(self.PageWanted(self, self.generation, page * self.page_size, self.page_size))
            return None
        self._pages.move_to_end(page)
        return rows[at] if at < len(rows) else None

    @property
    def highlighted(self) -> Row | None:
        return self.row(self.cursor)

    def loaded_rows(self) -> list[Row]:
        """Every row held now, in order (for tests and for reading what is on screen)."""
        return [row for page in sorted(self._pages) for row in self._pages[page]]

    # --- moving -----------------------------------------------------------------------------------------------

    @property
    def _body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor(self, step: int) -> None:
        self.move_to(self.cursor + step)

    def action_page(self, step: int) -> None:
        self.move_to(self.cursor + step * self._body_height)

    def action_jump(self, where: int) -> None:
        self.move_to(self.total - 1 if where < 0 else where)

    def action_select(self) -> None:
        if self.total:
            self.post_message(self.RowSelected(self, self.cursor, self.highlighted))

    def move_to(self, index: int) -> None:
        if not self.total:
            return
        self.cursor = min(max(index, 0), self.total - 1)

    def watch_cursor(self, old: int, new: int) -> None:
        top = int(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False, immediate=True)
        elif new >= top + self._body_height:
            self.scroll_to(y=new - self._body_height + 1, animate=False, immediate=True)
        self.refresh()
        self._announce()

    def _announce(self) -> None:
        if not self.total:
            if self._highlighted is not None:
                self._highlighted = None
                self.post_message(self.RowHighlighted(self, -1, None))
            return
        row = self.highlighted
        state = (self.cursor, row.key if row else None)
        if state != self._highlighted:
            self._highlighted = state
            self.post_message(self.RowHighlighted(self, self.cursor, row))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        index = int(self.scroll_offset.y) + offset.y - 1
        if 0 <= index < self.total:
            if index == self.cursor and event.chain > 1:
                self.action_select()
            self.cursor = index

    def on_resize(self, event: events.Resize) -> None:
        self._drawn.clear()
        self._set_virtual_height(self.total + 1)

    # --- drawing ----------------------------------------------------------------------------------------------

    def _widths(self, width: int) -> list[int]:
        usable = width - len(MARKER) - len(SEPARATOR) * (len(self.columns) - 1)
        widths = [column.width for column in self.columns]
        spare = usable - sum(widths)
        shares = sum(column.grow for column in self.columns)
        if spare > 0 and shares:
            for i, column in enumerate(self.columns):
                widths[i] += spare * column.grow // shares
        return widths

    def _line(self, cells: Sequence[Cell], widths: list[int], marker: str) -> Text:
        line = Text(marker, end="")
        for i, (cell, width) in enumerate(zip(cells, widths)):
            content = cell.value if isinstance(cell, Deferred) else cell
            text = content.copy() if isinstance(content, Text) else Text(visible(str(content)))
            text.truncate(width, overflow="ellipsis", pad=True)
            if i:
                line.append(SEPARATOR)
            line.append_text(text)
        return line

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        widths = self._widths(width)
        if y == 0:
            style = self.get_component_rich_style("lazy-table--header")
            text = self._line([column.title for column in self.columns], widths, " " * len(MARKER))
            return self._strip(text, width, base + style)
        index = int(self.scroll_offset.y) + y - 1
        if index >= self.total:
            return Strip.blank(width, base)
        row = self.row(index)
        if row is None:
            style = self.get_component_rich_style("lazy-table--loading")
            return self._strip(Text("  …"), width, base + style)
        selected = index == self.cursor
        key = (index, selected, self.has_focus, width)
        strip = self._drawn.get(key)
        if strip is None:
            if len(self._drawn) > 4 * max(self.size.height, 10):
                self._drawn.clear()
            style = base + self.get_component_rich_style("lazy-table--cursor") if selected else base
            strip = self._drawn[key] = self._strip(
                self._line(row.cells, widths, MARKER if selected else "  "), width, style
            )
        return strip

    def _strip(self, text: Text, width: int, style: Style) -> Strip:
        return plain_strip(text, self.app.console, width, style)


def plain_strip(text: Text, console: Console, width: int, style: Style) -> Strip:
    """`text` drawn as one line `width` cells wide, control characters shown as symbols (each one cell, so the
    columns stay where they were)."""
    segments = [Segment(visible(seg.text), seg.style) for seg in text.render(console) if seg.text != "\n"]
    return Strip(segments).apply_style(style).extend_cell_length(width, style).crop(0, width)
