"""`linli operators ...`: the people who run the kit, their roles and their PINs.

While no operator exists, anybody at the laptop may add the first one, who must be an admin; from then on only
admins manage operators (kit.permissions) and every command says who runs it (see linli.cli.signin).
"""

from __future__ import annotations

import sys

import click

from kit import ui_words
from kit.errors import ValidationError
from kit.models import OPERATOR_ROLES
from kit.operators import (
    activate_operator,
    add_operator,
    check_pin,
    deactivate_operator,
    list_operators,
    remove_operator,
    set_pin,
    set_role,
)
from kit.permissions import MANAGE_OPERATORS
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_json, echo_plain, echo_table

PIN_STDIN_HELP = "Read the PIN from the first line of stdin (for scripts) instead of asking twice."
COLUMNS = ("name", "role", "active", "added")


@click.group("operators")
def operators_group() -> None:
    """Add operators with a role and a PIN; once one exists, the CLI and the terminal UI ask who is on duty.

    Roles: an admin manages operators, gateways and restores; an operator does the daily work; a viewer
    only looks (no notices, no changes to residents, no exports). The first operator must be an admin.

    \b
    Example:
      linli operators add 王芳 --role admin
    """


def read_pin(name: str, pin_stdin: bool) -> str:
    """A new PIN: the first line of stdin with --pin-stdin, else asked twice without echo."""
    if pin_stdin:
        pin = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        pin = click.prompt(
            _say("pin_prompt", name=name), hide_input=True, confirmation_prompt=_say("pin_again"), err=True
        )
    else:
        raise ValidationError("operators.no_terminal_for_pin", field="pin")
    return check_pin(pin)


@operators_group.command("add")
@click.argument("name")
@click.option(
    "--role", type=click.Choice(OPERATOR_ROLES), default="operator", show_default=True, help="What they may do."
)
@click.option("--pin-stdin", is_flag=True, help=PIN_STDIN_HELP)
@pass_kit
def add(kit: Kit, name: str, role: str, pin_stdin: bool) -> None:
    """Add an operator with a PIN (at least six characters) or passphrase, stored only as a hash.

    \b
    Example:
      linli operators add 李明 --role viewer
      echo 'long passphrase' | linli operators add anna --role operator --pin-stdin
    """
    actor = kit.allow(MANAGE_OPERATORS)
    view = add_operator(name, read_pin(name, pin_stdin), role=role, actor=actor)
    echo_plain(_say("added", role=_role(view.role), name=view.name))


@operators_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the operators as a JSON list.")
@pass_kit
def list_command(kit: Kit, as_json: bool) -> None:
    """List operators with their role and whether they may sign in (never their PINs).

    \b
    Example:
      linli operators list --json
    """
    kit.open(create=False)
    views = list_operators()
    if as_json:
        echo_json([view.as_dict() for view in views])
        return
    rows = [
        [view.name, _role(view.role), _say("yes" if view.active else "no"), view.created_at.date().isoformat()]
        for view in views
    ]
    echo_table([_say(f"col.{column}") for column in COLUMNS], rows, empty=_say("none"))


@operators_group.command("set-pin")
@click.argument("name")
@click.option("--pin-stdin", is_flag=True, help=PIN_STDIN_HELP)
@pass_kit
def set_pin_command(kit: Kit, name: str, pin_stdin: bool) -> None:
    """Give an operator a new PIN (an admin for anybody; everybody for themselves).

    \b
    Example:
      linli operators set-pin 李明
    """
    kit.open(create=False)
    me = kit.sign_in()
    if me is None or me.name != " ".join(name.split()):
        kit.allow(MANAGE_OPERATORS)
    view = set_pin(name, read_pin(name, pin_stdin), actor=kit.actor)
    echo_plain(_say("pin_set", name=view.name))


@operators_group.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(OPERATOR_ROLES))
@pass_kit
def set_role_command(kit: Kit, name: str, role: str) -> None:
    """Change what an operator may do: admin, operator or viewer.

    \b
    Example:
      linli operators set-role 李明 operator
    """
    view = set_role(name, role, actor=kit.allow(MANAGE_OPERATORS))
    echo_plain(_say("role_set", name=view.name, role=_role(view.role)))


@operators_group.command("deactivate")
@click.argument("name")
@pass_kit
def deactivate(kit: Kit, name: str) -> None:
    """Stop an operator signing in; they stay in the list and the audit trail (`activate` undoes it).

    \b
    Example:
      linli operators deactivate 李明
    """
    view = deactivate_operator(name, actor=kit.allow(MANAGE_OPERATORS))
    echo_plain(_say("deactivated", name=view.name))


@operators_group.command("activate")
@click.argument("name")
@pass_kit
def activate(kit: Kit, name: str) -> None:
    """Let a deactivated operator sign in again, with the PIN they had.

    \b
    Example:
      linli operators activate 李明
    """
    view = activate_operator(name, actor=kit.allow(MANAGE_OPERATORS))
    echo_plain(_say("activated", name=view.name))


@operators_group.command("remove")
@click.argument("name")
@pass_kit
def remove(kit: Kit, name: str) -> None:
    """Delete an operator; the audit trail keeps their name on what they did.

    \b
    Example:
      linli operators remove 李明
    """
    remove_operator(name, actor=kit.allow(MANAGE_OPERATORS))
    echo_plain(_say("removed", name=" ".join(name.split())))


def _say(key: str, **values: object) -> str:
    return ui_words.say(f"cli.operators.{key}", **values)


def _role(role: str) -> str:
    return _say(f"role.{role}")
