"""The door-knock list on paper: the kit's plain-text sheet, or an HTML page with a box to tick per visit."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

from kit.checkin import door_knock_list, door_knock_sheet
from kit.community import community_zone, get_community
from kit.localtime import to_local
from kit.private_files import open_private, private_folder
from tui.i18n import t, word


def door_knock_html(local_day: date | None = None) -> str:
    visits = door_knock_list(local_day)
    zone = community_zone()
    rows = []
    for visit in visits:
        due = to_local(visit.due_at, zone).strftime("%m-%d %H:%M") if visit.due_at else ""
        late = f" <strong>{html.escape(t('overdue'))}</strong>" if visit.overdue else ""
        phones = " / ".join(p for p in (visit.phone, visit.second_phone) if p) or "-"
        cells = [
            "&#9744;",
            html.escape(visit.grid or ""),
            html.escape(visit.address or "-"),
            html.escape(visit.name),
            html.escape(phones),
            html.escape(word("tag", visit.reason) if visit.reason == "no-phone" else word("alert", visit.reason)),
            html.escape(f"#{visit.task_id}" if visit.task_id else ""),
            html.escape(due) + late,
            html.escape(visit.volunteer),
        ]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    title = html.escape(f"{get_community().name} — {t('tasks.print')} {local_day or ''}".strip())
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{title}</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #444;padding:4px 6px}</style></head><body>"
        f"<h1>{title}</h1><p>{len(visits)}</p><table>"
        "<tr><th></th><th>网格 Grid</th><th>地址 Address</th><th>姓名 Name</th><th>电话 Phone</th>"
        "<th>原因 Reason</th><th>任务 Task</th><th>期限 Due</th><th>志愿者 Volunteer</th></tr>"
        + "\n".join(rows)
        + "</table></body></html>\n"
    )


def write_door_knock_list(path: str | Path, local_day: date | None = None) -> Path:
    """Write the list to `path`: HTML when it ends in .html/.htm, else the kit's plain-text sheet."""
    target = Path(path).expanduser()
    text = door_knock_html(local_day) if target.suffix.lower() in (".html", ".htm") else door_knock_sheet(local_day)
    private_folder(target.parent)
    with open_private(target, "w", encoding="utf-8") as sheet:  # names, addresses, phones: the owner's eyes only
        sheet.write(text if text.endswith("\n") else text + "\n")
    return target


def default_path(today: date) -> str:
    return str(Path.cwd() / f"door-knock-{today.isoformat()}.txt")
