"""Edit a volunteer: name, phone, the grids they cover and their skills; the kit's message appears next to the field
it names."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Input, Label

from kit.errors import Conflict, InvalidPhone, ValidationError
from kit.plaintext import visible
from kit.volunteer_views import VolunteerRow, split_grids
from kit.volunteers import update
from tui.dialogs.form import FormDialog
from tui.i18n import t
from tui.plain import plain
from tui.widgets.form_field import FormField
from tui.workers import deliver

FIELDS = ("name", "phone", "grids", "skills")  # the kit's names (kit.volunteers.update, ValidationError.field)


def initial_values(row: VolunteerRow) -> dict[str, str]:
    """The fields as the form shows them (control characters as symbols): only fields the operator changes are
    saved, so a value left alone stays exactly as stored."""
    skills = t("volunteers.separator").join(t(f"volunteers.skill.{skill}") for skill in row.skills)
    values = {
        "name": row.name,
        "phone": row.phone,
        "grids": t("volunteers.separator").join(row.grids),
        "skills": skills,
    }
    return {name: visible(value) for name, value in values.items()}


class VolunteerForm(FormDialog[bool]):
    """Dismisses with True once the kit saved the changes (or there were none to save), False when cancelled."""

    def __init__(self, row: VolunteerRow) -> None:
        super().__init__()
        self.row = row
        self.initial = initial_values(row)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(plain(t("volunteers.edit_title", name=self.row.name)), classes="dialog-title")
            for name in FIELDS:
                yield FormField(name, t(f"volunteers.field.{name}"), Input(self.initial[name], id=f"input-{name}"))
            yield from self.buttons(hint=t("volunteers.form_hint"))

    def on_mount(self) -> None:
        self.query_one("#input-name", Input).focus()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        for field in self.query(FormField):
            if field.control is event.input:
                field.clear_error()

    def action_save(self) -> None:
        values = {field.field_name: field.value for field in self.query(FormField)}
        changed = {name: value for name, value in values.items() if value != self.initial[name]}
        if not changed:
            self.dismiss(True)
            return
        self.query_one("#save", Button).disabled = True
        self.save(changed)

    @work(thread=True, exclusive=True, group="volunteer-form", exit_on_error=False, name="save the volunteer")
    def save(self, changed: dict[str, str]) -> None:
        grids = split_grids(changed["grids"]) if "grids" in changed else None
        try:
            update(
                self.row.id,
                actor=self.linli.actor,
                name=changed.get("name"),
                phone=changed.get("phone"),
                grids=grids,
                skills=changed.get("skills"),
            )
        except ValidationError as error:  # a number that cannot be one names no field: it is the phone's
            field = error.field or ("phone" if isinstance(error, InvalidPhone) else None)
            deliver(self, self.show_problem, field, error.message)
            return
        except Conflict as error:  # the number is another volunteer's
            deliver(self, self.show_problem, "phone", error.message)
            return
        finally:
            deliver(self, self._enable)
        deliver(self, self.notify, t("volunteers.done.edit", name=changed.get("name", self.row.name)))
        deliver(self, self.dismiss, True)

    def _enable(self) -> None:
        self.query_one("#save", Button).disabled = False
