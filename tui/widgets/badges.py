"""Vocabulary values as coloured words: the word carries the meaning, the colour only helps."""

from __future__ import annotations

from rich.text import Text

from tui.i18n import t, word

STATUS_STYLES = {"green": "green", "yellow": "bold yellow", "red": "bold red"}
SEVERITY_STYLES = {"urgent": "bold red", "warning": "yellow", "info": ""}
STATE_STYLES = {"open": "bold", "assigned": "cyan", "accepted": "cyan", "done": "green", "cancelled": "dim"}


def status_text(status: str) -> Text:
    """绿 / 黄 / 红 (GREEN / YELLOW / RED), coloured."""
    return Text(word("status", status), style=STATUS_STYLES.get(status, ""))


def monitoring_text(category: str) -> Text:
    if not category or category == "none":
        return Text("")
    return Text(word("monitoring", category), style="magenta")


def severity_text(severity: str) -> Text:
    return Text(word("severity", severity), style=SEVERITY_STYLES.get(severity, ""))


def task_state_text(state: str) -> Text:
    return Text(word("task_state", state), style=STATE_STYLES.get(state, ""))


def overdue_text() -> Text:
    """Overdue tasks say so in words, with a "!" too, not only in red."""
    return Text(f"!{t('overdue')}", style="bold red")
