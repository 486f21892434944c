"""`linli gateways register NAME`: tell an Android phone (SMS Gateway for Android) where to post its events."""

from __future__ import annotations

import click

from kit import ui_words
from kit.errors import ConfigError
from kit.gateway import GatewayError
from kit.permissions import MANAGE_GATEWAYS
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_plain


@click.command("register")
@click.argument("name")
@pass_kit
def register_command(kit: Kit, name: str) -> None:
    """Register Linli's webhook on the Android phone NAME for received SMS and for sent, delivered and failed
    reports. Safe to run again: what the phone already has is left as it is.

    The phone posts to gateways.NAME.callback_url + /android/NAME/events (by default this machine's address
    on the phone's network and server.port); `linli serve` must be running there to receive them.

    \b
    Example:
      linli gateways register phone1
    """
    from sms.gateways import android

    kit.allow(MANAGE_GATEWAYS)
    tables = kit.settings.gateways
    options = tables.get(name)
    if not isinstance(options, dict) or options.get("kind") != android.KIND:
        phones = sorted(
            key for key, table in tables.items() if isinstance(table, dict) and table.get("kind") == "android"
        )
        if not phones:
            raise ConfigError("android.no_phones", name=name)
        raise ConfigError("android.not_a_phone", name=name, phones=", ".join(phones))
    gateway = android.build(name, options, kit.settings)
    try:
        done = android.register_webhooks(gateway)
    except GatewayError as error:
        raise ConfigError("android.not_reached", name=name, reason=str(error), title="phone_not_reached") from error
    for event, outcome in done:  # outcome: added, present or updated ([cli.gateways.register])
        echo_plain(ui_words.say(f"cli.gateways.register.{outcome}", name=name, event=event, url=gateway.events_url))
