"""`linli gateways register NAME`: tell an Android phone (SMS Gateway for Android) where to post its events."""

from __future__ import annotations

import click

from kit.errors import ConfigError
from kit.gateway import GatewayError
from kit.permissions import MANAGE_GATEWAYS
from linli.cli.context import Kit, pass_kit

SAID = {"added": "registered", "present": "already registered", "updated": "moved to the new address"}


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
        known = f"the Android phones configured are: {', '.join(phones)}" if phones else "none is configured"
        raise ConfigError(f'There is no [gateways.{name}] with kind = "android"; {known}.')
    gateway = android.build(name, options, kit.settings)
    try:
        done = android.register_webhooks(gateway)
    except GatewayError as error:
        raise ConfigError(f"Could not register the webhooks on {name}: {error}", title="Phone not reached") from error
    for event, outcome in done:
        click.echo(f"{name}: {event} {SAID[outcome]} -> {gateway.events_url}")
