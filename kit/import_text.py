"""What an import of residents says when it is done, in the operator's language (data/ui/<language>.toml, section
import_residents): what was imported and rejected, the rows set aside and why, the columns left unused, and a line
for each row imported with something to know (a landline, an address kept whole).

`sheet_lines` and `row_lines` are what any reading of a register has to say, an update's preview too.
"""

from __future__ import annotations

from collections.abc import Sequence

from kit import ui_words
from kit.importer import ImportResult
from kit.phones import display_phone
from kit.register_sheet import field_names

LISTED = 10  # lines and total rows named in a summary line; the rest are "..."
ADDRESS_KEPT = ("address_in_room", "address_in_notes")


def _words(language: str, key: str, **values: object) -> str:
    return ui_words.text(language, f"import_residents.{key}", **values)


def _listed(language: str, items: Sequence[str]) -> str:
    shown = _words(language, "separator").join(items[:LISTED])
    return shown + _words(language, "more") if len(items) > LISTED else shown


def summary_line(result: ImportResult, file_name: str, rejects: str | None, language: str) -> str:
    """ "名册.csv：导入 3 人，拒收 1 行（已写入 rejects.csv）。" """
    line = _words(
        language, "summary", file=file_name, imported=f"{result.imported:,}", rejected=f"{len(result.rejected):,}"
    )
    if result.rejected:
        line += _words(language, "rejects_written", path=rejects) if rejects else _words(language, "rejects_listed")
    if result.already_registered:
        line += _words(language, "already_registered", count=f"{result.already_registered:,}")
    return line + _words(language, "end")


def sheet_lines(result: ImportResult, language: str) -> list[str]:
    """The rows set aside (total and blank rows), the columns left unused, and how many rows were imported with a
    word to say about them: a line each, only for what there is."""
    lines = []
    reasons = []
    if result.totals:
        rows = [_words(language, "total_row", line=total.line, text=total.text) for total in result.totals]
        reasons.append(_words(language, "skipped_totals", count=len(rows), rows=_listed(language, rows)))
    if result.blank_rows:
        reasons.append(_words(language, "skipped_blank", count=f"{result.blank_rows:,}"))
    if reasons:
        count = f"{len(result.totals) + result.blank_rows:,}"
        lines.append(_words(language, "skipped", count=count, reasons=_words(language, "separator").join(reasons)))
    if result.ignored:
        columns = _words(language, "separator").join(result.ignored)
        fields = ", ".join(field_names())
        lines.append(_words(language, "ignored", columns=columns, example=result.ignored[0], fields=fields))
    for kind, key in ((("landline",), "landlines"), (ADDRESS_KEPT, "addresses_kept")):
        numbers = [str(note.line) for note in result.notes if note.kind in kind]
        if numbers:
            where = _words(language, "lines", lines=_listed(language, numbers))
            lines.append(_words(language, key, count=f"{len(numbers):,}", lines=where))
    return lines


def row_lines(result: ImportResult, language: str) -> list[str]:
    """A line for each row imported with something to know, in line order."""
    return [
        _words(language, f"row_{note.kind}", line=note.line, phone=_phone(note.kind, note.value), address=note.value)
        for note in sorted(result.notes, key=lambda note: note.line)
    ]


def _phone(kind: str, value: str) -> str:
    return display_phone(value) if kind == "landline" else ""
