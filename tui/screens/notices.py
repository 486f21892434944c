"""Notices: write a broadcast, pick the audience and channel, see recipients, encoding, segments and cost before
sending, confirm in a dialog, then follow the delivery of the notices sent.

The preview is recomputed (kit.notices.preview_notice, in a worker) a moment after the text or audience changes;
sending takes a fresh preview, asks for confirmation, and only then calls send_notice(confirm=True).
"""

from __future__ import annotations

from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Label, Select, Static, TextArea

from kit.capacity_today import notice_timing_text
from kit.errors import LinliError
from kit.notices import (
    CHANNELS,
    Audience,
    NoticePreview,
    NoticeSummary,
    delivery_counts,
    list_notices,
    preview_notice,
    send_notice,
)
from kit.notices.templated import TemplatedNotice, compose
from kit.plaintext import visible
from tui.dialogs.confirm import ConfirmDialog
from tui.i18n import language, t, word
from tui.plain import plain
from tui.screens.base import LinliScreen
from tui.widgets.notice_template import NoticeTemplateForm, TemplateChoice, signed_text, template_choices
from tui.widgets.row_table import RowTable
from tui.workers import deliver

PREVIEW_PAUSE = 0.3
REFRESH_SECONDS = 5.0
HISTORY = 20


def split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("，", ",").replace("、", ",").split(",") if part.strip()]


def preview_text(preview: NoticePreview, zone: ZoneInfo | None = None) -> Text:
    text = Text()
    text.append(
        t(
            "notices.preview_line",
            recipients=f"{preview.recipients:,}",
            encoding=preview.encoding,
            segments=preview.segments_per_message,
            cost=preview.money(preview.cost),
        ),
        style="bold",
    )
    if preview.last_out is not None and zone is not None:
        late = preview.last_out.at is None
        line = notice_timing_text(preview.last_out, language(), zone)
        text.append(f"\n{'! ' if late else ''}{line}", style="bold red" if late else "")
    for warning in preview.warnings:
        text.append(f"\n! {visible(str(warning))}", style="yellow")  # a warning may name a grid or a tag
    return text


class NoticesScreen(LinliScreen):
    NAME = "notices"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "notices.send"),
        Binding("ctrl+n", "discard", "notices.discard"),
        Binding("ctrl+r", "reload", "key.refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._preview_timer: Timer | None = None
        self._sending = False
        self._template: NoticeTemplateForm | None = None  # template-only mode: the approved notice templates

    def compose(self) -> ComposeResult:
        yield self.navbar()
        yield Label(t("notices.body"), classes="section-title", id="notice-body-title")
        yield TextArea(id="notice-body", soft_wrap=True, show_line_numbers=False, compact=True)
        with Horizontal(id="audience"):
            yield Input(placeholder=t("notices.grids"), id="grids", compact=True)
            yield Input(placeholder=t("notices.tags"), id="tags", compact=True)
            yield Input(placeholder=t("notices.statuses"), id="statuses", compact=True)
            yield Select(
                [(word("channel", c), c) for c in CHANNELS], value="sms", allow_blank=False, id="channel", compact=True
            )
        yield Static(t("notices.empty_body"), id="preview")
        yield Label(t("notices.history"), classes="section-title")
        history: DataTable[Any] = RowTable(id="history", cursor_type="row")
        history.add_column("#", key="id", width=4)
        history.add_column(t("inbox.col.time"), key="when", width=11)
        history.add_column(t("notices.body"), key="body", width=22)
        history.add_column(t("notices.col.delivered"), key="delivered", width=6)
        history.add_column(t("notices.col.waiting"), key="queued", width=6)
        history.add_column(t("notices.col.failed"), key="failed", width=6)
        history.add_column(t("notices.audience"), key="audience", width=10)
        yield history
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self._refresh_if_shown)
        self.check_template_mode()

    @work(thread=True, exclusive=True, group="notice-mode", exit_on_error=False, name="read the notice templates")
    def check_template_mode(self) -> None:
        choices = template_choices()
        if choices is not None:
            deliver(self, self._use_templates, choices)

    async def _use_templates(self, choices: list[TemplateChoice]) -> None:
        """Template-only mode: the approved notice templates take the free text's place."""
        self._template = NoticeTemplateForm(choices)
        await self.mount(self._template, before="#audience")
        self.query_one("#notice-body", TextArea).display = False
        self.query_one("#notice-body-title", Label).display = False
        self._schedule_preview()

    def _refresh_if_shown(self) -> None:
        if self.is_current:
            self.load_history()

    def reload(self) -> None:
        self.load_history()

    def action_reload(self) -> None:
        self.load_history()
        self._schedule_preview()

    # --- the form ---------------------------------------------------------------------------------------------

    def body(self) -> str:
        return self.query_one("#notice-body", TextArea).text.strip()

    def channel(self) -> str:
        return str(self.query_one("#channel", Select).value)

    def audience_values(self) -> dict[str, list[str]]:
        return {
            "grids": split(self.query_one("#grids", Input).value),
            "tags": split(self.query_one("#tags", Input).value),
            "statuses": split(self.query_one("#statuses", Input).value),
        }

    @on(TextArea.Changed)
    @on(Input.Changed)
    @on(Select.Changed)
    def _form_changed(self) -> None:
        self._schedule_preview()

    def _schedule_preview(self) -> None:
        self._preview_timer = self.debounce(self._preview_timer, PREVIEW_PAUSE, self._run_preview)

    def _run_preview(self) -> None:
        if self._template is not None:
            self.preview_template(self._template.template(), self._template.params(), self._audience_channel(), False)
            return
        if not self.body():
            self.query_one("#preview", Static).update(t("notices.empty_body"))
            return
        self.preview(self.body(), self.audience_values(), self.channel(), confirm_after=False)

    @work(thread=True, exclusive=True, group="notice-preview", exit_on_error=False, name="preview the notice")
    def preview(self, body: str, audience: dict[str, list[str]], channel: str, confirm_after: bool) -> None:
        try:
            result = preview_notice(body, Audience.of(**audience), channel, settings=self.linli.settings)
        except LinliError as error:
            if confirm_after:
                raise  # sending: the failure dialog explains it
            deliver(self, self._preview_problem, error.message)  # typing: say it where the preview goes
            return
        deliver(self, self._previewed, result, audience, confirm_after)

    def _audience_channel(self) -> tuple[dict[str, list[str]], str]:
        return self.audience_values(), self.channel()

    @work(thread=True, exclusive=True, group="notice-preview", exit_on_error=False, name="preview the notice")
    def preview_template(
        self, template: str, params: dict[str, str], where: tuple[dict[str, list[str]], str], confirm_after: bool
    ) -> None:
        """The approved template filled in (kit.notices.templated.compose, as `linli notice send --template`)."""
        audience, channel = where
        try:
            if not template:
                deliver(self, self._preview_problem, t("notice_template.choose"))
                return
            composed = compose(template, params)
            result = preview_notice(
                composed.body, Audience.of(**audience), channel, bodies=composed.bodies, settings=self.linli.settings
            )
        except LinliError as error:
            if confirm_after:
                raise
            deliver(self, self._preview_problem, error.message)
            return
        deliver(self, self._previewed, result, audience, confirm_after, composed)

    def _preview_problem(self, message: str) -> None:
        self.query_one("#preview", Static).update(plain("! " + message, style="bold red"))

    def _previewed(
        self,
        preview: NoticePreview,
        audience: dict[str, list[str]],
        confirm_after: bool,
        composed: TemplatedNotice | None = None,
    ) -> None:
        shown = preview_text(preview, self.linli.zone)
        if composed is not None:
            shown.append_text(signed_text(composed))  # exactly what residents read, signature included
        self.query_one("#preview", Static).update(shown)
        if confirm_after:
            self._confirm(preview, audience, composed)

    # --- sending ----------------------------------------------------------------------------------------------

    def action_send(self) -> None:
        if self._template is not None:
            if self._preview_timer is not None:
                self._preview_timer.stop()
            self.preview_template(self._template.template(), self._template.params(), self._audience_channel(), True)
            return
        if not self.body():
            self.query_one("#preview", Static).update(Text("! " + t("notices.empty_body"), style="bold red"))
            return
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self.preview(self.body(), self.audience_values(), self.channel(), confirm_after=True)

    def _confirm(
        self, preview: NoticePreview, audience: dict[str, list[str]], composed: TemplatedNotice | None = None
    ) -> None:
        body = t(
            "notices.confirm_body",
            recipients=f"{preview.recipients:,}",
            segments=preview.segments_per_message,
            cost=preview.money(preview.cost),
        )
        if preview.voice_recipients:
            body += "\n" + t("notices.by_voice", count=f"{preview.voice_recipients:,}")
        held_until = self.linli.held_until_text()
        if held_until:  # quiet hours: nothing goes out before they end
            body += "\n" + t("notices.held", until=held_until)
        elif preview.last_out is not None and self.linli.zone is not None:
            body += "\n" + notice_timing_text(preview.last_out, language(), self.linli.zone)
        warnings = "".join(f"\n! {warning}" for warning in preview.warnings)
        quoted = f"\n\n{preview.body}"
        if composed is not None:
            quoted = "\n" + signed_text(composed).plain

        def answered(yes: bool | None) -> None:
            if yes:
                self.send(preview.body, audience, preview.channel, composed)

        self.app.push_screen(
            ConfirmDialog(t("notices.confirm_title"), body + warnings + quoted, confirm=t("notices.send")), answered
        )

    @work(thread=True, exclusive=True, group="notice-send", exit_on_error=False, name="send the notice")
    def send(
        self, body: str, audience: dict[str, list[str]], channel: str, composed: TemplatedNotice | None = None
    ) -> None:
        notice = send_notice(
            body,
            Audience.of(**audience),
            channel=channel,
            settings=self.linli.settings,
            actor=self.linli.actor,
            confirm=True,
            template=composed,
        )
        deliver(self, self._sent, int(notice.id))

    def action_discard(self) -> None:
        """Ctrl+N: throw the draft away (after asking); a draft is otherwise kept, across screens, until sent."""
        if not self.body():
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.query_one("#notice-body", TextArea).clear()
                self.query_one("#notice-body", TextArea).focus()

        self.app.push_screen(
            ConfirmDialog(t("notices.discard_title"), self.body(), confirm=t("notices.discard")), answered
        )

    def _sent(self, notice_id: int) -> None:
        self.notify(t("notices.sent", id=notice_id))
        self.query_one("#notice-body", TextArea).clear()
        if self._template is not None:
            self._template.clear()
        self.load_history()

    # --- following delivery -----------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="notice-history", exit_on_error=False, name="load the notices sent")
    def load_history(self) -> None:
        notices = list_notices(limit=HISTORY)
        counts = {notice.id: delivery_counts(notice.id) for notice in notices}
        deliver(self, self._show_history, notices, counts)

    def _show_history(self, notices: list[NoticeSummary], counts: dict[int, dict[str, int]]) -> None:
        table = self.query_one("#history", DataTable)
        table.clear()
        for notice in notices:
            count = counts.get(notice.id, {})
            waiting = count.get("queued", 0) + count.get("sending", 0) + count.get("sent", 0)
            failed = sum(count.get(s, 0) for s in ("failed", "undelivered", "expired", "skipped"))
            audience = notice.audience.describe()
            table.add_row(
                str(notice.id),
                self.linli.local_time(notice.created_at, "%m-%d %H:%M"),
                plain(notice.body),
                f"{count.get('delivered', 0):,}",
                f"{waiting:,}",
                f"{failed:,}",
                t("notices.all") if audience == "everybody" else plain(audience),
                key=str(notice.id),
            )
