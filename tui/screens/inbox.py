"""Inbox: the SMS residents and volunteers send, as they arrive, with what the parser read in each; a voice call is
one line with the keys pressed and what the call meant (kit.call_lines).

A worker polls the inbox every couple of seconds (the latest messages, newest first) and the table is redrawn only
when something changed: a new message, or a message the server has since parsed. An operator can answer the sender
(queued in the outbox ahead of broadcasts), correct a reply the parser read wrongly, or mark a reply nobody
understood read (kit.needs_reading); until then its row says it needs reading.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static

from kit import needs_reading
from kit.call_lines import fold_calls
from kit.phones import display_phone
from kit.plaintext import visible
from kit.views import MessageLine, inbound_messages
from tui.dialogs.inbox_dialogs import CorrectDialog, ReplyDialog
from tui.i18n import has, language, t, word
from tui.plain import plain, plain_lines
from tui.screens.base import LinliScreen
from tui.widgets.row_table import RowTable
from tui.workers import deliver

SHOWN = 200  # the newest messages in the table; older ones are in `linli export messages`


def intent_text(intent: dict[str, Any]) -> Text:
    """What the parser read: 'help 买药', 'unwell 38.5°C fever', 'not understood'."""
    if not intent:
        return Text("…", style="dim")
    kind = str(intent.get("intent", "unknown"))
    label = word("intent", kind) if has(f"intent.{kind}") else word("call.outcome", kind)  # a call's: no_input, ...
    text = Text(label, style="bold" if kind in ("unwell", "help") else "")
    temperature = intent.get("temperature_c")
    if temperature:
        text.append(f" {float(temperature):.1f}°C")
    symptoms = intent.get("symptoms") or []
    if symptoms:
        text.append(" " + visible(",".join(word("symptom", str(s)) for s in symptoms)))
    if intent.get("text"):
        text.append(f" {visible(str(intent['text']))}")  # the need, in the sender's words
    if intent.get("task_number"):
        text.append(f" #{intent['task_number']}")
    return text


def shown_intent(message: MessageLine) -> Text:
    """The operator's correction when there is one (marked ✎), else the parser's reading."""
    if message.corrected:
        text = Text("✎ ", style="bold")
        text.append_text(intent_text(message.corrected))
        return text
    return intent_text(message.intent)


def intent_cell(message: MessageLine) -> Text:
    """What a row was read as; a reply nobody has read yet says so first, in words (not only a colour)."""
    if not message.needs_reading:
        return shown_intent(message)
    text = Text(f"{t('needs_reading.tag')} ", style="bold reverse")
    text.append_text(shown_intent(message))
    return text


def signature(messages: list[MessageLine]) -> tuple[tuple[Any, ...], ...]:
    return tuple((m.id, m.status, bool(m.intent), bool(m.corrected), m.needs_reading) for m in messages)


class InboxScreen(LinliScreen):
    NAME = "inbox"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "reply", "inbox.reply"),
        Binding("c", "correct", "inbox.correct"),
        Binding("m", "mark_read", "needs_reading.mark"),
        Binding("ctrl+r", "reload", "key.refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[MessageLine] = []
        self._signature: tuple[tuple[Any, ...], ...] | None = None

    def compose(self) -> ComposeResult:
        yield self.navbar()
        table: DataTable[Any] = RowTable(id="inbox", cursor_type="row", zebra_stripes=True)
        table.add_column(t("inbox.col.time"), key="time", width=11)
        table.add_column(t("inbox.col.from"), key="from", width=14)
        table.add_column(t("inbox.col.body"), key="body", width=28)
        table.add_column(t("inbox.col.intent"), key="intent", width=18)
        yield table
        yield Static(t("inbox.empty"), id="message-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(self.linli.inbox_poll_seconds, self._poll_if_shown)

    def _poll_if_shown(self) -> None:
        if self.is_current:
            self.reload()

    def reload(self) -> None:
        self.poll()

    def action_reload(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="inbox-poll", exit_on_error=False, name="read the inbox")
    def poll(self) -> None:
        deliver(self, self.show, fold_calls(inbound_messages(limit=SHOWN), language()))

    def show(self, messages: list[MessageLine]) -> None:
        new_signature = signature(messages)
        if new_signature == self._signature:
            return
        arrived = len({m.id for m in messages} - {m.id for m in self.messages}) if self._signature else 0
        self._signature = new_signature
        self.messages = messages
        table = self.query_one("#inbox", DataTable)
        current = self._current()
        table.clear()
        for message in messages:
            sender = message.resident_name or display_phone(message.peer) or message.peer
            table.add_row(
                self.linli.local_time(message.at, "%m-%d %H:%M"),
                plain(sender),
                plain(message.body),
                intent_cell(message),
                key=str(message.id),
            )
        if current is not None and any(m.id == current.id for m in messages):
            table.move_cursor(row=table.get_row_index(str(current.id)), animate=False)
        self._show_detail()
        if arrived:
            self.notify(t("inbox.new", count=arrived))

    def _current(self) -> MessageLine | None:
        table = self.query_one("#inbox", DataTable)
        if not self.messages or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((m for m in self.messages if str(m.id) == key), None)

    @on(DataTable.RowHighlighted, "#inbox")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        message = self._current()
        detail = self.query_one("#message-detail", Static)
        if message is None:
            detail.update(t("inbox.empty"))
            return
        text = Text()
        who = message.resident_name or t("inbox.unknown_sender")
        text.append(f"{visible(who)} {visible(display_phone(message.peer))}  ", style="bold")
        status = word("message_status", message.status)
        text.append(f"{self.linli.local_time(message.at, '%Y-%m-%d %H:%M')}  ({status})\n")
        text.append_text(plain_lines(message.body))
        text.append("\n")
        text.append(f"{t('inbox.col.intent')}: ")
        text.append_text(intent_text(message.intent))
        if message.corrected:
            text.append(f"   {t('inbox.corrected')}: ")
            text.append_text(intent_text(message.corrected))
        detail.update(text)

    # --- acting -----------------------------------------------------------------------------------------------

    def action_reply(self) -> None:
        message = self._current()
        if message is not None:
            self.app.push_screen(ReplyDialog(message), self._after)

    def action_correct(self) -> None:
        message = self._current()
        if message is not None:
            self.app.push_screen(CorrectDialog(message), self._after)

    def _after(self, done: bool | None) -> None:
        if done:
            self.reload()

    def action_mark_read(self) -> None:
        """`m`: the highlighted reply nobody understood has been read; nothing more is to be done."""
        message = self._current()
        if message is not None and message.needs_reading:
            self.mark_read(message.id)

    @work(thread=True, group="inbox-read", exit_on_error=False, name="mark the message read")
    def mark_read(self, message_id: int) -> None:
        needs_reading.mark_read(message_id, actor=self.linli.actor)
        deliver(self, self.notify, t("needs_reading.marked", id=message_id))
        deliver(self, self.reload)
