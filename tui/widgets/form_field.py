"""One labelled input of a form, with room under it for the message that says what is wrong with it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Select

from tui.plain import plain


class FormField(Vertical):
    """`label` and `control` on one line; `show_error` puts a message under them (and marks the line with "!").

    `name` is the kit's field name (ValidationError.field), so a form can put the kit's message next to the field
    it names."""

    DEFAULT_CSS = """
    FormField {
        height: auto;
        width: 1fr;
    }
    FormField > Horizontal {
        height: 1;
    }
    FormField .field-label {
        width: 14;
        color: $text-muted;
    }
    FormField.-invalid .field-label {
        color: $error;
        text-style: bold;
    }
    FormField .field-error {
        display: none;
        color: $error;
        padding-left: 14;
        width: 1fr;  /* wrapped under the field, never cut at the edge */
        height: auto;
    }
    FormField.-invalid .field-error {
        display: block;
    }
    FormField Input, FormField Select {
        width: 1fr;
    }
    """

    def __init__(self, name: str, label: str, control: Widget, *, label_width: int | None = None) -> None:
        super().__init__(id=f"field-{name}")
        self.field_name = name
        self.label_text = label
        self.control = control
        self.label_width = label_width
        self.error = ""

    def compose(self) -> ComposeResult:
        with Horizontal():
            label = Label(self.label_text, classes="field-label")
            if self.label_width is not None:
                label.styles.width = self.label_width
            yield label
            yield self.control
        yield Label("", classes="field-error")

    def show_error(self, message: str) -> None:
        self.error = message
        self.add_class("-invalid")
        self.query_one(".field-label", Label).update("! " + self.label_text)
        self.query_one(".field-error", Label).update(plain(message))  # the kit's message may quote the value
        self.control.focus()

    def clear_error(self) -> None:
        self.error = ""
        if self.has_class("-invalid"):
            self.remove_class("-invalid")
            self.query_one(".field-label", Label).update(self.label_text)
            self.query_one(".field-error", Label).update("")

    @property
    def value(self) -> str:
        if isinstance(self.control, Input):
            return self.control.value
        if isinstance(self.control, Select):
            return "" if self.control.is_blank() else str(self.control.value)
        return ""
