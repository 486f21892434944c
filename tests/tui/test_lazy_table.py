"""LazyTable holds only the pages on screen and drops pages that arrive for an old search."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.widgets.lazy_table import Column, LazyTable, Row


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.wanted: list[tuple[int, int, int]] = []

    def compose(self) -> ComposeResult:
        yield LazyTable([Column("n", 6, grow=1)], page_size=10, max_pages=3)

    def on_lazy_table_page_wanted(self, event: LazyTable.PageWanted) -> None:
        self.wanted.append((event.generation, event.offset, event.limit))


def rows(offset: int, count: int) -> list[Row]:
    return [Row(i, (f"row {i}",)) for i in range(offset, offset + count)]


async def test_pages_are_asked_for_as_they_scroll_into_view() -> None:
    app = Host()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(LazyTable)
        generation = table.reset(100_000)
        await pilot.pause()
        assert app.wanted == [(generation, 0, 10)]  # only what is on screen
        assert table.put_rows(generation, 0, rows(0, 10))
        table.focus()
        await pilot.press("end")
        await pilot.pause()
        assert app.wanted[-1][1] == 99_990
        table.put_rows(generation, 99_990, rows(99_990, 10))
        await pilot.pause()
        assert table.highlighted == Row(99_999, ("row 99999",))
        for start in range(10, 60, 10):
            table.put_rows(generation, start, rows(start, 10))
        assert len(table.loaded_rows()) <= 3 * 10 + 10  # a few pages, never the table


async def test_a_page_for_an_old_search_is_dropped() -> None:
    app = Host()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(LazyTable)
        old = table.reset(50)
        new = table.reset(5)
        await pilot.pause()
        assert not table.put_rows(old, 0, rows(0, 10))
        assert table.put_rows(new, 0, rows(100, 5))
        assert [row.key for row in table.loaded_rows()] == [100, 101, 102, 103, 104]


async def test_the_cursor_row_is_marked_not_only_highlighted() -> None:
    app = Host()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(LazyTable)
        generation = table.reset(3)
        table.put_rows(generation, 0, rows(0, 3))
        table.focus()
        await pilot.press("down")
        await pilot.pause()
        lines = ["".join(segment.text for segment in table.render_line(y)) for y in range(4)]
        assert lines[2].startswith("▶ row 1") and lines[1].startswith("  row 0")
