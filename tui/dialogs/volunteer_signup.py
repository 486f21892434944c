"""A sign-up by SMS, decided: approve it (with the name and grid the operator confirms) or decline it (with a reason
the person is told, when given). The kit tells the person by SMS either way."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Input, Label, Static

from kit.errors import Conflict, ValidationError
from kit.phones import display_phone
from kit.plaintext import visible
from kit.volunteer_signups import approve_signup, decline_signup
from kit.volunteer_views import VolunteerRow, split_grids
from tui.dialogs.form import FormDialog
from tui.i18n import t
from tui.plain import plain, plain_lines
from tui.widgets.form_field import FormField
from tui.workers import deliver


class SignupDialog(FormDialog[bool]):
    """What both dialogs share: the title, what the person sent, the fields; True once the kit decided."""

    TITLE_KEY = ""
    SAVE_KEY = ""

    def __init__(self, row: VolunteerRow) -> None:
        super().__init__()
        self.row = row

    def fields(self) -> ComposeResult:
        yield from ()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(plain(t(self.TITLE_KEY, phone=display_phone(self.row.phone))), classes="dialog-title")
            said = plain(f"{t('volunteers.signup_said')} ")
            said.append_text(plain_lines(self.row.text))
            yield Static(said, classes="quoted")
            yield from self.fields()
            yield from self.buttons(t(self.SAVE_KEY))

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        for field in self.query(FormField):
            if field.control is event.input:
                field.clear_error()

    def action_save(self) -> None:
        self.query_one("#save", Button).disabled = True
        self.decide({field.field_name: field.value for field in self.query(FormField)})

    @work(thread=True, exclusive=True, group="signup", exit_on_error=False, name="decide the sign-up")
    def decide(self, values: dict[str, str]) -> None:
        try:
            done = self.apply(values)
        except (ValidationError, Conflict) as error:  # a name or grid to give, or the number is a volunteer already
            deliver(self, self.show_problem, error.field if isinstance(error, ValidationError) else None, error.message)
            return
        finally:
            deliver(self, self._enable)
        deliver(self, self.notify, done)
        deliver(self, self.dismiss, True)

    def apply(self, values: dict[str, str]) -> str:
        """Run the kit's decision (in the worker); returns what the operator is told."""
        raise NotImplementedError

    def _enable(self) -> None:
        self.query_one("#save", Button).disabled = False


class ApproveDialog(SignupDialog):
    """The name (a number nobody knows gives none) and the grid they cover, as the sign-up gave them; a grid they
    asked for that does not exist is not offered: the operator names one."""

    TITLE_KEY = "volunteers.approve_title"
    SAVE_KEY = "volunteers.approve"

    def __init__(self, row: VolunteerRow) -> None:
        super().__init__(row)
        self.initial_grid = t("volunteers.separator").join(row.grids)

    def fields(self) -> ComposeResult:
        yield FormField("name", t("volunteers.field.name"), Input(visible(self.row.name), id="input-name"))
        yield FormField("grid", t("volunteers.field.grids"), Input(self.initial_grid, id="input-grid"))
        if self.row.grid_asked:
            yield Label(plain(t("volunteers.no_such_grid", grid=self.row.grid_asked)), classes="hint")

    def apply(self, values: dict[str, str]) -> str:
        grid = values["grid"]
        grids = split_grids(grid) if grid != self.initial_grid else None  # unchanged: the grid the sign-up gave
        volunteer = approve_signup(self.row.id, self.linli.actor, name=values["name"] or None, grids=grids)
        return t("volunteers.done.approve", name=volunteer.name)


class DeclineDialog(SignupDialog):
    TITLE_KEY = "volunteers.decline_title"
    SAVE_KEY = "volunteers.decline"

    def fields(self) -> ComposeResult:
        yield FormField("why", t("volunteers.field.why"), Input("", id="input-why"))
        yield Label(t("volunteers.why_hint"), classes="hint")

    def apply(self, values: dict[str, str]) -> str:
        decline_signup(self.row.id, self.linli.actor, why=values["why"])
        return t("volunteers.done.decline", phone=display_phone(self.row.phone))
