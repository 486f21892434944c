"""Tasks: a board by state (a tab per state, with its count), to create, assign, reassign, close and cancel tasks,
and to print the day's door-knock sheet (`p`: PDF, HTML or text, proposed in the documents folder, then to the
default printer where `lp` exists). Overdue tasks say "!逾期"/"!OVERDUE" in their due column, not only in red.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static, Tab, Tabs

from kit.assignment import OPEN_STATES
from kit.clock import utcnow
from kit.models import TASK_STATES
from kit.plaintext import visible
from kit.tasks import TaskView, cancel_task, complete_task, list_tasks, task_counts
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.knock_outcome import KnockOutcomeDialog
from tui.dialogs.task_dialogs import AssignDialog, NewTaskDialog, PrintDialog
from tui.i18n import t, word
from tui.plain import plain
from tui.screens.base import LinliScreen
from tui.widgets.badges import overdue_text
from tui.workers import deliver

BOARD = ("unfinished", *TASK_STATES)  # a tab per state, the unfinished ones together first
SHOWN = 300  # tasks per state in the table, newest first
REFRESH_SECONDS = 5.0


def is_overdue(task: TaskView) -> bool:
    return task.state in OPEN_STATES and task.due_at is not None and task.due_at <= utcnow()


class TasksScreen(LinliScreen):
    NAME = "tasks"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "tasks.new"),
        Binding("a", "assign", "tasks.assign"),
        Binding("d", "done", "tasks.done"),
        Binding("x", "cancel_task", "tasks.cancel"),
        Binding("p", "print", "tasks.print"),
        Binding("ctrl+r", "reload", "key.refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.state = "unfinished"
        self.tasks: list[TaskView] = []

    def compose(self) -> ComposeResult:
        yield self.navbar()
        yield Tabs(*(Tab(word("task_state", state), id=f"state-{state}") for state in BOARD), id="states")
        table: DataTable[Any] = DataTable(id="tasks", cursor_type="row", zebra_stripes=True)
        table.add_column(t("tasks.col.id"), key="id", width=5)
        table.add_column(t("tasks.col.kind"), key="kind", width=8)
        table.add_column(t("tasks.col.resident"), key="resident", width=20)
        table.add_column(t("tasks.col.need"), key="need", width=12)
        table.add_column(t("tasks.col.volunteer"), key="volunteer", width=8)
        table.add_column(t("tasks.col.due"), key="due", width=13)
        yield table
        yield Static("", id="task-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self._refresh_if_shown)

    def _refresh_if_shown(self) -> None:
        if self.is_current and not self.app.screen_stack[-1].is_modal:
            self.reload()

    def reload(self) -> None:
        self.load(self.state)

    def action_reload(self) -> None:
        self.reload()

    @on(Tabs.TabActivated, "#states")
    def _state_chosen(self, event: Tabs.TabActivated) -> None:
        state = (event.tab.id or "state-unfinished").removeprefix("state-")
        if state != self.state:
            self.state = state
            self.reload()

    @work(thread=True, exclusive=True, group="tasks", exit_on_error=False, name="load the tasks")
    def load(self, state: str) -> None:
        deliver(self, self.show, state, list_tasks(state, limit=SHOWN), task_counts())

    def show(self, state: str, tasks: list[TaskView], counts: dict[str, int]) -> None:
        counts = {**counts, "unfinished": sum(counts.get(name, 0) for name in OPEN_STATES)}
        for name in BOARD:
            tab = self.query_one(f"#state-{name}", Tab)
            tab.label = f"{word('task_state', name)} {counts.get(name, 0)}"
        if state != self.state:
            return
        table = self.query_one("#tasks", DataTable)
        current = self.current()
        self.tasks = tasks
        table.clear()
        for task in tasks:
            late = is_overdue(task)
            due = Text(self.linli.local_time(task.due_at, "%m-%d %H:%M") if task.due_at else "")
            if late:
                due = Text.assemble(overdue_text(), " ", due)
            resident = plain(f"{task.resident} {task.address}".strip(), style="bold red" if late else "")
            table.add_row(
                f"#{task.id}",
                word("task_kind", task.kind),
                resident,
                plain(task.need),
                plain(task.volunteer or "—"),
                due,
                key=str(task.id),
            )
        if current is not None and any(task.id == current.id for task in tasks):
            table.move_cursor(row=table.get_row_index(str(current.id)), animate=False)
        self._show_detail()

    def current(self) -> TaskView | None:
        table = self.query_one("#tasks", DataTable)
        if not self.tasks or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((task for task in self.tasks if str(task.id) == key), None)

    @on(DataTable.RowHighlighted, "#tasks")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        task = self.current()
        detail = self.query_one("#task-detail", Static)
        if task is None:
            detail.update(t("tasks.empty"))
            return
        text = Text()
        text.append(f"#{task.id} {word('task_kind', task.kind)} · {word('task_state', task.state)}", style="bold")
        if is_overdue(task):
            text.append("  ")
            text.append_text(overdue_text())
        text.append(f"\n{visible(task.resident)} {visible(task.address)} {task.phone or ''}  {visible(task.grid)}\n")
        text.append(f"{t('tasks.col.need')}: {visible(task.need) or '—'}   ")
        text.append(f"{t('tasks.col.volunteer')}: {visible(task.volunteer) or '—'}")
        detail.update(text)

    # --- acting -----------------------------------------------------------------------------------------------

    def action_new(self) -> None:
        self.app.push_screen(NewTaskDialog(), self._after)

    def action_assign(self) -> None:
        task = self.current()
        if task is not None and task.state in OPEN_STATES:
            self.app.push_screen(AssignDialog(task), self._after)

    def action_done(self) -> None:
        task = self.current()
        if task is None or task.state not in OPEN_STATES:
            return
        if task.kind == "door_knock":  # closed only with what the volunteer found (tui.dialogs.knock_outcome)
            self.app.push_screen(KnockOutcomeDialog(task), self._after)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.complete(task.id)

        self.app.push_screen(ConfirmDialog(t("confirm.title"), t("tasks.confirm_done", id=task.id)), answered)

    def action_cancel_task(self) -> None:
        task = self.current()
        if task is None or task.state not in OPEN_STATES:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.cancel(task.id)

        self.app.push_screen(ConfirmDialog(t("confirm.title"), t("tasks.confirm_cancel", id=task.id)), answered)

    @work(thread=True, group="task-change", exit_on_error=False, name="close the task")
    def complete(self, task_id: int) -> None:
        complete_task(task_id, actor=self.linli.actor)
        deliver(self, self.notify, t("tasks.completed", id=task_id))
        deliver(self, self.reload)

    @work(thread=True, group="task-change", exit_on_error=False, name="cancel the task")
    def cancel(self, task_id: int) -> None:
        cancel_task(task_id, reason="cancelled by an operator", actor=self.linli.actor)
        deliver(self, self.notify, t("tasks.cancelled", id=task_id))
        deliver(self, self.reload)

    def action_print(self) -> None:
        self.app.push_screen(PrintDialog(), self._after)

    def _after(self, result: Any) -> None:
        if result:
            self.reload()
