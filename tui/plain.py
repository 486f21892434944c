"""Outside text as the UI shows it: a Rich `Text` (never markup) with every control character made visible.

Names, SMS bodies, addresses, grids, notes, volunteers' names and providers' errors reach a widget only through
`plain` (one line: a line break shows as ⏎) or `plain_lines` (a message or a dialog's body). A `str` handed to a
Label, a Static, a DataTable cell, an Option or a notification would be read as Rich markup: `[/]` in a reply would
stop the UI. `kit.plaintext.visible` is the rule for control characters; this module only adds "never markup".
"""

from __future__ import annotations

from rich.text import Text

from kit.plaintext import visible


def plain(value: object, style: str = "") -> Text:
    """One line of outside text (None shows as nothing)."""
    return Text(visible(None if value is None else str(value)), style=style, end="")


def plain_lines(value: object, style: str = "") -> Text:
    """Outside text that may run over several lines (a message body, a dialog's message)."""
    return Text(visible(None if value is None else str(value), multiline=True), style=style, end="")
