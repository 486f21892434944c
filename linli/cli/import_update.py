"""`linli import residents FILE --update`: the preview of an update from a revised sheet, and applying it."""

from __future__ import annotations

import click

from kit.community import get_community
from kit.import_text import row_lines
from kit.importer import write_rejects
from kit.register_update import Sheet, apply_update, plan_update
from kit.register_update_text import applied_line, preview_lines, words
from linli.cli.output import echo_json, echo_plain


def run_update(
    sheet: Sheet,
    actor: str,
    *,
    apply: bool,
    mark_missing: bool,
    skip_invalid: bool,
    rejects: str | None,
    as_json: bool,
) -> None:
    """Print what updating the register from `sheet` would do; with `apply`, do it (kit.register_update)."""
    preview = plan_update(sheet)
    if rejects and preview.rejected:
        write_rejects(rejects, sheet.read)
    language = get_community().language_list[0]
    if not as_json:
        for line in row_lines(sheet.read, language):
            echo_plain(line, err=True)  # rows read with a warning (a landline, an address kept whole), as on import
        for line in preview_lines(preview, language):
            echo_plain(line)  # the lines quote the sheet's cells
    if apply:
        preview = apply_update(preview, mark_missing=mark_missing, skip_invalid=skip_invalid, actor=actor)
    if as_json:
        echo_json(preview.as_dict())
    elif apply:
        click.echo(applied_line(preview, language))
    elif not preview.changes_nothing:
        click.echo(words(language, "not_applied"))
