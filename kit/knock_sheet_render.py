"""The door-knock sheet written out: HTML (a page per volunteer when printed), plain text, or PDF
(kit.knock_sheet_pdf), chosen by the file's extension.

Decisions:
- Every value from outside is escaped for HTML here (names, phones, grids, the community's name), on top of the
  plain-text rule kit.knock_sheet applied: a name like `<script>` prints as its characters, never as markup.
- The sheet holds names, addresses and phones: files are written through kit.private_files, readable by their
  owner only.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Final

from kit import ui_words
from kit.errors import ValidationError
from kit.knock_sheet import RESULTS, Flat, KnockSheet, Page
from kit.private_files import open_private, private_folder

FORMATS: Final = ("pdf", "html", "txt")
BOX: Final = "□"  # in every CJK font; the ballot box ☐ is not

_STYLE: Final = (
    "body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;margin:1.5em}"
    "section{page-break-after:always;break-after:page}"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #444;padding:4px 6px;vertical-align:top}"
    "td.result{white-space:nowrap}.overdue{font-weight:bold}.meta{margin:.3em 0 .8em}"
)


def format_of(path: str | Path, language: str) -> str:
    """ "pdf", "html" or "txt" from a file name's extension (.htm is HTML); anything else is refused."""
    suffix = Path(path).suffix.lower().lstrip(".")
    fmt = {"htm": "html", "text": "txt"}.get(suffix, suffix)
    if fmt not in FORMATS:
        raise ValidationError(ui_words.text(language, "sheet.bad_format", name=Path(path).name), field="path")
    return fmt


def page_heading(sheet: KnockSheet, page: Page) -> tuple[str, str]:
    """The title and the line under it: date, grid, volunteer, deadline and how many visits."""
    title = f"{sheet.community} — {sheet.word('title')}"
    grids = "、".join(page.grids) if sheet.language == "zh" else ", ".join(page.grids)
    parts = [
        sheet.labelled("date", sheet.day.isoformat()),
        sheet.labelled("grid", sheet.grid or grids or sheet.word("all_grids")),
        sheet.labelled("volunteer", page.volunteer),
    ]
    if page.deadline:
        parts.append(sheet.labelled("deadline", page.deadline))
    parts.append(sheet.word("visits", flats=len(page.flats), people=page.people))
    return title, "   ".join(parts)


def person_lines(sheet: KnockSheet, flat: Flat) -> list[list[str]]:
    """For each resident of a flat: their name, their phone, and their second contact labelled as such."""
    lines = []
    for person in flat.people:
        mine = [person.name, sheet.labelled("phone", person.phone) if person.phone else sheet.word("no_phone")]
        if person.second_contact:
            mine.append(sheet.labelled("second_contact", person.second_contact))
        if person.task_id is not None:
            mine.append(sheet.word("task", id=person.task_id))
        lines.append(mine)
    return lines


def deadline_cell(sheet: KnockSheet, flat: Flat) -> str:
    return f"{flat.deadline} {sheet.word('overdue')}".strip() if flat.overdue else flat.deadline


def result_line(sheet: KnockSheet, per_line: int = len(RESULTS)) -> str:
    """The results to tick, `per_line` on a line: "□ 平安  □ 不适  □ 体温 ___  □ 无人  □ 需帮助"."""
    boxes = [f"{BOX} {word}" for word in sheet.result_words()]
    return "\n".join("  ".join(boxes[start : start + per_line]) for start in range(0, len(boxes), per_line))


def columns(sheet: KnockSheet) -> list[str]:
    keys = ("col_number", "col_address", "col_resident", "col_reason", "col_result", "col_deadline")
    return [sheet.word(key) for key in keys]


# --- HTML ---------------------------------------------------------------------------------------------------


def sheet_html(sheet: KnockSheet) -> str:
    """The sheet as one HTML document, a <section> per volunteer that prints on a page of its own."""
    e = html.escape
    first_title = e(page_heading(sheet, sheet.pages[0])[0] if sheet.pages else sheet.word("title"))
    out = [
        f'<!doctype html>\n<html lang="{e(sheet.language)}"><head><meta charset="utf-8">',
        f"<title>{first_title}</title><style>{_STYLE}</style></head><body>",
    ]
    if not sheet.pages:
        out.append(f"<h1>{first_title}</h1><p>{e(sheet.day.isoformat())}: {e(sheet.word('empty'))}</p>")
    for page in sheet.pages:
        title, meta = page_heading(sheet, page)
        out.append(f'<section><h1>{e(title)}</h1><p class="meta">{e(meta)}</p><table><thead><tr>')
        out.append("".join(f"<th>{e(name)}</th>" for name in columns(sheet)) + "</tr></thead><tbody>")
        for number, flat in enumerate(page.flats, start=1):
            out.append(_flat_rows(sheet, number, flat))
        out.append(f"</tbody></table><p>{e(sheet.word('signature'))}</p></section>")
    out.append("</body></html>\n")
    return "\n".join(out)


def _flat_rows(sheet: KnockSheet, number: int, flat: Flat) -> str:
    e = html.escape
    span = f' rowspan="{len(flat.people)}"'
    due = f'<td{span} class="overdue">' if flat.overdue else f"<td{span}>"
    results = "<br>".join(f"&#9744; {e(word)}" for word in sheet.result_words())
    rows = []
    for index, (person, lines) in enumerate(zip(flat.people, person_lines(sheet, flat), strict=True)):
        cells = ""
        if index == 0:
            cells += f"<td{span}>{number}</td><td{span}>{e(flat.address or '-')}</td>"
        cells += f"<td>{'<br>'.join(e(line) for line in lines)}</td><td>{e(person.reason)}</td>"
        cells += f'<td class="result">{results}</td>'
        if index == 0:
            cells += f"{due}{e(deadline_cell(sheet, flat))}</td>"
        rows.append(f"<tr>{cells}</tr>")
    return "\n".join(rows)


# --- plain text ---------------------------------------------------------------------------------------------


def sheet_text(sheet: KnockSheet) -> str:
    """The sheet as plain text: a block per volunteer, a form feed between them (a new page on a line printer)."""
    if not sheet.pages:
        return f"{sheet.word('title')} {sheet.day.isoformat()}: {sheet.word('empty')}\n"
    blocks = []
    for page in sheet.pages:
        title, meta = page_heading(sheet, page)
        lines = [title, meta, ""]
        for number, flat in enumerate(page.flats, start=1):
            due = deadline_cell(sheet, flat)
            lines.append(f"{number}. {flat.address or '-'}  {flat.grid}  {sheet.labelled('deadline', due)}".rstrip())
            for person, mine in zip(flat.people, person_lines(sheet, flat), strict=True):
                lines.append(f"   {' · '.join(mine)} · {person.reason}")
                lines.append(f"   {result_line(sheet)}")
            lines.append("")
        lines.append(sheet.word("signature"))
        blocks.append("\n".join(lines))
    return "\n\f".join(blocks) + "\n"


# --- files --------------------------------------------------------------------------------------------------


def write_knock_sheet(sheet: KnockSheet, path: str | Path) -> Path:
    """Write `sheet` to `path` as PDF, HTML or text (by its extension), readable by its owner only."""
    target = Path(path).expanduser()
    fmt = format_of(target, sheet.language)
    if fmt == "pdf":
        from kit.knock_sheet_pdf import sheet_pdf  # loads fpdf2 and a font: only when a PDF is asked for

        content: bytes = sheet_pdf(sheet)
    else:
        content = (sheet_html(sheet) if fmt == "html" else sheet_text(sheet)).encode("utf-8")
    private_folder(target.parent)
    with open_private(target, "wb") as file:  # names, addresses, phones: the owner's eyes only
        file.write(content)
    return target
