"""The door-knock sheet from the Tasks screen: written where the operator chooses (PDF, HTML or text, by the
extension), and sent to the default printer on request. The sheet itself is the kit's (kit.knock_sheet,
kit.knock_sheet_render); the proposed path and the printer are kit.printer's."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from kit.knock_sheet import knock_sheet
from kit.knock_sheet_render import write_knock_sheet
from kit.printer import can_print, proposed_path, send_to_printer
from tui.i18n import language

__all__ = ["can_print", "default_path", "print_sheet", "write_door_knock_list"]


def write_door_knock_list(path: str | Path, local_day: date | None = None) -> Path:
    """Write the day's sheet to `path` in the interface's language; the extension (.pdf, .html, .txt) says how."""
    return write_knock_sheet(knock_sheet(local_day, language=language()), path)


def print_sheet(path: str | Path) -> str:
    """Send a written sheet to the default printer; the line to show (kit.printer.PrinterProblem when it cannot)."""
    return send_to_printer(path, language())


def default_path(today: date) -> str:
    """The path the save dialog proposes: a PDF in the user's documents folder, never the working directory."""
    return str(proposed_path(today, "pdf"))
