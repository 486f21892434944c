"""Where a printed sheet goes: a path proposed in the user's documents folder, and the default printer (`lp`).

Decisions:
- The proposed path is in the documents folder (the XDG one where the desktop names it, e.g. ~/文档, else
  ~/Documents), else the home folder; never the working directory, which is wherever the terminal happened to be
  (often the code or a USB stick) and where a sheet of names and phones would be forgotten.
- Printing is `lp`, which CUPS provides on Linux and macOS: it sends to the default printer the operator has set
  up, with no printer settings in Linli. Where there is no `lp` the sheet is still saved and the operator is told
  where, in one line.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Final

import platformdirs

from kit import ui_words
from kit.errors import LinliError
from kit.plaintext import visible

LP_SECONDS: Final = 30.0  # lp only queues the job; it answers at once unless the print system hangs


class PrinterProblem(LinliError):
    title_key = "printer"


def documents_folder() -> Path:
    """The user's documents folder when it exists, else their home folder."""
    documents = Path(platformdirs.user_documents_dir()).expanduser()
    if documents.is_dir():
        return documents
    return Path.home()


def proposed_path(day: date, extension: str = "pdf") -> Path:
    """Where to save the door-knock sheet of `day`: door-knock-2026-11-20.pdf in the documents folder."""
    return documents_folder() / f"door-knock-{day.isoformat()}.{extension}"


def can_print() -> bool:
    return shutil.which("lp") is not None


def send_to_printer(path: str | Path, language: str) -> str:
    """Send `path` to the default printer with `lp`; returns the line to show. PrinterProblem, in `language`,
    when there is no `lp` or it refuses (no default printer, the print system down)."""
    target = Path(path).expanduser().resolve()  # absolute: a name starting with "-" is not an option
    command = shutil.which("lp")
    if command is None:
        raise PrinterProblem.said(ui_words.text(language, "sheet.no_printer", path=target), title=_title(language))
    try:
        done = subprocess.run(
            [command, str(target)], capture_output=True, text=True, timeout=LP_SECONDS, check=False, stdin=None
        )
    except subprocess.TimeoutExpired:
        raise _failed(language, "lp", target) from None
    except OSError as error:
        raise _failed(language, error.strerror or str(error), target) from None
    if done.returncode != 0:
        said = [line.strip() for line in (done.stderr or done.stdout or "").splitlines() if line.strip()]
        reason = visible(said[-1]) if said else f"lp {done.returncode}"
        raise _failed(language, reason, target)
    return ui_words.text(language, "sheet.sent_to_printer", path=target)


def _title(language: str) -> str:
    return ui_words.text(language, "sheet.printer_title")


def _failed(language: str, reason: str, path: Path) -> PrinterProblem:
    return PrinterProblem.said(
        ui_words.text(language, "sheet.print_failed", reason=reason, path=path), title=_title(language)
    )
