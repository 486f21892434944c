"""Who runs a CLI command: `--operator NAME` (or $LINLI_OPERATOR) and the PIN from $LINLI_OPERATOR_PIN or a prompt.

Decisions:
- While no operator is set up (`kit.operators.login_required` is false) nothing is asked; the name given, if any,
  is recorded as the actor as it stands (there is nobody to check it against), else "cli".
- Once operators exist, every command that opens the community's database needs one, except the kit's own
  machinery (`serve`, `dispatch`, `run-due`), which acts on its own account and runs from cron or a service unit
  without a PIN. The terminal UI has its own sign-in screen.
- The name and PIN are asked for only on a terminal; a script gets one clear line saying what to set instead.
"""

from __future__ import annotations

import os
import sys

import click

from kit import ui_words
from kit.errors import NotAllowed
from kit.models import Operator
from kit.operators import authenticate, login_required

PIN_VARIABLE = "LINLI_OPERATOR_PIN"


def on_a_terminal() -> bool:
    return sys.stdin.isatty()


def sign_in(name: str | None) -> Operator | None:
    """The operator running this command, or None while no operators are set up."""
    if not login_required():
        return None
    if not name:
        if not on_a_terminal():
            raise NotAllowed("signin.say_who", variable=PIN_VARIABLE)
        name = click.prompt(ui_words.say("cli.signin.operator_prompt"), err=True)
    pin = os.environ.get(PIN_VARIABLE)
    if pin is None:
        if not on_a_terminal():
            raise NotAllowed("signin.no_pin", name=name, variable=PIN_VARIABLE)
        pin = click.prompt(ui_words.say("cli.signin.pin_prompt", name=name), hide_input=True, err=True)
    return authenticate(name, pin)
