"""Update the register from this week's sheet: the path, the preview (counts and every change, as plain text), and
Apply. Reading, comparing and applying are the kit's (kit.register_update), on workers.

Decisions: Apply stays disabled until a preview is shown, and while the sheet has rows with problems or phone
clashes (they are fixed in the sheet, then previewed again); the kit checks again when applying, and refuses if the
register changed since the preview. Changing the path asks for a new preview. While the kit applies, the dialog
stays open (Esc and Cancel wait): closing it would not stop the transaction, only hide how it ended.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Static

from kit.errors import LinliError
from kit.register_update import UpdatePreview, apply_update, preview_update
from kit.register_update_text import applied_line, preview_lines
from kit.spreadsheets import MB
from tui.dialogs.form import FormDialog
from tui.i18n import language, t
from tui.plain import plain, plain_lines
from tui.widgets.form_field import FormField
from tui.workers import deliver

SHOWN_LINES = 300  # a preview longer than this shows its counts and the first rows (the CLI prints them all)


class ImportUpdateDialog(FormDialog[str | None]):
    """Dismisses with the "applied" line once the kit applied the update; None when cancelled."""

    CANCELLED: ClassVar[Any] = None

    def __init__(self) -> None:
        super().__init__()
        self.preview: UpdatePreview | None = None
        self.applying = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(t("import_update.title"), classes="dialog-title")
            path = Input(placeholder=t("import_update.path_hint"), id="path", compact=True)
            yield FormField("path", t("import_update.path"), path)
            yield Checkbox(t("import_update.mark_missing"), id="mark-missing", compact=True)
            with VerticalScroll(id="import-preview"):
                yield Static("", id="preview-body")
            yield Label("", classes="form-problem", id=self.PROBLEM_ID)
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("cancel"), id="cancel", compact=True)
                yield Button(t("import_update.preview"), id="show", compact=True)
                yield Button(t("import_update.apply"), variant="warning", id="apply", compact=True, disabled=True)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.prevent_default()  # FormDialog's handler would take Apply for Save (a preview)
        if event.button.id == "cancel":
            self.action_cancel()
        elif event.button.id == "apply":
            self.action_apply()
        else:
            self.action_save()

    @on(Input.Changed, "#path")
    def _changed(self) -> None:
        self.preview = None  # what was previewed is not what would be applied any more
        self.query_one("#apply", Button).disabled = True

    # --- preview ----------------------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Enter in the path, or Preview: read the sheet and show what would change."""
        path = self.query_one("#path", Input).value.strip()
        if not path:
            return
        self._say("")
        self.query_one("#preview-body", Static).update(t("import_update.reading"))
        self.load_preview(path, self.linli.settings.imports.max_file_mb * MB)

    @work(thread=True, exclusive=True, group="import-update", exit_on_error=False, name="preview the sheet")
    def load_preview(self, path: str, max_bytes: int) -> None:
        if not Path(path).expanduser().is_file():
            deliver(self, self._refused, t("import_update.no_file", path=path))
            return
        try:
            preview = preview_update(Path(path).expanduser(), max_bytes=max_bytes)
        except LinliError as error:  # a sheet the kit cannot read: said next to the path
            deliver(self, self._refused, error.message)
            return
        deliver(self, self.show_preview, preview)

    def _refused(self, message: str) -> None:
        self.query_one("#preview-body", Static).update("")
        self._say(message)

    def _say(self, message: str) -> None:
        """A line above the buttons: why the sheet cannot be read or applied (empty: nothing to say)."""
        self.query_one(f"#{self.PROBLEM_ID}", Label).update(plain("! " + message) if message else "")

    def show_preview(self, preview: UpdatePreview) -> None:
        self.preview = preview
        lines = preview_lines(preview, language(), limit=SHOWN_LINES)
        self.query_one("#preview-body", Static).update(plain_lines("\n".join(lines)))  # the sheet's own cells
        blocked = bool(preview.clashes or preview.rejected)
        self._say(t("import_update.fix_first") if blocked else "")
        self.query_one("#apply", Button).disabled = blocked

    # --- apply ------------------------------------------------------------------------------------------------

    def action_apply(self) -> None:
        if self.preview is None or self.query_one("#apply", Button).disabled:
            return
        self.query_one("#apply", Button).disabled = True
        self.applying = True
        self.apply_sheet(self.preview, self.query_one("#mark-missing", Checkbox).value)

    def action_cancel(self) -> None:
        if not self.applying:
            super().action_cancel()

    @work(thread=True, exclusive=True, group="import-update", exit_on_error=False, name="apply the sheet")
    def apply_sheet(self, preview: UpdatePreview, mark_missing: bool) -> None:
        try:
            applied = apply_update(preview, mark_missing=mark_missing, actor=self.linli.actor)
        except LinliError as error:  # a clash, or the register changed since the preview: nothing was written
            deliver(self, self._not_applied, error.message)
            return
        deliver(self, self.dismiss, applied_line(applied, language()))

    def _not_applied(self, message: str) -> None:
        self.applying = False
        self._say(message)
