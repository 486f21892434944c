"""Click's refusals of a command line (a mistyped option, a missing value, a word too many) in the reader's language.

Click words them in English; `LinliGroup` hands each to `said`, which rewords the ones a volunteer meets (by their
kind and their values: the option, the possibilities, the extra words) from `[cli.usage]` in data/ui, and shows them
as Click does: the usage line, where to find help, the reason. A refusal of a kind not known here keeps Click's
reason, in the same frame.
"""

from __future__ import annotations

import re
from typing import IO, Any

import click

from kit import ui_words
from kit.plaintext import visible

_EXTRA = re.compile(r"^Got unexpected extra arguments? \((.*)\)$")
_NEEDS_VALUE = re.compile(r"^Option '([^']*)' requires an argument\.$")


class SaidUsageError(click.UsageError):
    """A usage error in the reader's words."""

    def show(self, file: IO[Any] | None = None) -> None:
        ctx = self.ctx
        if ctx is not None:
            hint = ui_words.say("cli.usage.try_help", command=ctx.command_path)
            click.echo(f"{ctx.get_usage()}\n{hint}\n", file=file, err=file is None, color=ctx.color)
        # The reason quotes what was typed: shown as plain text, whatever control characters it holds.
        click.echo(visible(ui_words.say("cli.usage.error", message=self.format_message())), file=file, err=file is None)


def said(error: click.UsageError) -> SaidUsageError:
    """`error` with its reason in the reader's words."""
    return SaidUsageError(_reason(error), error.ctx)


def _reason(error: click.UsageError) -> str:
    if isinstance(error, click.NoSuchCommand):
        found = _possibilities(list(error.possibilities or []))
        return ui_words.say("cli.usage.no_such_command", name=error.command_name) + found
    if isinstance(error, click.NoSuchOption):
        found = _possibilities(error.possibilities or [])
        return ui_words.say("cli.usage.no_such_option", option=error.option_name) + found
    if isinstance(error, click.MissingParameter) and error.param is not None:
        hint = error.param.get_error_hint(error.ctx) if error.ctx is not None else error.param.name
        kind = "option" if isinstance(error.param, click.Option) else "argument"
        return ui_words.say(f"cli.usage.missing_{kind}", name=hint)
    if isinstance(error, click.BadParameter) and error.param is not None and error.ctx is not None:
        hint = error.param.get_error_hint(error.ctx)
        return ui_words.say("cli.usage.bad_value", name=hint, reason=_value_reason(error.message))
    message = error.format_message()
    extra = _EXTRA.match(message)
    if extra:
        return ui_words.say("cli.usage.extra", words=extra.group(1))
    needs = _NEEDS_VALUE.match(message)
    if needs:
        return ui_words.say("cli.usage.needs_value", option=needs.group(1))
    if message == "Missing command.":
        return ui_words.say("cli.usage.missing_command")
    return message


_NOT_ONE_OF = re.compile(r"^'(.*)' is not one of (.*)\.$")  # click.Choice
_NOT_A = re.compile(r"^'(.*)' is not a valid (integer|float|integer range|float range)\.$")  # click.INT, click.FLOAT


def _value_reason(reason: str) -> str:
    """Why click refused a value, in the reader's words where click's kind of value is known."""
    choice = _NOT_ONE_OF.match(reason)
    if choice:
        return ui_words.say("cli.usage.not_one_of", value=choice.group(1), choices=choice.group(2))
    number = _NOT_A.match(reason)
    if number:
        return ui_words.say("cli.usage.not_a_number", value=number.group(1))
    return reason


def _possibilities(possibilities: list[str]) -> str:
    if not possibilities:
        return ""
    listed = ui_words.say("cli.usage.or").join(f"'{p}'" for p in sorted(possibilities))
    return ui_words.say("cli.usage.did_you_mean", possibilities=listed)
