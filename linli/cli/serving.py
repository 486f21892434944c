"""`linli serve`: the webhook server, the dispatcher and the scheduler, headless (a Raspberry Pi, a server)."""

from __future__ import annotations

import threading

import click

from kit import ui_words
from kit.community import get_community
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_plain
from linli.logs import configure_logging


@click.command("serve")
@click.option("--host", help="Address to listen on for webhooks. Default: server.host (127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on for webhooks. Default: server.port (8080).")
@click.option("--no-webhooks", is_flag=True, help="Only dispatch and schedule (inbound by polling or not at all).")
@pass_kit
def serve(kit: Kit, host: str | None, port: int | None, no_webhooks: bool) -> None:
    """Run Linli headless: webhooks, the dispatcher and the scheduler, until Ctrl-C.

    Inbound SMS and calls arrive at the webhooks (or by polling Twilio when twilio.public_url is empty); the
    dispatcher sends what is due through the configured gateways; the scheduler starts the daily round and moves
    the check-in ladder on. Stopping is safe at any moment: nothing is lost and nothing is sent twice.

    \b
    Example:
      linli serve --host 0.0.0.0 --port 8080
    """
    from linli.runtime import Runtime

    kit.open(create=False, identify=False)  # the kit's machinery acts on its own account (linli.cli.signin)
    configure_logging()
    runtime = Runtime(kit.settings, webhooks=not no_webhooks, host=host, port=port).start()
    said = {"name": get_community().name, "sms": kit.settings.gateway.sms, "voice": kit.settings.gateway.voice}
    if runtime.server is not None:
        echo_plain(ui_words.say("cli.serve.running", url=runtime.server.url, **said))
    else:
        echo_plain(ui_words.say("cli.serve.running_without_webhooks", **said))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo(ui_words.say("cli.serve.stopping"))
    finally:
        runtime.stop()
