"""`linli inbox`: the SMS residents and volunteers sent, with what each was read as and whether a person has read the
ones nobody understood; `linli inbox read ID` marks one read.

Decisions
- The words are the community's language (headers, what a reply was read as, handled or needs reading); JSON keeps
  stable English keys and the parser's reading as it is stored, for programs.
- A message's text is shown as plain text: a control character in an SMS shows as a symbol, never acts on the
  terminal (`linli.cli.output`).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import click

from kit import needs_reading, ui_words
from kit.community import community_zone, get_community
from kit.localtime import to_local
from kit.needs_reading import ReadMark
from kit.permissions import WORK
from kit.phones import display_phone
from kit.views import MessageLine, inbound_messages
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_json, echo_plain, echo_table

COLUMNS = ("time", "from", "phone", "text", "read_as", "state")
_HANDLED = {"read": "read_by", "reply": "replied_by", "correct": "corrected_by"}


@click.group("inbox", invoke_without_command=True)
@click.option("--needs-reading", "only_unread", is_flag=True, help="Only replies nobody understood and nobody read.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (stable English keys) instead of a table.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, help="The newest N messages.")
@click.pass_context
def inbox_command(ctx: click.Context, only_unread: bool, as_json: bool, limit: int) -> None:
    """The SMS received, newest first: time, sender (name and phone), the text as sent, what it was
    read as, and for a reply nobody understood whether a person has handled it (replied, corrected
    or marked read) or it still needs reading.

    A reply nobody understood stays "needs reading" until an operator replies to it or corrects it
    (Inbox, r / c) or marks it read (Inbox, m, or `linli inbox read ID`).

    \b
    Example:
      linli inbox --needs-reading
      linli inbox --limit 20 --json
    """
    if ctx.invoked_subcommand is not None:
        return
    kit: Kit = ctx.obj
    kit.open(create=False)
    lines = inbound_messages(limit=limit, needs_reading_only=only_unread)
    read = needs_reading.marks(line.id for line in lines)
    zone = community_zone()
    if as_json:
        echo_json([_as_json(line, read.get(line.id), zone) for line in lines])
        return
    language = ui_words.base_language(get_community().language)
    headers = [_say(language, f"col.{column}") for column in COLUMNS]
    rows = [_cells(line, read.get(line.id), language, zone) for line in lines]
    echo_table(headers, rows, empty=_say(language, "none_needs_reading" if only_unread else "none"))


@inbox_command.command("read")
@click.argument("message_id", type=int, metavar="ID")
@pass_kit
def read_command(kit: Kit, message_id: int) -> None:
    """Mark message ID read: a person has read it and nothing more is to be done. It leaves the
    "needs reading" list, and its unread alert (if one was raised) is acknowledged.

    \b
    Example:
      linli inbox read 42
    """
    actor = kit.allow(WORK)
    mark = needs_reading.mark_read(message_id, actor=actor)
    echo_plain(_say(ui_words.base_language(get_community().language), "marked", id=message_id, by=mark.by))


def _say(language: str, key: str, **values: object) -> str:
    return ui_words.text(language, f"inbox_cli.{key}", **values)


def _read_as(line: MessageLine, language: str) -> str:
    """What the message was read as, in words: the operator's correction when there is one, else the parser's."""
    intent = line.corrected or line.intent
    kind = str(intent.get("intent", ""))
    if not kind:
        return ""
    words = [ui_words.text(language, f"intent.{kind}")]
    if intent.get("temperature_c"):
        words.append(f"{float(intent['temperature_c']):.1f}°C")
    if intent.get("text"):
        words.append(str(intent["text"]))
    return " ".join(words)


def _state(line: MessageLine, mark: ReadMark | None, language: str) -> str:
    if line.needs_reading:
        return _say(language, "needs_reading")
    if mark is not None:
        return _say(language, _HANDLED.get(mark.how, "read_by"), by=mark.by)
    return ""


def _cells(line: MessageLine, mark: ReadMark | None, language: str, zone: ZoneInfo) -> list[str]:
    return [
        to_local(line.at, zone).strftime("%m-%d %H:%M"),
        line.resident_name,
        display_phone(line.peer) or line.peer,
        line.body,
        _read_as(line, language),
        _state(line, mark, language),
    ]


def _as_json(line: MessageLine, mark: ReadMark | None, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": line.id,
        "at": to_local(line.at, zone).isoformat(),
        "from": line.peer,
        "resident_id": line.resident_id,
        "resident": line.resident_name or None,
        "text": line.body,
        "channel": line.channel,
        "read_as": line.intent or None,
        "corrected": line.corrected or None,
        "needs_reading": line.needs_reading,
        "read": None if mark is None else {"at": to_local(mark.at, zone).isoformat(), "by": mark.by, "how": mark.how},
    }
