"""Add or edit a resident; the kit's validation message appears next to the field it names."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Button, Input, Label

from kit.errors import Conflict, ValidationError
from kit.plaintext import visible
from kit.resident_search import ResidentView
from kit.residents import ResidentInput, add_resident, edit_resident
from tui.dialogs.form import FormDialog
from tui.i18n import t
from tui.plain import plain
from tui.widgets.form_field import FormField
from tui.workers import deliver

# The form's fields: the kit's name (ResidentInput, ValidationError.field) and the label's key.
FIELDS = (
    ("name", "form.name"),
    ("phone", "form.phone"),
    ("grid", "form.grid"),
    ("second_phone", "form.second_phone"),
    ("building", "form.building"),
    ("unit", "form.unit"),
    ("room", "form.room"),
    ("birth_year", "form.birth_year"),
    ("language", "form.language"),
    ("tags", "form.tags"),
    ("notes", "form.notes"),
)


NO_SUCH_GRID = ("residents.no_such_grid", "residents.no_grids_yet")  # a typo, or a grid to make: Save again makes it


def initial_values(view: ResidentView | None) -> dict[str, str]:
    """The fields as the form shows them: control characters as symbols, like everywhere in the UI. Only the fields
    the operator changes are saved, so a value left alone stays exactly as stored."""
    if view is None:
        return {name: "" for name, _ in FIELDS}
    values = {
        "name": view.name,
        "phone": view.phone or "",
        "grid": view.grid or "",
        "second_phone": view.second_phone or "",
        "building": view.building,
        "unit": view.unit,
        "room": view.room,
        "birth_year": str(view.birth_year or ""),
        "language": view.language,
        "tags": ", ".join(view.tags),
        "notes": view.notes,
    }
    return {name: visible(value) for name, value in values.items()}


class ResidentForm(FormDialog[int | None]):
    """Dismisses with the resident's id once the kit stored them, or None when cancelled."""

    CANCELLED = None
    PROBLEM_ID = "form-problem"

    def __init__(self, resident: ResidentView | None = None) -> None:
        super().__init__()
        self.resident = resident
        self.initial = initial_values(resident)
        self.new_grid = ""  # a grid the kit said does not exist: saving again with it makes it (kit.residents)

    def compose(self) -> ComposeResult:
        title = t("form.add_title") if self.resident is None else t("form.edit_title", name=self.resident.name)
        with Vertical(classes="dialog wide"):
            yield Label(plain(title), classes="dialog-title")
            with Grid(id="resident-fields"):
                for name, key in FIELDS:
                    control = Input(self.initial[name], id=f"input-{name}", compact=True)
                    yield FormField(name, t(key), control, label_width=12)
            yield from self.buttons(hint=t("form.hint"))

    def on_mount(self) -> None:
        self.query_one("#input-name", Input).focus()

    def values(self) -> dict[str, str]:
        return {field.field_name: field.value for field in self.query(FormField)}

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        for field in self.query(FormField):
            if field.control is event.input:
                field.clear_error()

    def action_save(self) -> None:
        values = self.values()
        if self.resident is not None:
            values = {name: value for name, value in values.items() if value != self.initial[name]}
            if not values:
                self.dismiss(self.resident.id)
                return
        self.query_one("#save", Button).disabled = True
        self.save(values)

    @work(thread=True, exclusive=True, group="resident-form", exit_on_error=False, name="save the resident")
    def save(self, values: dict[str, str]) -> None:
        grid = " ".join(values.get("grid", "").split())
        confirmed = bool(grid) and grid == self.new_grid  # the operator saved again with the grid the kit asked about
        try:
            if self.resident is None:
                resident = add_resident(ResidentInput(**values), actor=self.linli.actor, new_grid=confirmed)
            else:
                resident = edit_resident(self.resident.id, dict(values), actor=self.linli.actor, new_grid=confirmed)
        except ValidationError as error:
            if error.key in NO_SUCH_GRID:
                self.new_grid = grid
            deliver(self, self.show_problem, error.field, error.message)
            return
        except Conflict as error:  # the phone number belongs to somebody else
            deliver(self, self.show_problem, "phone", error.message)
            return
        finally:
            deliver(self, self._enable)
        deliver(self, self.dismiss, int(resident.id))

    def _enable(self) -> None:
        self.query_one("#save", Button).disabled = False

    def show_problem(self, field_name: str | None, message: str) -> None:
        """A message next to a field also clears the one under the form."""
        super().show_problem(field_name, message)
        if self.form_field(field_name) is not None:
            self.query_one("#form-problem", Label).update("")

    def field_error(self, name: str) -> str:
        field = self.form_field(name)
        return field.error if field is not None else ""
