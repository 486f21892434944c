"""`linli gateways`: the configured gateways with their health and today's counts, and a test message through one.

Decisions
- `linli gateways test` queues a message pinned to the named gateway (kit.pool.TEST_KIND: the pool never sends it)
  and sends it from this process, claimed like any row, so a running server cannot send it a second time; then it
  polls the database (bounded by --timeout) for the delivery report, which the server's webhooks or the gateway's
  poll write.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from datetime import timedelta

import click

from kit import ui_words
from kit.clock import utcnow
from kit.community import community_zone, get_community
from kit.config import CHANNELS
from kit.errors import ConfigError, LinliError
from kit.models import Message
from kit.permissions import MANAGE_GATEWAYS
from kit.phones import display_phone, normalize_phone
from kit.pool import FINAL_STATUSES, pool_members, queue_test, send_pinned
from linli.cli.context import Kit, pass_kit
from linli.cli.gateways_android import register_command
from linli.cli.output import echo_json, echo_plain, echo_table, word

WAIT_STEP_SECONDS = 0.5
HEADERS = ("name", "kind", "channel", "health", "pace", "counts", "last_error")  # [cli.gateways.header]


class GatewayTestFailed(LinliError):
    title_key = "gateway_test_failed"


@click.group("gateways", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the gateways as a JSON list.")
@click.pass_context
def gateways_group(ctx: click.Context, as_json: bool) -> None:
    """List the gateways of each channel with their kind, health, today's sent / failed / daily cap and last
    error. Without a subcommand it lists them.

    \b
    Example:
      linli gateways --json
    """
    if ctx.invoked_subcommand is not None:
        return
    kit = ctx.find_object(Kit)
    assert kit is not None
    kit.open(create=False)
    from linli.gateways import build_gateways

    build_gateways(kit.settings)  # every table checked as `linli serve` checks it: a mistake is one line here too
    members = [member for channel in CHANNELS for member in pool_members(kit.settings, channel)]
    if as_json:
        echo_json([asdict(member) for member in members])
        return
    rows = [
        (
            m.name,
            m.kind,
            word("channel", m.channel),
            ui_words.say("cli.gateways.healthy" if m.healthy else "cli.gateways.out_of_pool"),
            ui_words.say("cli.gateways.pace", rate=f"{m.rate_per_minute:g}"),
            f"{m.sent_today}/{m.failed_today}/{m.daily_cap or '-'}",
            m.last_error,
        )
        for m in members
    ]
    echo_table([ui_words.say(f"cli.gateways.header.{column}") for column in HEADERS], rows)


@gateways_group.command("test")
@click.argument("name")
@click.option("--to", "to", required=True, help="The phone number to send the test message to.")
@click.option(
    "--timeout",
    default=120.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds to wait for the delivery report.",
)
@pass_kit
def test_command(kit: Kit, name: str, to: str, timeout: float) -> None:
    """Send one test message through the gateway NAME only, and wait for its delivery report.

    \b
    Example:
      linli gateways test simulator --to 13800138000 --timeout 30
    """
    kit.allow(MANAGE_GATEWAYS)
    from kit.dispatcher import Dispatcher
    from linli.gateways import build_gateways

    gateways = build_gateways(kit.settings)
    named = gateways.named()
    if name not in named:
        raise ConfigError("gateway.no_such", name=name, names=", ".join(named))
    peer = normalize_phone(to, get_community().region)
    message = queue_test(name, named[name][1].channel, peer, utcnow() + timedelta(seconds=max(timeout, 60)))
    send_pinned(Dispatcher(gateways, kit.settings.dispatch, community_zone()), message.id)
    row = _wait(message.id, timeout)
    what = {"id": row.id, "name": name, "phone": display_phone(peer)}
    if row.status in ("failed", "undelivered", "expired", "skipped"):
        status = ui_words.later(f"message_status.{row.status}")
        if row.error:
            raise GatewayTestFailed("gateway.test_failed", **what, state=status, reason=row.error)
        raise GatewayTestFailed("gateway.test_failed_no_reason", **what, state=status)
    status_now = word("message_status", row.status)
    if row.status not in FINAL_STATUSES:
        echo_plain(ui_words.say("cli.gateways.test_no_report", **what, status=status_now, seconds=f"{timeout:g}"))
        sys.exit(1)
    echo_plain(ui_words.say("cli.gateways.test_done", **what, status=status_now))


def _wait(message_id: int, timeout: float) -> Message:
    """The row once it reached a final status, or as it is when `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        row = Message.get_by_id(message_id)
        if row.status in FINAL_STATUSES or time.monotonic() >= deadline:
            return row
        time.sleep(WAIT_STEP_SECONDS)


gateways_group.add_command(register_command)  # `linli gateways register NAME` (Android phones)
