"""`linli templates ...`: the message kinds Linli sends, and the approved templates a template gateway maps them to.

A community on Tencent Cloud or Alibaba Cloud SMS exports the sheet (`export`), applies for the templates in the
provider's console, writes the ids it gets into the gateway's templates file, then runs `check` until it passes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from kit import ui_words
from kit.community import get_community
from kit.export_words import Readable
from kit.exporter import check_format, export_to_path
from kit.message_kinds import kinds
from kit.template_check import check, export_rows
from kit.template_mode import TemplateGateway, named_template_gateway, template_gateway_names
from kit.templates import FALLBACK
from kit.templates import languages as template_languages
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_json, echo_plain, echo_table

EXPORT_COLUMNS = ("kind", "text", "variables", "purpose")
CHECK_COLUMNS = ("kind", "language", "template_id", "segments")  # [cli.templates.header]


@click.group("templates")
def templates_group() -> None:
    """The kinds of message Linli sends and the approved templates of template gateways.

    \b
    Example:
      linli templates check tencent1
    """


def _gateways(kit: Kit) -> list[TemplateGateway]:
    return [named_template_gateway(kit.settings, name) for name in template_gateway_names(kit.settings)]


def _languages(kit: Kit) -> list[str]:
    """The community's languages (the first is the one its residents mostly read)."""
    kit.open(create=False, identify=False)
    return get_community().language_list


@templates_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the kinds as JSON.")
@pass_kit
def list_command(kit: Kit, as_json: bool) -> None:
    """List every message kind: its text in each language, its parameters, and the template id each
    template gateway ([gateways.NAME] with kind tencent or aliyun) maps it to.

    \b
    Example:
      linli templates list
    """
    kit.open(create=False, identify=False)  # its words in the community's language
    gateways = _gateways(kit)
    codes = sorted(template_languages(), key=lambda code: code != FALLBACK)  # Chinese first, as the files
    listed: list[dict[str, Any]] = []
    for kind in kinds():
        listed.append(
            {
                "kind": kind.name,
                "parameters": list(kind.all_parameters()),
                "texts": {code: kind.text(code) for code in codes},
                "ids": {g.name: {code: g.templates.template_id(kind.name, code) for code in codes} for g in gateways},
            }
        )
    if as_json:
        echo_json(listed)
        return
    for item in listed:
        parameters = ", ".join(item["parameters"]) or ui_words.say("cli.templates.no_parameters")
        echo_plain(f"{item['kind']} ({parameters})")
        for code, text in item["texts"].items():
            echo_plain(f"  {code}: {text}")
        for gateway, ids in item["ids"].items():
            mapped = ", ".join(f"{code} {template_id or '-'}" for code, template_id in ids.items())
            echo_plain(f"  {gateway}: {mapped}")


@templates_group.command("check")
@click.argument("name")
@pass_kit
def check_command(kit: Kit, name: str) -> None:
    """Check template gateway NAME: every kind mapped to an approved template, every parameter within
    the provider's limit (names and addresses as long as the register's), no mobile number or link a
    provider forbids; shows each template's SMS segments with the signature. Exits 1 when anything
    would stop a message, 0 when all is ready.

    \b
    Example:
      linli templates check tencent1
    """
    languages = _languages(kit)
    gateway = named_template_gateway(kit.settings, name)
    report = check(gateway, languages)
    rows = [
        [row.kind, row.language, row.template_id or "-", _segments(row.segments)]
        for row in report.rows
        if not row.kind.startswith("notice_") or row.template_id
    ]
    echo_table([ui_words.say(f"cli.templates.header.{column}") for column in CHECK_COLUMNS], rows)
    signature = f"【{gateway.sign_name}】" if gateway.sign_name else ui_words.say("cli.templates.no_sign_name")
    echo_plain(ui_words.say("cli.templates.segments", signature=signature))
    for finding in report.findings:
        said = "cli.templates.problem" if finding.problem else "cli.templates.note"
        echo_plain(ui_words.say(said, line=finding.line))
    if not report.ok:
        echo_plain(ui_words.say_count("cli.templates.not_ready", len(report.problems), name=name))
        sys.exit(1)
    echo_plain(ui_words.say("cli.templates.ready", name=name))


def _segments(counts: tuple[int, int]) -> str:
    low, high = counts
    return str(low) if low == high else f"{low}-{high}"


class _SheetWords(Readable):
    """The sheet's header in the community's language (data/ui [templates_export])."""

    def header(self, columns: Any) -> list[str]:
        return [ui_words.text(self.language, f"templates_export.{column}") for column in columns]


@templates_group.command("export")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(("xlsx", "csv")), default="xlsx", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@pass_kit
def export_command(kit: Kit, name: str, fmt: str, output: Path | None) -> None:
    """Write the sheet to apply for gateway NAME's templates in the provider's console: each kind,
    the suggested template text with its variables (${name} for Alibaba Cloud, {1} {2} for Tencent
    Cloud), the variables in order, and what the message is for, in the community's language.

    \b
    Example:
      linli templates export aliyun1 --format xlsx --output templates.xlsx
    """
    language = _languages(kit)[0]
    gateway = named_template_gateway(kit.settings, name)
    target = output or Path(f"templates-{name}.{check_format(fmt)}")
    words = _SheetWords(ui_words.base_language(language))
    count = export_to_path(export_rows(gateway, language), EXPORT_COLUMNS, fmt, target, readable=words)
    echo_plain(ui_words.say_count("cli.templates.wrote", count, name=name, target=target))
