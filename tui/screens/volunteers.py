"""Volunteers: who helps, where, with what, and whether they are on duty; the sign-ups by SMS waiting for a decision.

The table lists the sign-ups first (status "pending": approve with `a`, decline with `x`), then the volunteers on
duty, paused and inactive, each with their grids, skills, open tasks and points. `e` edits a volunteer, `p` pauses
one (off duty: no tasks, no door-knocks), `r` puts a paused or inactive one back on duty, `d` deactivates one
after a y/n question. The footer shows only the keys that fit the highlighted row. Every change is a kit service
(kit.volunteers) run in a worker; the status is always a word, never a colour alone.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static

from kit.phones import display_phone
from kit.plaintext import visible
from kit.volunteer_views import VolunteerRow, volunteer_board
from kit.volunteers import deactivate, pause, resume
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.volunteer_form import VolunteerForm
from tui.dialogs.volunteer_signup import ApproveDialog, DeclineDialog
from tui.i18n import t
from tui.plain import plain, plain_lines
from tui.screens.base import LinliScreen
from tui.widgets.row_table import RowTable
from tui.workers import deliver

REFRESH_SECONDS = 10.0  # sign-ups arrive by SMS: they show up without a key pressed
STATUS_STYLES = {"pending": "bold", "active": "", "paused": "dim", "inactive": "dim strike"}
# Which keys fit which rows: a sign-up is approved or declined; a volunteer edited, paused, resumed, deactivated.
KEYS_FOR = {
    "approve": ("pending",),
    "decline": ("pending",),
    "edit": ("active", "paused", "inactive"),
    "pause": ("active",),
    "resume": ("paused", "inactive"),
    "deactivate": ("active", "paused"),
}


def status_text(status: str) -> Text:
    """A status as a word ("在岗", "PAUSED"), styled but never carried by the style alone."""
    return Text(t(f"volunteers.status.{status}"), style=STATUS_STYLES.get(status, ""))


def skills_text(skills: tuple[str, ...]) -> str:
    return t("volunteers.separator").join(t(f"volunteers.skill.{skill}") for skill in skills)


def grids_text(row: VolunteerRow) -> Text:
    text = plain(t("volunteers.separator").join(row.grids))
    if row.grid_asked:
        text.append_text(plain(f"{row.grid_asked}?", style="bold"))
    return text


class VolunteersScreen(LinliScreen):
    NAME = "volunteers"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "volunteers.approve"),
        Binding("x", "decline", "volunteers.decline"),
        Binding("e", "edit", "volunteers.edit"),
        Binding("p", "pause", "volunteers.pause"),
        Binding("r", "resume", "volunteers.resume"),
        Binding("d", "deactivate", "volunteers.deactivate"),
        Binding("ctrl+r", "reload", "key.refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[VolunteerRow] = []

    def compose(self) -> ComposeResult:
        yield self.navbar()
        table: DataTable[Any] = RowTable(id="volunteers", cursor_type="row", zebra_stripes=True)
        table.add_column(t("volunteers.col.name"), key="name", width=10)
        table.add_column(t("volunteers.col.phone"), key="phone", width=17)
        table.add_column(t("volunteers.col.grids"), key="grids", width=11)
        table.add_column(t("volunteers.col.skills"), key="skills", width=9)
        table.add_column(t("volunteers.col.status"), key="status", width=8)
        table.add_column(t("volunteers.col.open"), key="open", width=4)
        table.add_column(t("volunteers.col.points"), key="points", width=4)
        yield table
        yield Static(t("volunteers.empty"), id="volunteer-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self._refresh_if_shown)

    def _refresh_if_shown(self) -> None:
        if self.is_current and not self.app.screen_stack[-1].is_modal:
            self.reload()

    def reload(self) -> None:
        self.load()

    def action_reload(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="volunteers", exit_on_error=False, name="load the volunteers")
    def load(self) -> None:
        deliver(self, self.show, volunteer_board())

    def show(self, rows: list[VolunteerRow]) -> None:
        table = self.query_one("#volunteers", DataTable)
        current = self.current()
        self.rows = rows
        table.clear()
        for row in rows:
            table.add_row(
                plain(row.name or "?"),
                plain(display_phone(row.phone)),
                grids_text(row),
                skills_text(row.skills),
                status_text(row.status),
                str(row.open_tasks) if not row.is_signup else "",
                str(row.points) if not row.is_signup else "",
                key=row_key(row),
            )
        if current is not None and any(row_key(row) == row_key(current) for row in rows):
            table.move_cursor(row=table.get_row_index(row_key(current)), animate=False)
        self._show_detail()

    def current(self) -> VolunteerRow | None:
        if not self.is_mounted:
            return None
        table = self.query_one("#volunteers", DataTable)
        if not self.rows or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row for row in self.rows if row_key(row) == key), None)

    @on(DataTable.RowHighlighted, "#volunteers")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        self.refresh_bindings()  # the footer offers the keys of the highlighted row
        row = self.current()
        detail = self.query_one("#volunteer-detail", Static)
        if row is None:
            detail.update(t("volunteers.empty"))
            return
        text = Text()
        text.append_text(plain(row.name or t("volunteers.no_name"), style="bold"))
        text.append(f"  {visible(display_phone(row.phone))}  ")
        text.append_text(status_text(row.status))
        if row.is_signup:
            text.append(f"\n{t('volunteers.signup_said')} ")
            text.append_text(plain_lines(row.text))
            if row.grid_asked:
                text.append(f"\n{t('volunteers.no_such_grid', grid=visible(row.grid_asked))}")
        else:
            grids = visible(t("volunteers.separator").join(row.grids))
            text.append(f"\n{t('volunteers.col.grids')}: {grids or '—'}  ")
            text.append(f"{t('volunteers.col.skills')}: {skills_text(row.skills) or '—'}\n")
            text.append(t("volunteers.summary", open=row.open_tasks, points=row.points))
        detail.update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The row keys only on rows they fit (hidden from the footer elsewhere); every other action always."""
        if action not in KEYS_FOR:
            return True
        row = self.current()
        return row is not None and row.status in KEYS_FOR[action]

    # --- acting -----------------------------------------------------------------------------------------------

    def action_approve(self) -> None:
        row = self.current()
        if row is not None and row.is_signup:
            self.app.push_screen(ApproveDialog(row), self._after)

    def action_decline(self) -> None:
        row = self.current()
        if row is not None and row.is_signup:
            self.app.push_screen(DeclineDialog(row), self._after)

    def action_edit(self) -> None:
        row = self.current()
        if row is not None and not row.is_signup:
            self.app.push_screen(VolunteerForm(row), self._after)

    def action_pause(self) -> None:
        row = self.current()
        if row is not None and row.status == "active":
            self.change(row, "pause")

    def action_resume(self) -> None:
        row = self.current()
        if row is not None and row.status in KEYS_FOR["resume"]:
            self.change(row, "resume")

    def action_deactivate(self) -> None:
        row = self.current()
        if row is None or row.status not in KEYS_FOR["deactivate"]:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(row, "deactivate")

        question = t("volunteers.confirm_deactivate", name=visible(row.name), open=row.open_tasks)
        self.app.push_screen(ConfirmDialog(t("confirm.title"), question), answered)

    @work(thread=True, group="volunteer-change", exit_on_error=False, name="change the volunteer")
    def change(self, row: VolunteerRow, what: str) -> None:
        service = {"pause": pause, "resume": resume, "deactivate": deactivate}[what]
        service(row.id, actor=self.linli.actor)
        deliver(self, self.notify, t(f"volunteers.done.{what}", name=row.name))
        deliver(self, self.reload)

    def _after(self, changed: bool | None) -> None:
        if changed:
            self.reload()


def row_key(row: VolunteerRow) -> str:
    return f"{row.kind}:{row.id}"
