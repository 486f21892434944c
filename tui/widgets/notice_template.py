"""The approved notice templates, for the Notices screen when the SMS gateways send only templates (Tencent Cloud,
Alibaba Cloud): a choice of the notice kinds, one field per parameter of the chosen one, and the exact texts with
the signature, as `linli notice send --template` shows them.

Decisions
- Whether the mode is on, and the kinds with their texts, are read in a worker (`template_choices`): the mode may
  read the configuration file and the texts the community's language. The screen mounts this form only then, so
  outside template-only mode it stays as it was.
- Composing and checking the notice is kit.notices.templated.compose, the same as the CLI's --template: one home
  for what a template may hold.
- Template texts are Linli's own, but the values typed and the gateways' signatures are shown plain.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select

from kit.community import get_community
from kit.message_kinds import notice_kinds
from kit.notices.templated import TemplatedNotice
from kit.template_mode import template_only
from tui.i18n import t
from tui.plain import plain


@dataclass(frozen=True)
class TemplateChoice:
    """One approved notice kind: its name, its text in the community's language and its parameters."""

    kind: str
    text: str
    parameters: tuple[str, ...]


def template_choices() -> list[TemplateChoice] | None:
    """The notice kinds to offer, or None when the SMS gateways send free text. Reads kit: call it in a worker."""
    if not template_only():
        return None
    code = get_community().language_list[0]
    return [TemplateChoice(kind.name, kind.text(code), kind.all_parameters()) for kind in notice_kinds()]


def signed_text(notice: TemplatedNotice) -> Text:
    """The exact text each template gateway sends, signature included, one line per gateway."""
    text = Text()
    for gateway, signed in notice.signed():
        text.append("\n")
        text.append_text(plain(t("notice_template.text", gateway=gateway, text=signed)))
    return text


class NoticeTemplateForm(Vertical):
    """The approved template and its values, in place of the free text."""

    DEFAULT_CSS = """
    NoticeTemplateForm { height: auto; }
    NoticeTemplateForm #template-params { height: auto; }
    NoticeTemplateForm .template-param { height: 1; }
    NoticeTemplateForm .template-param Label { width: 16; }
    """

    def __init__(self, choices: list[TemplateChoice], id: str | None = "notice-template-form") -> None:
        super().__init__(id=id)
        self.choices = {choice.kind: choice for choice in choices}

    def compose(self) -> ComposeResult:
        options = [(plain(f"{choice.kind}: {choice.text}"), choice.kind) for choice in self.choices.values()]
        yield Label(t("notice_template.title"), classes="section-title")
        yield Select(options, prompt=t("notice_template.choose"), id="notice-template", compact=True)
        yield Vertical(id="template-params")

    def template(self) -> str:
        value = self.query_one("#notice-template", Select).value
        return value if isinstance(value, str) else ""

    def params(self) -> dict[str, str]:
        return {str(field.name): field.value.strip() for field in self.query(".template-value").results(Input)}

    @on(Select.Changed, "#notice-template")
    async def _chosen(self) -> None:
        box = self.query_one("#template-params", Vertical)
        await box.remove_children()
        choice = self.choices.get(self.template())
        for name in choice.parameters if choice is not None else ():
            await box.mount(
                Horizontal(
                    Label(t("notice_template.param", name=name)),
                    Input(id=f"param-{name}", name=name, classes="template-value", compact=True),
                    classes="template-param",
                )
            )

    def clear(self) -> None:
        for field in self.query(".template-value").results(Input):
            field.value = ""
