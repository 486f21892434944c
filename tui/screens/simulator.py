"""Simulator (demo and training): pick a resident, type the SMS they send, and watch the loop react. It can also
speak as a volunteer (完成 12, 接 12, 暂停) or as a number Linli does not know (报名 志愿者 ...).

The message goes through the real router (sms.router.handle with gateway "simulator"), exactly as an SMS from the
provider would: it is recorded, parsed, acted on (a report, an alert, a task) and answered through the outbox. The
conversation below shows both sides; Today shows the round, the alerts and the tasks change.
"""

from __future__ import annotations

import importlib.util
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from kit.call_lines import fold_calls, outcome_words
from kit.community import get_community
from kit.errors import LinliError
from kit.phones import display_phone, normalize_phone
from kit.plaintext import visible
from kit.resident_search import ResidentFilter, ResidentView, find_residents
from kit.views import MessageLine, conversation
from kit.volunteers import list_volunteers
from tui.i18n import language, t, word
from tui.screens.base import LinliScreen
from tui.widgets.badges import status_text
from tui.workers import deliver

if TYPE_CHECKING:
    from tui.app import LinliApp

SEARCH_PAUSE = 0.15
REFRESH_SECONDS = 2.0
GATEWAY = "simulator"


def voice_simulator(app: LinliApp) -> Any | None:
    """The voice simulator the calls go through: the composition root's (passed to the app), else one of our own
    when the configuration uses the simulator for voice (it finds calls placed by another instance in the outbox).
    None when voice goes through a real provider: then nobody can press keys here."""
    if app.voice is not None:
        return app.voice if hasattr(app.voice, "press") else None
    if app.settings.gateway.voice != "simulator" or importlib.util.find_spec("ivr.simulator") is None:
        return None
    from ivr.simulator import SimulatorVoiceGateway

    app.voice = SimulatorVoiceGateway()
    return app.voice


@dataclass(frozen=True)
class Sender:
    """Who the simulator speaks as: a resident, a volunteer, or a number Linli does not know."""

    kind: str  # resident, volunteer, unknown
    id: int
    phone: str | None
    label: Text  # how the list and the "answering as" line show them


def resident_sender(view: ResidentView) -> Sender:
    phone = display_phone(view.phone) or t("tag.no-phone")
    label = Text(visible(f"#{view.id} {view.name}  {phone}  {view.address} "))
    label.append_text(status_text(view.status))
    return Sender("resident", view.id, view.phone, label)


def find_senders(text: str) -> list[Sender]:
    """Residents, then volunteers, whose name, phone or number matches `text`; a whole phone number nobody has is
    offered as a stranger (to try 报名)."""
    found = [resident_sender(view) for view in find_residents(ResidentFilter(query=text), limit=6)]
    if not found and text.strip().isdigit() and len(text.strip()) < 9:
        found = [resident_sender(view) for view in find_residents(ResidentFilter(ids=[int(text.strip())]), limit=1)]
    digits = "".join(ch for ch in text if ch.isdigit())
    for volunteer in list_volunteers():
        if text.strip() in volunteer.name or (len(digits) >= 4 and digits in volunteer.phone):
            who = visible(f"{t('sim.volunteer')} {volunteer.name}  {display_phone(volunteer.phone)}")
            found.append(Sender("volunteer", volunteer.id, volunteer.phone, Text(who)))
    if not found and len(digits) >= 7:
        try:
            phone = normalize_phone(text, get_community().region)
        except LinliError:
            return found
        found.append(Sender("unknown", 0, phone, Text(f"{t('sim.stranger')} {display_phone(phone)}")))
    return found[:8]


@dataclass(frozen=True)
class CallView:
    """A simulated call as the panel shows it."""

    call_id: str
    status: str
    said: tuple[str, ...]
    outcome: str
    waiting: bool  # listening for keys


def call_view(call: Any) -> CallView:
    outcome = outcome_words(call.outcome.as_dict(), language()) if call.outcome is not None else ""
    return CallView(call.call_id, call.status, tuple(call.said), outcome, call.state is not None)


def call_state_text(call: CallView) -> str:
    """Where the call is, in words: ringing (keys answer it), waiting for keys, or ended and how."""
    if call.status == "ringing":
        return t("call.ringing")
    if call.status == "in-progress":
        return t("sim.call_waiting")
    return t("sim.call_ended", status=word("call.status", call.status))


def conversation_text(messages: list[MessageLine], when: object) -> Text:
    text = Text()
    for message in messages:
        stamp = when(message.at, "%H:%M") if callable(when) else ""
        body = message.body or (f"☎ {t('sim.call')}" if message.channel == "voice" else "")  # a call placed
        if message.direction == "in":  # what the resident sent (← into the kit, as everywhere in the UI)
            text.append(f"{stamp} ← {visible(body)}\n", style="bold")
        else:
            text.append(f"{stamp} → {visible(body)}  ({message.status})\n")
    return text


class SimulatorScreen(LinliScreen):
    NAME = "simulator"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+f", "find", "sim.resident"),
        Binding("ctrl+r", "reload", "key.refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.resident: Sender | None = None
        self.matches: list[Sender] = []
        self._search_timer: Timer | None = None
        self.call: CallView | None = None
        self.voice: Any = None  # the voice simulator (see voice_simulator), or None

    def compose(self) -> ComposeResult:
        yield self.navbar()
        yield Input(placeholder=t("sim.resident"), id="who", compact=True)
        yield OptionList(id="matches")
        yield Label(t("sim.nobody"), id="as")
        yield Label(t("sim.conversation"), classes="section-title")
        with VerticalScroll(id="conversation-box"):
            yield Static("", id="conversation")
        yield Input(placeholder=t("sim.reply"), id="sms", compact=True, disabled=True)
        with Horizontal(id="keypad"):
            yield Input(placeholder=t("sim.keys"), id="keys", compact=True, restrict=r"[0-9*#]*", disabled=True)
            yield Button(t("sim.call_in"), id="call-in", compact=True, disabled=True)
            yield Button(t("sim.silence"), id="silence", compact=True, disabled=True)
            yield Button(t("sim.hang_up"), id="hang-up", compact=True, disabled=True)
        yield Label("", id="call-state", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.voice = voice_simulator(self.linli)
        if self.voice is None:
            self.query_one("#call-state", Label).update(t("sim.keypad") + ": " + t("sim.keypad_pending"))
        self.query_one("#who", Input).focus()
        self.set_interval(REFRESH_SECONDS, self._refresh_if_shown)

    def _refresh_if_shown(self) -> None:
        if self.is_current and self.resident is not None:
            self.reload()

    def reload(self) -> None:
        if self.resident is not None and self.resident.phone:
            self.load_conversation(self.resident.phone)

    def action_reload(self) -> None:
        self.reload()

    def action_find(self) -> None:
        self.query_one("#who", Input).focus()

    # --- choosing the resident --------------------------------------------------------------------------------

    @on(Input.Changed, "#who")
    def _typed(self, event: Input.Changed) -> None:
        text = event.value
        self._search_timer = self.debounce(self._search_timer, SEARCH_PAUSE, lambda: self.find(text))

    @on(Input.Submitted, "#who")
    def _pick_first(self) -> None:
        if self.matches:
            self.choose(self.matches[0])

    @work(thread=True, exclusive=True, group="sim-find", exit_on_error=False, name="find the resident")
    def find(self, text: str) -> None:
        deliver(self, self._found, find_senders(text) if text.strip() else [])

    def _found(self, senders: list[Sender]) -> None:
        self.matches = senders
        options = self.query_one("#matches", OptionList)
        options.clear_options()
        for number, sender in enumerate(senders):
            options.add_option(Option(sender.label, id=str(number)))

    @on(OptionList.OptionSelected, "#matches")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        number = int(event.option.id or 0)
        if number < len(self.matches):
            self.choose(self.matches[number])

    def choose(self, who: Sender | ResidentView) -> None:
        view = resident_sender(who) if isinstance(who, ResidentView) else who
        self.resident = view
        label = Text(t("sim.as", who=""))
        label.append_text(view.label)
        self.query_one("#as", Label).update(label)
        sms = self.query_one("#sms", Input)
        sms.disabled = not view.phone
        for widget in self.query("#keypad > *"):
            widget.disabled = not view.phone or self.voice is None or view.kind != "resident"  # calls: residents
        self.call = None
        if view.phone:
            sms.focus()
            self.load_conversation(view.phone)
        else:
            self.query_one("#conversation", Static).update(t("tag.no-phone"))

    # --- answering as the resident ----------------------------------------------------------------------------

    @on(Input.Submitted, "#sms")
    def _send(self, event: Input.Submitted) -> None:
        body = event.value.strip()
        if not body or self.resident is None or not self.resident.phone:
            return
        event.input.value = ""
        self.send(self.resident.phone, body)

    @work(thread=True, group="sim-send", exit_on_error=False, name="receive the SMS")
    def send(self, phone: str, body: str) -> None:
        from sms.router import handle

        handle(GATEWAY, f"SIMIN-{uuid.uuid4().hex[:16]}", phone, body)
        deliver(self, self.notify, t("sim.sent", body=body))
        deliver(self, self.load_conversation, phone)

    @work(thread=True, exclusive=True, group="sim-conversation", exit_on_error=False, name="load the conversation")
    def load_conversation(self, phone: str) -> None:
        known = self.call.call_id if self.call is not None else None
        call = self._find_call(phone, known) if self.voice is not None else None
        deliver(self, self._show_conversation, phone, fold_calls(conversation(phone), language()), call)

    def _find_call(self, phone: str, known: str | None) -> CallView | None:
        """The resident's call ringing or in progress, else the call already shown as it is now (ended by a
        no-answer or a hang-up elsewhere), so its state is never stale."""
        from ivr.simulator import SimulatedCallError

        for key in (phone, known):
            if key is None:
                continue
            try:
                found = self.voice.find(key)
            except SimulatedCallError:
                continue
            if found.active or key == known:
                return call_view(found)
        return None

    def _show_conversation(self, phone: str, messages: list[MessageLine], call: CallView | None) -> None:
        if self.resident is None or self.resident.phone != phone:
            return
        if call is not None or (self.call is not None and not self.call.waiting):
            self.call = call or self.call
        text = conversation_text(messages, self.linli.local_time)
        if self.call is not None:
            status = word("call.status", self.call.status)
            text.append(f"\n{t('sim.call')} {self.call.call_id} ({status})\n", style="bold")
            for line in self.call.said:
                text.append(f"  ☎ {visible(line)}\n")
            if self.call.outcome:
                text.append(f"  = {self.call.outcome}\n", style="bold")
        self.query_one("#conversation", Static).update(text)
        self.query_one("#conversation-box", VerticalScroll).scroll_end(animate=False)
        state = call_state_text(self.call) if self.call is not None else ""
        if self.voice is not None:
            self.query_one("#call-state", Label).update(state)

    # --- the keypad (voice) -----------------------------------------------------------------------------------

    @on(Input.Submitted, "#keys")
    def _keys(self, event: Input.Submitted) -> None:
        digits = event.value.strip()
        event.input.value = ""
        self.keypad("press", digits or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "call-in":
            self.keypad("call_in", None)
        elif event.button.id == "silence":
            self.keypad("press", None)
        elif event.button.id == "hang-up":
            self.keypad("hang_up", None)

    def keypad(self, what: str, digits: str | None) -> None:
        if self.resident is None or not self.resident.phone or self.voice is None:
            return
        self.act_on_call(self.resident.phone, what, digits)

    @work(thread=True, exclusive=True, group="sim-call", exit_on_error=False, name="use the keypad")
    def act_on_call(self, phone: str, what: str, digits: str | None) -> None:
        voice = self.voice
        if what == "call_in":
            call = voice.call_in(phone)
        elif what == "hang_up":
            call = voice.hang_up(phone)
        else:
            call = voice.press(phone, digits)
        self.call = call_view(call)
        deliver(self, self.load_conversation, phone)
