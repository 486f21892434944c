"""Create a task, give it to a volunteer (the least loaded of the grid suggested), print the door-knock list."""

from __future__ import annotations

from datetime import timedelta

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.notifications import SeverityLevel
from textual.widgets import Checkbox, Input, Label, Select
from textual.worker import Worker, WorkerState

from kit import audit
from kit.clock import utcnow
from kit.errors import LinliError, NotFound, ValidationError
from kit.models import TASK_KINDS
from kit.printer import PrinterProblem
from kit.residents import get_resident
from kit.tasks import TaskView, assign_task, create_task
from kit.views import VolunteerChoice, volunteer_choices
from tui.dialogs.form import FormDialog
from tui.i18n import t, word
from tui.plain import plain
from tui.printing import can_print, default_path, print_sheet, write_door_knock_list
from tui.widgets.form_field import FormField
from tui.workers import deliver


class NewTaskDialog(FormDialog[bool]):
    """A task for a resident (by number or phone); the kit gives it to the least-loaded volunteer of their grid."""

    def __init__(self, resident: str = "") -> None:
        super().__init__()
        self.resident = resident  # filled in when opened from a resident or an alert

    def compose(self) -> ComposeResult:
        kinds = [(word("task_kind", kind), kind) for kind in TASK_KINDS]
        with Vertical(classes="dialog wide"):
            yield Label(t("tasks.create_title"), classes="dialog-title")
            yield FormField(
                "resident", t("tasks.resident"), Input(self.resident, id="resident", compact=True), label_width=18
            )
            yield FormField(
                "kind",
                t("tasks.kind"),
                Select(kinds, value="errand", allow_blank=False, id="kind", compact=True),
                label_width=18,
            )
            yield FormField("need", t("tasks.need"), Input(id="need", compact=True), label_width=18)
            yield FormField("due", t("tasks.due_hours"), Input("4", id="due", compact=True), label_width=18)
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#need" if self.resident else "#resident", Input).focus()

    def action_save(self) -> None:
        hours_text = self.query_one("#due", Input).value.strip()
        try:
            hours = float(hours_text) if hours_text else None
        except ValueError:
            self.show_problem("due", "4")
            return
        self.save(
            self.query_one("#resident", Input).value.strip(),
            str(self.query_one("#kind", Select).value),
            self.query_one("#need", Input).value,
            hours,
        )

    @work(thread=True, exclusive=True, group="task-form", exit_on_error=False, name="create the task")
    def save(self, who: str, kind: str, need: str, hours: float | None) -> None:
        try:
            resident_id = get_resident(who).id if who else None
            due = utcnow() + timedelta(hours=hours) if hours else None
            task = create_task(
                kind, resident_id=resident_id, need=need, source="operator", due_at=due, actor=self.linli.actor
            )
        except (ValidationError, NotFound) as error:
            field = getattr(error, "field", None)
            deliver(self, self.show_problem, field if field in ("kind", "need") else "resident", error.message)
            return
        deliver(self, self.notify, t("tasks.created", id=task.id))
        deliver(self, self.dismiss, True)


class AssignDialog(FormDialog[bool]):
    """Pick the volunteer; the one the kit suggests (least loaded in the grid) is chosen at first."""

    def __init__(self, task: TaskView) -> None:
        super().__init__()
        self.job = task
        self.choices: list[VolunteerChoice] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(t("tasks.assign_title", id=self.job.id), classes="dialog-title")
            yield Label(plain(f"{self.job.resident} {self.job.address} · {self.job.grid or ''}"), classes="quoted")
            yield Label(t("loading"), id="suggestion")
            yield FormField("volunteer", t("tasks.volunteer"), Select[int]([], id="volunteer", compact=True))
            yield from self.buttons(t("tasks.assign"))

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="task-assign-load", exit_on_error=False, name="find volunteers")
    def load(self) -> None:
        suggested, choices = volunteer_choices(self.job.grid)
        deliver(self, self._loaded, suggested, choices)

    def _loaded(self, suggested: int | None, choices: list[VolunteerChoice]) -> None:
        self.choices = choices
        select = self.query_one("#volunteer", Select)
        select.set_options([(plain(f"{c.name} ({c.load})" + ("" if c.in_grid else " *")), c.id) for c in choices])
        chosen = next((c for c in choices if c.id == suggested), None)
        label = self.query_one("#suggestion", Label)
        if chosen is not None:
            select.value = chosen.id
            label.update(plain(t("tasks.suggested", name=chosen.name, load=chosen.load)))
        else:
            label.update(t("tasks.no_volunteer"))
        select.focus()

    def action_save(self) -> None:
        select = self.query_one("#volunteer", Select)
        if select.is_blank():
            self.show_problem("volunteer", t("tasks.no_volunteer"))
            return
        self.save(int(select.value))  # type: ignore[arg-type]

    @work(thread=True, exclusive=True, group="task-assign", exit_on_error=False, name="assign the task")
    def save(self, volunteer_id: int) -> None:
        try:
            assign_task(self.job.id, volunteer_id, actor=self.linli.actor)
        except (ValidationError, NotFound) as error:
            deliver(self, self.show_problem, "volunteer", error.message)
            return
        name = next((c.name for c in self.choices if c.id == volunteer_id), str(volunteer_id))
        deliver(self, self.notify, t("tasks.assigned", id=self.job.id, name=name))
        deliver(self, self.dismiss, True)


class PrintDialog(FormDialog[bool]):
    """Where to write the day's door-knock sheet (.pdf, .html or .txt), proposed in the documents folder; ticked
    (the default where `lp` exists), it then goes to the default printer."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(t("tasks.print_title"), classes="dialog-title")
            yield FormField(
                "path",
                t("sheet.save_path"),
                Input(default_path(self.linli.local_today()), id="path", compact=True),
                label_width=28,
            )
            yield Checkbox(t("sheet.save_and_print"), can_print(), id="to-printer", compact=True)
            yield from self.buttons(t("tasks.print"))

    def action_save(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        if path:
            self.save(path, self.query_one("#to-printer", Checkbox).value)

    @work(thread=True, exclusive=True, group="task-print", exit_on_error=False, name="write the door-knock list")
    def save(self, path: str, to_printer: bool) -> list[tuple[str, SeverityLevel]] | None:
        """Write (and print) the sheet; the lines to show once done (`_done`), None when the path was refused."""
        try:
            written = write_door_knock_list(path)
        except LinliError as error:
            deliver(self, self.show_problem, "path", error.message)
            return None
        except OSError as error:
            deliver(self, self.show_problem, "path", f"{path}: {error.strerror or error}")
            return None
        audit.record_export(self.linli.actor, "door_knock_list", str(written))
        lines: list[tuple[str, SeverityLevel]] = [(t("sheet.saved", path=str(written)), "information")]
        if to_printer:
            try:
                lines.append((print_sheet(written), "information"))
            except PrinterProblem as error:
                lines.append((error.message, "warning"))
        return lines

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Close once the work is done, not from inside it (closing cancels the dialog's workers)."""
        super().on_worker_state_changed(event)
        if event.worker.group == "task-print" and event.state == WorkerState.SUCCESS and event.worker.result:
            for line, severity in event.worker.result:
                self.notify(line, severity=severity)
            self.dismiss(False)
