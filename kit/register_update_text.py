"""An update's preview (kit.register_update) as lines an operator reads, in the community's language: the same lines
in `linli import residents --update` and in the Residents screen's import dialog.

Decisions: values read as people say them ("网格 第2网格 -> 第3网格", a status as 红 not "red", a phone as
+86 138 0013 8000); an empty value reads as "(empty)", never as nothing, so that a number the sheet dropped shows.
The lines quote the sheet's cells: whoever shows them shows them as plain text.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kit import ui_words
from kit.import_text import sheet_lines
from kit.phones import display_phone
from kit.register_update import Ambiguous, Changed, PhoneClash, UpdatePreview

SECTION = "import_update"


def words(language: str, key: str, **values: object) -> str:
    return ui_words.text(language, f"{SECTION}.{key}", **values)


def summary_lines(preview: UpdatePreview, language: str) -> list[str]:
    """The counts: what is new, changed, unchanged and missing; then the problems, if any."""
    lines = [
        words(
            language,
            "summary",
            file=preview.sheet.file,
            new=len(preview.new),
            changed=len(preview.changed),
            unchanged=preview.unchanged,
            missing=len(preview.missing),
        )
    ]
    if preview.ambiguous or preview.clashes or preview.rejected:
        lines.append(
            words(
                language,
                "problems",
                ambiguous=len(preview.ambiguous),
                clashes=len(preview.clashes),
                rejected=len(preview.rejected),
            )
        )
    if preview.changes_nothing and not preview.clashes:
        lines.append(words(language, "nothing"))
    return lines


def preview_lines(preview: UpdatePreview, language: str, *, limit: int | None = None) -> list[str]:
    """The counts, what the reading set aside (total rows, unused columns: kit.import_text), then every row that
    needs a look or would change something (the first `limit` of them)."""
    detail: list[str] = []
    detail += [clash_text(clash, language) for clash in preview.clashes]
    detail += [ambiguous_text(row, language) for row in preview.ambiguous]
    detail += [words(language, "rejected", line=row.line, reason=row.reason) for row in preview.rejected]
    for new in preview.new:
        detail.append(words(language, "new", line=new.line, name=new.record.name, address=new.record.address))
    for changed in preview.changed:
        detail += changed_lines(changed, language)
    for missing in preview.missing:
        detail.append(words(language, "missing", id=missing.resident_id, name=missing.name, address=missing.address))
    if limit is not None and len(detail) > limit:
        detail = [*detail[:limit], words(language, "more", count=len(detail) - limit)]
    return summary_lines(preview, language) + sheet_lines(preview.sheet.read, language) + detail


def changed_lines(changed: Changed, language: str) -> list[str]:
    lines = [words(language, "changed", line=changed.line, name=changed.name, id=changed.resident_id)]
    for change in changed.changes:
        lines.append(
            words(
                language,
                "change",
                field=words(language, f"field.{change.field}"),
                old=value_text(change.field, change.old, language),
                new=value_text(change.field, change.new, language),
            )
        )
    return lines


def clash_text(clash: PhoneClash, language: str) -> str:
    owner_line = words(language, "owner_line", line=clash.owner_line) if clash.owner_line is not None else ""
    return words(
        language,
        "clash",
        line=clash.line,
        name=clash.name,
        id=clash.resident_id,
        phone=display_phone(clash.phone),
        owner=clash.owner_name,
        owner_id=clash.owner_id,
        owner_line=owner_line,
    )


def ambiguous_text(row: Ambiguous, language: str) -> str:
    candidates = ", ".join(f"#{resident_id} {name}" for resident_id, name in row.candidates)
    if row.other_lines:
        lines = ", ".join(str(line) for line in row.other_lines)
        return words(language, "shared", line=row.line, name=row.name, lines=lines, candidates=candidates)
    return words(language, "ambiguous", line=row.line, name=row.name, address=row.address, candidates=candidates)


def value_text(field_name: str, value: Any, language: str) -> str:
    """A value as people read it; empty values as "(empty)"."""
    if value is None or value == "" or value == ():
        return words(language, "empty")
    if field_name in ("phone", "second_phone"):
        return display_phone(value)
    if field_name in ("status", "monitoring"):
        return _vocabulary(language, field_name, value)
    if field_name == "tags":
        return ", ".join(_vocabulary(language, "tag", tag) for tag in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _vocabulary(language: str, prefix: str, value: str) -> str:
    key = f"{prefix}.{value}"
    return ui_words.text(language, key) if ui_words.has(key) else value


def applied_line(preview: UpdatePreview, language: str) -> str:
    return words(
        language,
        "applied",
        new=len(preview.new),
        changed=len(preview.changed),
        moved=preview.marked_moved_out,
    )
