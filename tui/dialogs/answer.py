"""Record a resident's check-in answer given by phone, at the door or to an operator (`kit.answers_by_hand`).

Decisions
- A temperature is read as the SMS parser reads a reply's (`sms.parser.read_temperature`: "38度5" is 38.5), on the
  worker with the saving, so the dialog never waits for the database.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Select

from kit.answers_by_hand import CHANNELS, not_a_temperature, record_by_hand
from kit.errors import NotFound, ValidationError
from kit.health import KINDS
from kit.resident_search import ResidentView
from sms.parser import read_temperature
from tui.dialogs.form import FormDialog
from tui.i18n import t
from tui.plain import plain
from tui.widgets.form_field import FormField
from tui.workers import deliver

LABEL_WIDTH = 22


def typed_temperature(raw: str, language: str) -> float | None:
    """What an operator typed as a temperature, in °C; None when nothing was typed. Raises the kit's error for
    anything that is not a body temperature."""
    if not raw.strip():
        return None
    celsius = read_temperature(raw, language)
    if celsius is None:
        raise not_a_temperature(raw.strip())
    return celsius


def outcome_choices(outcomes: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(t(f"answer.outcome.{outcome}"), outcome) for outcome in outcomes]


def temperature_and_need() -> ComposeResult:
    """The fields an answer may carry: the temperature (unwell) and what is needed (help)."""
    yield FormField(
        "temperature_c", t("answer.temperature"), Input(id="temperature", compact=True), label_width=LABEL_WIDTH
    )
    yield FormField("need", t("answer.need"), Input(id="need", compact=True), label_width=LABEL_WIDTH)


class AnswerDialog(FormDialog[bool]):
    """Well, unwell (with a temperature) or help (with the need), and how the answer came; dismisses with True once
    the kit recorded it."""

    SAVE_ON_ENTER = False

    def __init__(self, resident: ResidentView) -> None:
        super().__init__()
        self.resident = resident

    def compose(self) -> ComposeResult:
        channels = [(t(f"answer.via.{channel}"), channel) for channel in CHANNELS]
        with Vertical(classes="dialog wide"):
            yield Label(plain(t("answer.title", name=self.resident.name)), classes="dialog-title")
            yield FormField(
                "kind",
                t("answer.outcome"),
                Select(outcome_choices(KINDS), value="well", allow_blank=False, id="kind", compact=True),
                label_width=LABEL_WIDTH,
            )
            yield from temperature_and_need()
            yield FormField(
                "channel",
                t("answer.via"),
                Select(channels, value="phone", allow_blank=False, id="channel", compact=True),
                label_width=LABEL_WIDTH,
            )
            yield from self.buttons(t("answer.save"))

    def on_mount(self) -> None:
        self.query_one("#kind", Select).focus()

    def action_save(self) -> None:
        self.save(
            str(self.query_one("#kind", Select).value),
            self.query_one("#temperature", Input).value,
            self.query_one("#need", Input).value,
            str(self.query_one("#channel", Select).value),
        )

    @work(thread=True, exclusive=True, group="answer", exit_on_error=False, name="record the answer")
    def save(self, kind: str, temperature: str, need: str, channel: str) -> None:
        try:
            celsius = typed_temperature(temperature, self.resident.language)
            record_by_hand(
                self.resident.id, kind, channel=channel, actor=self.linli.actor, temperature_c=celsius, need=need
            )
        except (ValidationError, NotFound) as error:
            deliver(self, self.show_problem, getattr(error, "field", None), error.message)
            return
        said = t(f"answer.outcome.{kind}") + (f" {celsius:g}°C" if celsius is not None else "")
        deliver(self, self.notify, t("answer.saved", name=self.resident.name, outcome=said))
        deliver(self, self.dismiss, True)
