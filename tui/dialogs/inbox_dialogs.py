"""Answer the sender of a message, or correct how the parser read it."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, Select, Static

from kit.errors import ValidationError
from kit.health import CORRECTABLE, is_fever
from kit.phones import display_phone
from kit.segments import analyze
from kit.views import MessageLine
from tui.dialogs.form import FormDialog
from tui.i18n import t, word
from tui.plain import plain, plain_lines
from tui.widgets.form_field import FormField
from tui.workers import deliver


class ReplyDialog(FormDialog[bool]):
    """A free-text answer to the sender, queued in the outbox ahead of check-ins and broadcasts."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s", "save", "sim.send")]
    PROBLEM_ID = None

    def __init__(self, message: MessageLine) -> None:
        super().__init__()
        self.message = message
        self.who = message.resident_name or display_phone(message.peer) or message.peer

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(plain(t("inbox.reply_title", who=self.who)), classes="dialog-title")
            yield Static(plain_lines(f"← {self.message.body}"), classes="quoted")
            yield FormField("body", t("inbox.reply_body"), Input(id="reply-body", compact=True))
            yield Label("", id="reply-size", classes="hint")
            yield from self.buttons(t("sim.send"), save_id="send")

    def on_mount(self) -> None:
        self.query_one("#reply-body", Input).focus()

    @on(Input.Changed, "#reply-body")
    def _measure(self, event: Input.Changed) -> None:
        info = analyze(event.value)
        self.query_one("#reply-size", Label).update(f"{info.encoding} · {info.segments} SMS · {info.units} units")
        self.query_one(FormField).clear_error()

    def action_save(self) -> None:
        body = self.query_one("#reply-body", Input).value.strip()
        if not body:
            self.show_problem("body", t("notices.empty_body"))
            return
        self.send(body)

    @work(thread=True, exclusive=True, group="inbox-reply", exit_on_error=False, name="queue the reply")
    def send(self, body: str) -> None:
        from kit.inbox import reply_to

        reply_to(self.message.id, body, actor=self.linli.actor)
        deliver(self, self.notify, t("inbox.replied", who=self.who))
        deliver(self, self.dismiss, True)


class CorrectDialog(FormDialog[bool]):
    """What the reply really meant: well, unwell (with a temperature) or a request for help (with the need)."""

    SAVE_ON_ENTER = False
    PROBLEM_ID = "correct-problem"

    def __init__(self, message: MessageLine) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        current = str((self.message.corrected or self.message.intent).get("intent", ""))
        options = [(word("intent", kind), kind) for kind in CORRECTABLE]
        with Vertical(classes="dialog wide"):
            yield Label(t("inbox.correct_title"), classes="dialog-title")
            yield Static(plain_lines(f"← {self.message.body}"), classes="quoted")
            yield FormField(
                "intent",
                t("inbox.correct_as"),
                Select(
                    options,
                    value=current if current in CORRECTABLE else "well",
                    allow_blank=False,
                    id="kind",
                    compact=True,
                ),
                label_width=16,
            )
            yield FormField(
                "temperature_c", t("inbox.temperature"), Input(id="temperature", compact=True), label_width=16
            )
            yield FormField("text", t("inbox.need"), Input(id="need", compact=True), label_width=16)
            yield from self.buttons()

    def intent(self) -> dict[str, Any] | None:
        kind = str(self.query_one("#kind", Select).value)
        raw = self.query_one("#temperature", Input).value.strip()
        temperature: float | None = None
        if raw:
            try:
                temperature = round(float(raw.replace("，", ".").replace(",", ".")), 1)
            except ValueError:
                self.show_problem("temperature_c", "38.5")
                return None
        symptoms = ["fever"] if is_fever(temperature) else []
        need = self.query_one("#need", Input).value.strip() if kind == "help" else ""
        return {"intent": kind, "temperature_c": temperature, "symptoms": symptoms, "text": need, "task_number": None}

    def action_save(self) -> None:
        intent = self.intent()
        if intent is not None:
            self.save(intent)

    @work(thread=True, exclusive=True, group="inbox-correct", exit_on_error=False, name="correct the reply")
    def save(self, intent: dict[str, Any]) -> None:
        from kit.inbox import correct_intent

        try:
            correct_intent(self.message.id, intent, actor=self.linli.actor)
        except ValidationError as error:
            deliver(self, self.show_problem, error.field, error.message)
            return
        deliver(self, self.dismiss, True)
