"""Close a door-knock with what the volunteer found (`kit.answers_by_hand.close_door_knock`): well, unwell (with a
temperature), needs help, nobody home or moved away. Nothing is chosen at first, and the dialog does not close the
task until something is."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Select

from kit.answers_by_hand import KNOCK_OUTCOMES, KnockResult, close_door_knock
from kit.errors import Conflict, NotFound, ValidationError
from kit.tasks import TaskView
from tui.dialogs.answer import LABEL_WIDTH, outcome_choices, temperature_and_need, typed_temperature
from tui.dialogs.form import FormDialog
from tui.i18n import language, t
from tui.plain import plain
from tui.widgets.form_field import FormField
from tui.workers import deliver


class KnockOutcomeDialog(FormDialog[bool]):
    """Dismisses with True once the kit closed the door-knock with its outcome."""

    SAVE_ON_ENTER = False

    def __init__(self, task: TaskView) -> None:
        super().__init__()
        self.job = task

    def compose(self) -> ComposeResult:
        who = t(
            "answer.knock_who", name=self.job.resident, address=self.job.address, volunteer=self.job.volunteer or "—"
        )
        with Vertical(classes="dialog wide"):
            yield Label(t("answer.knock_title", id=self.job.id), classes="dialog-title")
            yield Label(plain(who), classes="quoted")
            yield FormField(
                "outcome",
                t("answer.outcome"),
                Select(outcome_choices(KNOCK_OUTCOMES), prompt=t("answer.knock_pick"), id="outcome", compact=True),
                label_width=LABEL_WIDTH,
            )
            yield from temperature_and_need()
            yield from self.buttons(t("answer.save"))

    def on_mount(self) -> None:
        self.query_one("#outcome", Select).focus()

    def action_save(self) -> None:
        select = self.query_one("#outcome", Select)
        if select.is_blank():
            self.show_problem("outcome", t("answer.knock_pick"))
            return
        self.save(str(select.value), self.query_one("#temperature", Input).value, self.query_one("#need", Input).value)

    @work(thread=True, exclusive=True, group="knock-outcome", exit_on_error=False, name="close the door-knock")
    def save(self, outcome: str, temperature: str, need: str) -> None:
        try:
            celsius = typed_temperature(temperature, language())
            result = close_door_knock(
                self.job.id,
                outcome,
                actor=self.linli.actor,
                temperature_c=celsius,
                need=need,
                settings=self.linli.settings.checkin,
            )
        except (ValidationError, NotFound, Conflict) as error:
            deliver(self, self.show_problem, getattr(error, "field", None), error.message)
            return
        deliver(self, self.notify, self.said(result))
        deliver(self, self.dismiss, True)

    def said(self, result: KnockResult) -> str:
        if result.second_knock is not None:
            return t("answer.knock_again", id=result.second_knock)
        if result.outcome == "moved_away":
            return t("answer.knock_moved", name=self.job.resident)
        return t("answer.knock_closed", id=self.job.id, outcome=t(f"answer.outcome.{result.outcome}"))
