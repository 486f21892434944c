"""Residents: search as you type, filter, see one resident's history, add and edit.

The register can hold 100,000 people, so the list is a `LazyTable`: each search fetches one page and the count from
SQL (kit.resident_search.find_residents / count_residents), and further pages are fetched as they scroll into view.
Typing is debounced, and a newer search cancels the older one's worker so a slow result never overwrites a fresh one.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widgets import Checkbox, Footer, Input, Label, Select, Static
from textual.widgets.select import InvalidSelectValueError

from kit.clock import utcnow
from kit.localtime import local_date
from kit.models import HEALTH_STATUSES, MONITORING_CATEGORIES
from kit.phones import display_phone
from kit.plaintext import visible
from kit.resident_search import ResidentFilter, ResidentView, count_residents, find_residents
from kit.views import ResidentHistory, resident_history
from tui.dialogs.answer import AnswerDialog
from tui.dialogs.import_update import ImportUpdateDialog
from tui.dialogs.resident_form import ResidentForm
from tui.dialogs.resident_state import MonitoringDialog, StatusDialog
from tui.i18n import t, word
from tui.plain import plain
from tui.screens.base import LinliScreen
from tui.widgets.badges import monitoring_text, status_text
from tui.widgets.lazy_table import Column, Deferred, LazyTable, Row
from tui.widgets.resident_card import describe_resident
from tui.workers import deliver

PAGE = 50  # rows fetched at a time: a screenful or two
HISTORY_SHORT, HISTORY_FULL = 8, 50  # reports, messages and tasks in the pane, and on the full-screen card
TYPING_PAUSE = 0.03  # seconds of quiet before a search runs: a burst of keystrokes becomes one query
COUNT_PAUSE = 0.25  # counting the matches scans the register: only once the typing has settled
DETAIL_PAUSE = 0.25  # while the cursor runs down the list (or a search is typed), only where it stops loads


def columns() -> list[Column]:
    return [
        Column(t("residents.col.name"), 8, grow=2),
        Column(t("residents.col.phone"), 17),
        Column(t("residents.col.address"), 9, grow=1),
        Column(t("residents.col.grid"), 8, grow=1),
        Column(t("residents.col.status"), 6),
        Column(t("residents.col.monitoring"), 8, grow=1),
    ]


def resident_row(view: ResidentView) -> Row:
    return Row(
        view.id,
        (
            visible(view.name),
            Deferred(display_phone, view.phone) if view.phone else Text(t("tag.no-phone"), style="italic"),
            visible(view.address),
            visible(view.grid),
            status_text(view.status),
            monitoring_text(view.monitoring),
        ),
    )


class ResidentsScreen(LinliScreen):
    NAME = "residents"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "residents.search_key"),
        Binding("a", "add", "residents.add"),
        Binding("e", "edit", "residents.edit"),
        Binding("m", "monitoring", "residents.set_monitoring"),
        Binding("s", "status", "residents.set_status"),
        Binding("d", "details", "residents.detail"),
        Binding("i", "import_sheet", "import_update.key"),
        Binding("h", "answer", "answer.key"),
        Binding("ctrl+r", "reload", "key.refresh", show=False),
        Binding("escape,down", "leave_search", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = ResidentFilter()
        self._shown_filter = self.filter  # the filter of the rows in the table (pages are fetched with it)
        self._search_number = 0
        self._typing: Timer | None = None
        self._counting: Timer | None = None
        self._detail_timer: Timer | None = None
        self.history: ResidentHistory | None = None
        self.total: int | None = None  # residents matching the filter (None while counting)
        self.register_size = 0  # residents in all

    def compose(self) -> ComposeResult:
        yield self.navbar()
        yield Input(placeholder=t("residents.search"), id="search", compact=True)
        with Horizontal(id="filters"):
            yield Select[str]([], prompt=t("residents.grid"), id="grid", compact=True)
            yield Select[str]([], prompt=t("residents.tag"), id="tag", compact=True)
            yield Select[str](
                [(word("status", s), s) for s in HEALTH_STATUSES],
                prompt=t("residents.status"),
                id="status",
                compact=True,
            )
            yield Select[str](
                [(word("monitoring", m), m) for m in MONITORING_CATEGORIES if m != "none"],
                prompt=t("residents.monitoring"),
                id="monitoring",
                compact=True,
            )
            yield Checkbox(t("residents.silent"), id="silent", compact=True)
        yield Label(t("loading"), id="count")
        yield LazyTable(columns(), id="residents", page_size=PAGE)
        with VerticalScroll(id="detail"):
            yield Static(t("detail.none"), id="detail-body")
        yield Footer()

    def on_mount(self) -> None:
        self.load_choices()
        self.count_register()
        self.run_search()
        self.query_one("#search", Input).focus()

    def reload(self) -> None:
        if self.is_mounted:
            self.count_register()
            self.run_search(keep_cursor=True)

    def action_reload(self) -> None:
        self.reload()

    # --- searching --------------------------------------------------------------------------------------------

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        self.filter = dataclasses.replace(self.filter, query=event.value)
        self._typing = self.debounce(self._typing, TYPING_PAUSE, self.run_search)

    @on(Input.Submitted, "#search")
    def _to_list(self) -> None:
        self.query_one(LazyTable).focus()

    def action_leave_search(self) -> None:
        """Escape or Down in the search: to the list, where the letters are the screen's keys again."""
        self.query_one(LazyTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_search":
            return self.focused is self.query_one("#search", Input)
        return super().check_action(action, parameters)

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """While the search has the focus, the screen's keys stay in the footer, greyed: their letters type into the
        search until Enter, Escape or Down takes the list (an operator still sees what the screen can do)."""
        bindings = super().active_bindings
        if self.is_mounted and self.focused is self.query_one("#search", Input):
            for key, key_bindings in self._bindings.key_to_bindings.items():
                for binding in key_bindings:
                    if binding.show and key not in bindings:
                        bindings[key] = ActiveBinding(self, binding, False, binding.tooltip)
        return bindings

    @on(Select.Changed)
    def _picked(self, event: Select.Changed) -> None:
        name = event.select.id or ""
        if name not in ("grid", "tag", "status", "monitoring"):
            return
        value = None if event.select.is_blank() else str(event.value)
        if getattr(self.filter, name) != value:
            changes: dict[str, Any] = {name: value}
            self.filter = dataclasses.replace(self.filter, **changes)
            self.run_search()

    @on(Checkbox.Changed, "#silent")
    def _silent(self, event: Checkbox.Changed) -> None:
        today = local_date(utcnow(), self.linli.zone or ZoneInfo("UTC")) if event.value else None
        if self.filter.silent_on != today:
            self.filter = dataclasses.replace(self.filter, silent_on=today)
            self.run_search()

    def run_search(self, keep_cursor: bool = False) -> None:
        self._search_number += 1
        self.total = None
        self._show_count()
        self.search(self.filter, self._search_number, keep_cursor)

    @work(thread=True, exclusive=True, group="residents-search", exit_on_error=False, name="search residents")
    def search(self, flt: ResidentFilter, number: int, keep_cursor: bool) -> None:
        rows = [resident_row(view) for view in find_residents(flt, limit=PAGE, offset=0)]
        deliver(self, self._first_page, flt, number, rows, keep_cursor)
        if len(rows) < PAGE:
            deliver(self, self._counted, number, len(rows), None)  # the page is all there is
        else:
            deliver(self, self._count_later, flt, number)

    def _count_later(self, flt: ResidentFilter, number: int) -> None:
        self._counting = self.debounce(self._counting, COUNT_PAUSE, lambda: self.count(flt, number))

    @work(thread=True, exclusive=True, group="residents-count", exit_on_error=False, name="count residents")
    def count(self, flt: ResidentFilter, number: int) -> None:
        if number != self._search_number:
            return  # a newer search is on its way
        total = count_residents(flt)
        everybody = total if flt == ResidentFilter() else None
        deliver(self, self._counted, number, total, everybody)

    @work(thread=True, group="residents-register", exit_on_error=False, name="count the register")
    def count_register(self) -> None:
        deliver(self, self._register_counted, count_residents())

    def _register_counted(self, everybody: int) -> None:
        self.register_size = everybody
        self._show_count()

    def _first_page(self, flt: ResidentFilter, number: int, rows: list[Row], keep_cursor: bool) -> None:
        if number != self._search_number:
            return
        table = self.query_one(LazyTable)
        cursor = table.cursor
        self._shown_filter = flt
        generation = table.reset(len(rows))
        table.put_rows(generation, 0, rows)
        if keep_cursor:
            table.move_to(cursor)
        if not rows:
            self.show_history(None)

    def _counted(self, number: int, total: int, everybody: int | None) -> None:
        if number != self._search_number:
            return
        self.total = total
        if everybody is not None:
            self.register_size = everybody
        self.query_one(LazyTable).set_total(total)
        self._show_count()

    def _show_count(self) -> None:
        if self.total is None:
            text = t("residents.counting")
        elif self.total:
            text = t("residents.count", shown=f"{self.total:,}", total=f"{self.register_size:,}")
        else:
            text = t("residents.none")
        self.query_one("#count", Label).update(text, layout=False)  # one line, always: no need to lay out again

    @on(LazyTable.PageWanted)
    def _page_wanted(self, event: LazyTable.PageWanted) -> None:
        self.load_page(self._shown_filter, event.generation, event.offset, event.limit)

    @work(thread=True, group="residents-page", exit_on_error=False, name="load residents")
    def load_page(self, flt: ResidentFilter, generation: int, offset: int, limit: int) -> None:
        rows = [resident_row(view) for view in find_residents(flt, limit=limit, offset=offset)]
        deliver(self, self.query_one(LazyTable).put_rows, generation, offset, rows)

    # --- choices for the filters ------------------------------------------------------------------------------

    @work(thread=True, group="residents-choices", exit_on_error=False, name="load the grids and tags")
    def load_choices(self) -> None:
        from kit.stats import residents_by_grid, residents_by_tag
        from kit.vocabulary import known_tags

        grids = list(residents_by_grid())
        tags = sorted(set(residents_by_tag()) | set(known_tags()))
        deliver(self, self._choices, grids, tags)

    def _choices(self, grids: list[str], tags: list[str]) -> None:
        self.query_one("#grid", Select).set_options([(plain(grid), grid) for grid in grids])
        self.query_one("#tag", Select).set_options([(plain(word("tag", tag)), tag) for tag in tags])
        self._show_chosen_grid()  # a drill-down may have chosen one before the choices arrived

    # --- the detail pane --------------------------------------------------------------------------------------

    @on(LazyTable.RowHighlighted)
    def _highlighted(self, event: LazyTable.RowHighlighted) -> None:
        if event.row is None:
            if self._detail_timer is not None:
                self._detail_timer.stop()
            return
        key = event.row.key
        self._detail_timer = self.debounce(self._detail_timer, DETAIL_PAUSE, lambda: self.load_history(key))

    @on(LazyTable.RowSelected)
    def _selected(self, event: LazyTable.RowSelected) -> None:
        self.action_details()

    @work(thread=True, exclusive=True, group="residents-detail", exit_on_error=False, name="load the resident")
    def load_history(self, resident_id: int, limit: int = HISTORY_SHORT) -> None:
        deliver(self, self.show_history, resident_history(resident_id, limit=limit))

    def show_history(self, history: ResidentHistory | None) -> None:
        self.history = history
        body = self.query_one("#detail-body", Static)
        body.update(describe_resident(history, self.linli.local_time) if history else t("detail.none"))

    def action_details(self) -> None:
        """d / Enter: the resident's card over the whole screen, with more of their history; again: back."""
        detail = self.query_one("#detail")
        if self.maximized is detail:
            self.minimize()
            return
        self.maximize(detail, container=False)
        row = self.query_one(LazyTable).highlighted
        if row is not None:
            self.load_history(row.key, HISTORY_FULL)

    # --- changes ----------------------------------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def show_only(self, flt: ResidentFilter) -> None:
        """Show the residents `flt` picks (Today's drill-down: a grid's silent residents, an alert's resident): the
        filters show it as if the operator had chosen it, and the list gets the focus."""
        self.filter = flt
        self.query_one("#search", Input).value = flt.query
        self.query_one("#silent", Checkbox).value = flt.silent_on is not None
        self._show_chosen_grid()
        self.run_search()
        self.query_one(LazyTable).focus()

    def _show_chosen_grid(self) -> None:
        select: Select[str] = self.query_one("#grid", Select)
        if not self.filter.grid:
            select.clear()
            return
        with contextlib.suppress(InvalidSelectValueError):  # the grid choices are not there yet
            select.value = self.filter.grid

    def _current(self) -> ResidentView | None:
        table = self.query_one(LazyTable)
        row = table.highlighted
        if self.history is None or row is None or self.history.view.id != row.key:
            return None
        return self.history.view

    def _changed(self, result: Any) -> None:
        if result:
            self.run_search(keep_cursor=True)
            row = self.query_one(LazyTable).highlighted
            if row is not None:
                self.load_history(row.key)

    def action_add(self) -> None:
        self.app.push_screen(ResidentForm(), self._added)

    def _added(self, resident_id: int | None) -> None:
        if resident_id is not None:
            self.notify(t("residents.added", name=f"#{resident_id}"))
            self.count_register()
            self.run_search()

    def action_edit(self) -> None:
        view = self._current()
        if view is not None:
            self.app.push_screen(ResidentForm(view), self._changed)

    def action_monitoring(self) -> None:
        view = self._current()
        if view is not None:
            self.app.push_screen(MonitoringDialog(view), self._changed)

    def action_status(self) -> None:
        view = self._current()
        if view is not None:
            self.app.push_screen(StatusDialog(view), self._changed)

    def action_answer(self) -> None:
        """Record the answer the resident gave by phone, at the door or to an operator (tui.dialogs.answer)."""
        view = self._current()
        if view is not None:
            self.app.push_screen(AnswerDialog(view), self._changed)

    def action_import_sheet(self) -> None:
        """Update the register from a revised sheet: preview, then apply (tui.dialogs.import_update)."""
        self.app.push_screen(ImportUpdateDialog(), self._imported)

    def _imported(self, applied: str | None) -> None:
        if applied is not None:
            self.notify(applied)
            self.load_choices()
            self.count_register()
            self.run_search(keep_cursor=True)
