"""District: each community's figures for a day, who has not reported (and since when), the district's totals, and
the trend of the last 14 days as bars. For a district's laptop, which has communities but no residents.

Everything is read in one worker (`gather`, through `kit.district_view`) and refreshed every half minute and with
`r`; `[` and `]` step back and forth a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from kit.district_view import TREND_DAYS, TREND_FIGURES, DistrictStatus, Trend, bars, district_status, district_trend
from kit.figures import figure_labels
from tui.i18n import language, t, translate_bindings
from tui.plain import plain
from tui.screens.base import _Forwarding
from tui.widgets.row_table import RowTable
from tui.workers import deliver

REFRESH_SECONDS = 30.0
SHOWN_FIGURES = ("residents", "asked", "answered", "unwell", "fever", "help", "unreachable", "tasks_open")


@dataclass(frozen=True)
class DistrictFigures:
    status: DistrictStatus
    trend: Trend


def gather(day: date) -> DistrictFigures:
    """Every figure of the District screen (runs in a worker)."""
    return DistrictFigures(district_status(day), district_trend(day, TREND_DAYS))


class DistrictScreen(_Forwarding, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "reload", "key.refresh"),
        Binding("left_square_bracket", "step(-1)", "district.previous_day"),
        Binding("right_square_bracket", "step(1)", "district.next_day"),
        Binding("q", "app.quit", "key.quit"),
    ]

    def __init__(self, day: date) -> None:
        super().__init__()
        translate_bindings(self)
        self.day = day
        self.figures: DistrictFigures | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="district-body"):
            yield Label(t("district.title", date=self.day.isoformat()), id="district-title", classes="section-title")
            yield RowTable(id="district-table", cursor_type="row", zebra_stripes=True)
            yield Static(t("loading"), id="district-missing")
            yield Label(t("district.trend", days=TREND_DAYS), classes="section-title")
            yield Static(t("loading"), id="district-trend")
        yield Footer()

    def on_mount(self) -> None:
        labels = figure_labels(language())
        table = self.query_one("#district-table", DataTable)
        table.add_columns(labels["community"], t("district.reported"), *(labels[name] for name in SHOWN_FIGURES))
        self.set_interval(REFRESH_SECONDS, self.reload)
        self.reload()

    def reload(self) -> None:
        self.load(self.day)

    def action_reload(self) -> None:
        self.reload()

    def action_step(self, days: int) -> None:
        self.day += timedelta(days=days)
        self.reload()

    @work(thread=True, exclusive=True, group="district", exit_on_error=False, name="load the district's figures")
    def load(self, day: date) -> None:
        deliver(self, self.show, gather(day))

    # --- showing ----------------------------------------------------------------------------------------------

    def show(self, figures: DistrictFigures) -> None:
        self.figures = figures
        status = figures.status
        self.query_one("#district-title", Label).update(t("district.title", date=status.day.isoformat()))
        self._show_table(status)
        self._show_missing(status)
        self._show_trend(figures.trend)

    def _show_table(self, status: DistrictStatus) -> None:
        table = self.query_one("#district-table", DataTable)
        row = table.cursor_row
        table.clear()
        for community in status.communities:
            reported = Text(t("yes"), style="green") if community.reported else Text(t("no"), style="bold red")
            figures: list[Any] = [
                f"{community.totals.get(name, 0):,}" if community.reported else "" for name in SHOWN_FIGURES
            ]
            table.add_row(plain(community.name), reported, *figures)
        totals = status.totals
        table.add_row(
            Text(t("district.total"), style="bold"),
            "",
            *(Text(f"{totals[name]:,}", style="bold") for name in SHOWN_FIGURES),
        )
        if row:
            table.move_cursor(row=min(row, table.row_count - 1))

    def _show_missing(self, status: DistrictStatus) -> None:
        box = self.query_one("#district-missing", Static)
        if not status.communities:
            box.update(t("district.no_communities"))
            return
        missing = status.not_reported
        if not missing:
            box.update(Text(t("district.all_reported"), style="green"))
            return
        text = Text(t("district.not_reported", count=len(missing)), style="bold red")
        for number, community in enumerate(missing):
            text.append("、" if number else " ")
            text.append_text(plain(community.name))
            last = community.last_reported.isoformat() if community.last_reported else t("district.never")
            text.append(t("district.since", last=last))
        box.update(text)

    def _show_trend(self, trend: Trend) -> None:
        labels = figure_labels(language())
        text = Text(f"{trend.days[0].isoformat()} … {trend.days[-1].isoformat()}\n", style="dim")
        rows = [(labels[name], trend.series[name]) for name in TREND_FIGURES]
        rows.append((t("district.reporting"), trend.reporting))
        for label, values in rows:
            cell = Text(label)
            cell.truncate(12, pad=True)
            text.append_text(cell)
            text.append(f" {bars(values)} {values[-1]:,}\n")
        text.rstrip()
        self.query_one("#district-trend", Static).update(text)
