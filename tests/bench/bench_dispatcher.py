"""Benchmark: the dispatcher's own cost per message, and the same broadcast through Twilio's client to a fake server.

1. 20,000 queued SMS through a zero-latency in-process gateway (send returns at once): what is left is the
   dispatcher (claim, commit the attempt, commit the result, history, health). Target: <= 1 ms per message.
2. For reference, a smaller broadcast through TwilioSmsGateway (twilio-python, requests) to the fake Twilio REST
   server on loopback: the cost of a real HTTP client per message on this machine.
Printed, never asserted.

    python -m tests.bench.bench_dispatcher [--messages 20000] [--twilio-messages 2000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kit import db, outbox
from kit.community import init_community
from kit.config import DispatchSettings, TwilioSettings
from kit.dispatcher import Dispatcher, DispatchReport
from kit.gateway import Gateway, Outgoing, SendResult
from kit.models import Message
from sms.twilio_gateway import TwilioSmsGateway
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, read_journal

ZONE = ZoneInfo("Asia/Shanghai")
BODY = "【幸福里社区】通知：明天（周六）8:00-12:00 3号楼停水，请提前储水。需要帮助请回复3。"
NEVER_QUIET = DispatchSettings(rate_per_second=0, quiet_start="00:00", quiet_end="00:00")


class InstantGateway:
    """A provider with no latency at all: every send is taken at once."""

    name = "instant"
    channel = "sms"

    def send(self, message: Outgoing) -> SendResult:
        return SendResult(provider_id=f"IN{message.message_id:010d}", status="queued")

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        return None


def broadcast(folder: Path, name: str, count: int, gateway: Gateway) -> tuple[float, DispatchReport]:
    db.connect(folder / f"{name}.sqlite3")
    init_community("幸福里社区", "CN", "Asia/Shanghai", ["zh"], actor="bench")
    with db.transaction():
        outbox.queue_many(
            [outbox.Draft(peer=f"+86139{i:08d}", body=BODY, kind="notice", key=f"n:{i}") for i in range(count)]
        )
    dispatcher = Dispatcher({"sms": gateway}, NEVER_QUIET, ZONE)
    started = time.perf_counter()
    report = dispatcher.run_once()
    elapsed = time.perf_counter() - started
    sent = Message.select().where(Message.status == "sent").count()
    assert sent == count, f"only {sent} of {count} were sent"
    db.close()
    return elapsed, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--twilio-messages", type=int, default=2_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        elapsed, report = broadcast(folder, "instant", args.messages, InstantGateway())
        per = elapsed / args.messages * 1000
        print(f"dispatcher, zero-latency gateway: {args.messages} messages in {elapsed:.2f} s")
        rate = args.messages / elapsed
        print(f"  {per:.3f} ms per message ({rate:.0f} messages/s; target <= 1 ms); {report.sent} sent")

        # The fake runs in a process of its own, so its work is not counted as the dispatcher's.
        journal = folder / "fake.jsonl"
        command = [sys.executable, "-m", "tests.fakes.twilio_server", "--journal", str(journal)]
        with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as fake:
            assert fake.stdout is not None and fake.stdin is not None
            url = fake.stdout.readline().strip()
            settings = TwilioSettings(
                account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_number=OUR_NUMBER, api_base=url
            )
            elapsed, report = broadcast(folder, "twilio", args.twilio_messages, TwilioSmsGateway(settings))
            fake.stdin.close()
        received = len(read_journal(journal))
        per_twilio = elapsed / args.twilio_messages * 1000
        rate = args.twilio_messages / elapsed
        print(f"dispatcher + TwilioSmsGateway -> fake Twilio (own process): {args.twilio_messages} in {elapsed:.2f} s")
        print(f"  {per_twilio:.3f} ms per message ({rate:.0f} messages/s); the fake received {received}")
        print(f"  of which the dispatcher itself ~{per:.3f} ms; the rest is twilio-python + requests + the fake")


if __name__ == "__main__":
    main()
