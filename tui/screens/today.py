"""Today: what needs an operator now. Open alerts first, then the day's check-in round (numbers and a bar per
grid), open tasks by state, the gateways' health and the outbox, and what the scheduler does next.

Everything is read in one worker (`gather`) and refreshed when the screen comes back into view and every few
seconds while it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from kit import clock, needs_reading
from kit.alerts import acknowledge, open_alerts
from kit.capacity_text import plan_lines
from kit.capacity_today import plan_today
from kit.checkin import round_summary
from kit.clock import utcnow
from kit.config import Settings
from kit.errors import LinliError
from kit.localtime import local_date
from kit.models import TASK_STATES
from kit.outbox import counts_by_status
from kit.plaintext import visible
from kit.resident_search import ResidentFilter, ResidentView, find_residents
from kit.scheduling import next_round_at
from kit.stats import natural_key
from kit.tasks import task_counts
from kit.views import GatewayLine, gateway_health, overdue_task_count
from tui.dialogs.alert_dialog import AlertDialog
from tui.dialogs.task_dialogs import NewTaskDialog
from tui.i18n import language, t, word
from tui.screens.base import LinliScreen
from tui.screens.residents import ResidentsScreen
from tui.widgets.badges import severity_text
from tui.widgets.round_bars import BarRow, RoundBars
from tui.workers import deliver

REFRESH_SECONDS = 5.0


@dataclass(frozen=True)
class AlertLine:
    id: int
    kind: str
    severity: str
    text: str
    created_at: datetime
    resident_id: int | None = None


@dataclass
class TodayFigures:
    day: str
    alerts: list[AlertLine] = field(default_factory=list)
    rounds: list[dict[str, Any]] = field(default_factory=list)
    total: dict[str, int] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    gateways: list[GatewayLine] = field(default_factory=list)
    outbox: dict[str, int] = field(default_factory=dict)
    next_runs: list[tuple[str, datetime]] = field(default_factory=list)
    scheduler_error: str = ""
    capacity: list[CapacityLine] = field(default_factory=list)
    needs_reading: int = 0  # replies nobody understood that no operator has read yet (kit.needs_reading)


@dataclass(frozen=True)
class CapacityLine:
    """A channel's capacity plan in words: the headline, and what would fix it when it is late."""

    in_time: bool
    text: str
    advice: tuple[str, ...] = ()


def capacity_lines(settings: Settings) -> list[CapacityLine]:
    """Today's plan per channel that has work (SMS always), in the interface's language (runs in a worker)."""
    try:
        plan = plan_today(settings)
    except LinliError as error:  # a gateway misconfigured: say so where the plan goes
        return [CapacityLine(False, t("today.capacity_unknown", error=visible(error.message)))]
    lines = []
    for name, channel in plan.channels.items():
        if name == "sms" or channel.work.total:
            said = plan_lines(channel, language(), plan.zone)
            lines.append(CapacityLine(channel.in_time, said[0], tuple(said[2:])))
    return lines


def gather(settings: Settings, scheduler: Any) -> TodayFigures:
    """Every figure of the Today screen (runs in a worker)."""
    summary = round_summary()
    figures = TodayFigures(day=summary["date"], rounds=summary["rounds"], total=summary["total"])
    figures.alerts = [
        AlertLine(a.id, a.kind, a.severity, a.text, a.created_at, a.resident_id) for a in open_alerts(limit=50)
    ]
    figures.tasks = task_counts()
    figures.overdue = overdue_task_count(utcnow())
    figures.gateways = gateway_health()
    figures.outbox = counts_by_status("out")
    if scheduler is not None:
        figures.next_runs = list(scheduler.next_runs())
        figures.scheduler_error = getattr(scheduler, "last_error", "") or ""
    else:
        figures.next_runs = [("check-in round", next_round_at(settings))]
    figures.capacity = capacity_lines(settings)
    figures.needs_reading = needs_reading.count()
    return figures


class TodayScreen(LinliScreen):
    NAME = "today"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "acknowledge", "today.ack"),
        Binding("r", "reload", "key.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.figures: TodayFigures | None = None

    def compose(self) -> ComposeResult:
        yield self.navbar()
        with Vertical(id="alerts-box"):
            yield Label(t("today.alerts", count="…"), id="alerts-title", classes="section-title")
            yield OptionList(id="alerts")
        with Horizontal(id="today-body"):
            with VerticalScroll(id="round-box"):
                yield Label(t("today.round"), id="round-title", classes="section-title")
                yield Static(t("loading"), id="round-lines")
                yield Static("", id="capacity")
                yield RoundBars(id="round-bars")
            with VerticalScroll(id="side"):
                yield Label(t("today.tasks"), classes="section-title")
                yield Static(t("loading"), id="tasks", classes="side-body")
                yield Label(t("today.gateways"), classes="section-title")
                yield Static(t("loading"), id="gateways", classes="side-body")
                yield Label(t("today.next"), classes="section-title")
                yield Static(t("loading"), id="next", classes="side-body")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self._refresh_if_shown)

    def _refresh_if_shown(self) -> None:
        if self.is_current:
            self.reload()

    def reload(self) -> None:
        self.load(self.linli.settings, self.linli.scheduler)

    def action_reload(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="today", exit_on_error=False, name="load today's figures")
    def load(self, settings: Settings, scheduler: Any) -> None:
        deliver(self, self.show, gather(settings, scheduler))

    # --- showing ----------------------------------------------------------------------------------------------

    def show(self, figures: TodayFigures) -> None:
        """Redraw the sections whose figures changed (a refresh every few seconds mostly changes nothing)."""
        before, self.figures = self.figures, figures
        if before is None or (before.alerts, before.needs_reading) != (figures.alerts, figures.needs_reading):
            self._show_alerts(figures)
        if before is None or (before.day, before.rounds) != (figures.day, figures.rounds):
            self._show_round(figures)
        if before is None or before.capacity != figures.capacity:
            self._show_capacity(figures)
        if before is None or (before.tasks, before.overdue) != (figures.tasks, figures.overdue):
            self._show_tasks(figures)
        if before is None or (before.gateways, before.outbox) != (figures.gateways, figures.outbox):
            self._show_gateways(figures)
        if before is None or (before.next_runs, before.scheduler_error) != (figures.next_runs, figures.scheduler_error):
            self._show_next(figures)

    def _show_alerts(self, figures: TodayFigures) -> None:
        unread = f"  ! {t('needs_reading.today', count=figures.needs_reading)}" if figures.needs_reading else ""
        self.query_one("#alerts-title", Label).update(t("today.alerts", count=len(figures.alerts)) + unread)
        alerts = self.query_one("#alerts", OptionList)
        highlighted = alerts.highlighted
        alerts.clear_options()
        if not figures.alerts:
            alerts.add_option(Option(t("today.no_alerts"), disabled=True))
            return
        width = max(alerts.size.width - 2, 20)
        for alert in figures.alerts:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append_text(severity_text(alert.severity))
            line.append(f" {word('alert', alert.kind)} {self.linli.local_time(alert.created_at)} ", style="bold")
            line.append(visible(alert.text))  # alerts quote names and replies
            line.truncate(width, overflow="ellipsis")  # one line each; Enter shows the whole text
            alerts.add_option(Option(line, id=str(alert.id)))
        if highlighted is not None:
            alerts.highlighted = min(highlighted, len(figures.alerts) - 1)

    def _show_round(self, figures: TodayFigures) -> None:
        self.query_one("#round-title", Label).update(f"{t('today.round')} {figures.day}")
        lines = self.query_one("#round-lines", Static)
        bars = self.query_one(RoundBars)
        if not figures.rounds:
            lines.update(t("today.no_round"))
            bars.show([], self._bar_words())
            return
        text = Text()
        for round_ in figures.rounds:
            text.append(f"{round_['started_at']} {visible(audience_words(round_['audience']))}\n", style="bold")
            text.append(
                t(
                    "today.round_line",
                    asked=f"{round_['asked']:,}",
                    answered=f"{round_['answered']:,}",
                    silent=f"{round_['silent']:,}",
                    escalated=f"{round_['escalated']:,}",
                )
                + "\n"
            )
        text.rstrip()
        lines.update(text)
        rows: list[BarRow] = []
        for round_ in figures.rounds:
            for grid in sorted(round_["grids"], key=lambda g: natural_key(g["grid"] or "")):
                rows.append(
                    BarRow(
                        visible(grid["grid"]) or "-",
                        grid["asked"],
                        grid["answered"],
                        grid["silent"],
                        grid["escalated"],
                        grid=grid["grid"] or "",
                    )
                )
        bars.show(rows, self._bar_words())

    def _show_capacity(self, figures: TodayFigures) -> None:
        text = Text()
        for line in figures.capacity:
            if line.in_time:
                text.append(line.text + "\n")
                continue
            text.append(f"! {line.text}\n", style="bold red")  # the "!" says it without the colour
            for advice in line.advice:
                text.append(f"  {advice}\n")
        text.rstrip()
        self.query_one("#capacity", Static).update(text)

    @staticmethod
    def _bar_words() -> tuple[str, str, str]:
        return t("today.answered"), t("today.silent"), t("today.escalated")

    def _show_tasks(self, figures: TodayFigures) -> None:
        text = Text()
        for number, state in enumerate(TASK_STATES):
            label = Text(word("task_state", state))
            label.truncate(9, pad=True)
            text.append_text(label)
            text.append(f"{figures.tasks.get(state, 0):>3}" + ("\n" if number % 2 else "  "))
        text.rstrip()
        if figures.overdue:
            text.append(f"\n!{t('overdue')} {figures.overdue}", style="bold red")
        self.query_one("#tasks", Static).update(text)

    def _show_gateways(self, figures: TodayFigures) -> None:
        text = Text()
        for gateway in figures.gateways:
            failing = gateway.consecutive_failures > 0
            last = self.linli.local_time(gateway.last_success_at) if gateway.last_success_at else t("today.never")
            text.append(
                ("! " if failing else "")
                + t("today.gateway_line", name=gateway.name, last=last, failures=gateway.consecutive_failures)
                + "\n",
                style="bold red" if failing else "",
            )
            if failing and gateway.last_error:
                text.append(f"  {visible(gateway.last_error)}\n", style="red")  # the provider's words
        if not figures.gateways:
            text.append(t("today.no_gateway") + "\n")
        outbox = figures.outbox
        text.append(
            t(
                "today.queue",
                queued=outbox.get("queued", 0),
                sending=outbox.get("sending", 0),
                failed=outbox.get("failed", 0),
            )
        )
        self.query_one("#gateways", Static).update(text)

    def _show_next(self, figures: TodayFigures) -> None:
        text = Text()
        now = clock.now()
        for what, at in figures.next_runs:
            day = "" if self.linli.local_time(at, "%Y-%m-%d") == self.linli.local_time(now, "%Y-%m-%d") else " +1"
            text.append(f"{self.linli.local_time(at)}{day}  {_job_word(what)}\n")
        if figures.scheduler_error:
            text.append(f"! {visible(figures.scheduler_error)}\n", style="bold red")
        if not figures.next_runs:
            text.append(t("today.nothing_next"))
        self.query_one("#next", Static).update(text)

    # --- acting -----------------------------------------------------------------------------------------------

    def action_acknowledge(self) -> None:
        """`k`: acknowledge the highlighted alert, or the first one when none is highlighted."""
        alerts = self.query_one("#alerts", OptionList)
        if alerts.option_count == 0:
            return
        option = alerts.get_option_at_index(alerts.highlighted if alerts.highlighted is not None else 0)
        if option.id is not None:
            self.acknowledge(int(option.id))

    @on(OptionList.OptionSelected, "#alerts")
    def _read_alert(self, event: OptionList.OptionSelected) -> None:
        alert = next((a for a in self.figures.alerts if str(a.id) == event.option.id), None) if self.figures else None
        if alert is not None:
            self.open_alert(alert)

    @work(thread=True, group="today-alert", exit_on_error=False, name="open the alert")
    def open_alert(self, alert: AlertLine) -> None:
        """The alert whole, with its resident (read here, off the UI's thread) and what to do about it."""
        found = find_residents(ResidentFilter(ids=[alert.resident_id]), limit=1) if alert.resident_id else []
        resident = found[0] if found else None
        title = f"{word('severity', alert.severity)} {word('alert', alert.kind)} #{alert.id}"
        dialog = AlertDialog(title, alert.text, resident, urgent=alert.severity == "urgent")
        deliver(self, self.app.push_screen, dialog, lambda choice: self._alert_chosen(alert, resident, choice))

    def _alert_chosen(self, alert: AlertLine, resident: ResidentView | None, choice: str | None) -> None:
        if choice == "acknowledge":
            self.acknowledge(alert.id)
        elif choice == "task" and resident is not None:
            self.app.push_screen(NewTaskDialog(resident=str(resident.id)), lambda _: self.reload())
        elif choice == "resident" and resident is not None:
            self.open_residents(ResidentFilter(ids=[resident.id]))

    @on(RoundBars.GridChosen)
    def _grid_chosen(self, event: RoundBars.GridChosen) -> None:
        """Enter on a grid's bar: that grid's residents still silent today."""
        today = local_date(utcnow(), self.linli.zone or ZoneInfo("UTC"))
        self.open_residents(ResidentFilter(grid=event.grid or None, silent_on=today))

    def open_residents(self, flt: ResidentFilter) -> None:
        async def switch() -> None:
            await self.app.switch_mode("residents")
            screen = self.app.screen
            if isinstance(screen, ResidentsScreen):
                screen.show_only(flt)

        self.call_later(switch)

    @work(thread=True, group="today-ack", exit_on_error=False, name="acknowledge the alert")
    def acknowledge(self, alert_id: int) -> None:
        acknowledge(alert_id, actor=self.linli.actor)
        deliver(self, self.notify, t("today.acknowledged", id=alert_id))
        deliver(self, self.reload)


def audience_words(audience: str) -> str:
    """A round's audience as people say it: 全体 / everybody, 重点人员 / monitored, the grid's name, the tag."""
    kind, _, value = audience.partition(":")
    if kind == "grid":
        return value
    if kind == "tag":
        return word("tag", value)
    return t(f"audience.{kind}") if kind in ("all", "monitored") else audience


def _job_word(what: str) -> str:
    return {"check-in round": t("today.round"), "run-due": t("today.run_due")}.get(what, what)
