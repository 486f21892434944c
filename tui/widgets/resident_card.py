"""A resident as the detail pane shows them: who, where, how they are, and their latest reports, messages, tasks.

Everything that came from outside (names, addresses, notes, replies, messages, volunteers' names, needs) goes
through `visible` on its way into the `Text`: one line each, control characters as symbols, never markup.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text

from kit.phones import display_phone
from kit.plaintext import visible
from kit.views import ResidentHistory
from tui.i18n import t, word
from tui.widgets.badges import monitoring_text, status_text, task_state_text

TimeFormat = Callable[[datetime | None, str], str]


def describe_resident(history: ResidentHistory, when: TimeFormat) -> Text:
    view = history.view
    text = Text()
    text.append(f"#{view.id} {visible(view.name)}", style="bold")
    text.append("  ")
    text.append_text(status_text(view.status))
    if view.monitoring != "none":
        text.append("  ")
        text.append_text(monitoring_text(view.monitoring))
        if view.monitoring_until:
            text.append(" " + t("detail.until", date=view.monitoring_until.isoformat()))
    if view.opted_out:
        text.append(f"  [{t('detail.opted_out')}]", style="italic")
    text.append("\n")
    facts = [
        (t("detail.phone"), display_phone(view.phone) or t("tag.no-phone")),
        (t("detail.second"), display_phone(view.second_phone)),
        (t("detail.address"), view.address),
        (t("detail.grid"), view.grid or ""),
        (t("detail.tags"), ", ".join(word("tag", tag) for tag in view.tags)),
        (t("detail.born"), str(view.birth_year or "")),
        (t("detail.language"), view.language),
        (t("detail.notes"), view.notes),
    ]
    text.append("  ".join(f"{label}: {visible(value)}" for label, value in facts if value))
    text.append("\n")
    text.append(t("detail.reports") + "\n", style="bold underline")
    for report in history.reports:
        temperature = f" {report.temperature_c:.1f}°C" if report.temperature_c else ""
        symptoms = ",".join(visible(word("symptom", s)) for s in report.symptoms.split(",") if s)
        temperature += f" {symptoms}" if symptoms else ""
        text.append(f"  {when(report.at, '%m-%d %H:%M')} {word('channel', report.channel)} ")
        text.append(word("intent", report.kind) + temperature, style="bold" if report.kind != "well" else "")
        text.append(f"  {visible(report.text)}\n" if report.text else "\n")
    if not history.reports:
        text.append(f"  {t('detail.nothing')}\n")
    text.append(t("detail.messages") + "\n", style="bold underline")
    for message in history.messages:
        arrow = "→" if message.direction == "out" else "←"
        if message.peer and message.peer != view.phone:  # the second contact's messages are about them too
            who = t("detail.second") if message.peer == view.second_phone else display_phone(message.peer)
            arrow = f"{arrow} {who}:"
        status = word("message_status", message.status)
        text.append(f"  {when(message.at, '%m-%d %H:%M')} {arrow} {visible(message.body)}  ({status})\n")
    if not history.messages:
        text.append(f"  {t('detail.nothing')}\n")
    text.append(t("detail.tasks") + "\n", style="bold underline")
    for task in history.tasks:
        text.append(f"  #{task.id} {word('task_kind', task.kind)} ")
        text.append_text(task_state_text(task.state))
        text.append(f" {visible(task.volunteer)} {visible(task.need)}\n")
    if not history.tasks:
        text.append(f"  {t('detail.nothing')}\n")
    return text
