"""Benchmark: the nine o'clock burst. Every resident of a community asked today answers within seconds.

`linli serve`'s webhook server runs on a loopback port over a demo community of `--residents` residents, all asked
in today's round: as `linli serve` runs it on a SQLite file, in a process of its own that lands each reply in a
file of its own (kit.landing), with the inbound worker in this one moving them into the database and acting on
them (linli.webhook_process.WebhookProcess), or with `--in-process` on a thread of this process, storing into the
database, with the worker beside it (linli.server.WebhookServer). A separate process
posts one signed Twilio reply per resident as fast as the server answers (`--concurrency` connections, aiohttp's
client, signatures computed before timing), then the run waits until every reply is understood (its report
recorded). The minimal handler of `bench_webhooks` (signature check + one raw SQLite insert) takes the same load in
the same run.

Targets: the rate at which replies are understood (replies / time from the first post until the last report) >=
0.25x the minimal handler's request rate, and the webhook's p99 during the burst <= 3x the minimal handler's.
Printed, never asserted.

    python -m tests.bench.bench_burst [--residents 5000] [--concurrency 16] [--in-process]

The clock is the real one: the webhook's process stores each reply at the time it arrives, and the round is
today's.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

from twilio.request_validator import RequestValidator

import sms.batch
from kit import db, outbox
from kit.checkin import start_round
from kit.config import CheckinSettings, Settings
from kit.demo import generate_demo
from kit.models import CheckinAsk, Message, Report, Resident
from linli.server import WebhookServer
from linli.webhook_process import WebhookProcess
from sms import router
from tests.bench.bench_webhooks import PATH, PUBLIC, MinimalServer, _load
from tests.fakes.twilio_server import AUTH_TOKEN, FakeTwilio

REPLIES = ("1", "1 体温36.6 一切正常", "好", "2 发烧 38.5", "3 买药", "ok")
TARGET_RATE = 0.25
TARGET_P99 = 3.0


class Longest:
    """The longest write transaction of the inbound worker (its lock held, commit included), from the pace it
    keeps (`sms.batch._Pace.took`)."""

    seconds = 0.0

    @staticmethod
    def watch() -> None:
        took = sms.batch._Pace.took

        def timed(pace: Any, messages: int, seconds: float) -> None:
            Longest.seconds = max(Longest.seconds, seconds)
            took(pace, messages, seconds)

        sms.batch._Pace.took = timed  # type: ignore[method-assign,assignment]


def _prepared(phones: list[str], prefix: str) -> list[tuple[dict[str, str], str]]:
    validator = RequestValidator(AUTH_TOKEN)
    prepared = []
    for i, phone in enumerate(phones):
        params = FakeTwilio.inbound_params(f"SM{prefix}{i:030d}", phone, REPLIES[i % len(REPLIES)])
        prepared.append((params, validator.compute_signature(PUBLIC + PATH, params)))
    return prepared


def _load_process(url: str, phones: list[str], prefix: str, concurrency: int, results: Any) -> None:
    prepared = _prepared(phones, prefix)
    results.put("ready")
    results.put(asyncio.run(_load(url, prepared, concurrency)))


def burst(url: str, phones: list[str], prefix: str, concurrency: int, until_understood: Any = None) -> dict[str, float]:
    """Post one reply per phone; the figures of the burst, and when `until_understood` is given, the seconds from
    the first post until it says every reply is understood."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_load_process, args=(url, phones, prefix, concurrency, results))
    process.start()
    assert results.get(timeout=600) == "ready"
    started = time.perf_counter()
    elapsed, latencies = results.get(timeout=600)
    process.join()
    figures = {"rate": len(phones) / elapsed, "p99": sorted(latencies)[int(len(latencies) * 0.99) - 1] * 1000}
    if until_understood is not None:
        while not until_understood():
            time.sleep(0.02)
        figures["understood"] = time.perf_counter() - started
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--in-process", action="store_true", help="the webhook server on a thread of this process")
    args = parser.parse_args()
    Longest.watch()
    with tempfile.TemporaryDirectory() as folder:
        db.connect(Path(folder) / "linli.sqlite3")
        generate_demo(args.residents, seed=7)
        start_round(settings=CheckinSettings())
        asked = Resident.select(Resident.phone).join(CheckinAsk, on=CheckinAsk.resident == Resident.id)
        phones = sorted({phone for (phone,) in asked.where(Resident.phone.is_null(False)).tuples() if phone})
        print(f"{len(phones):,} residents with a phone asked today")
        settings = Settings()
        settings.twilio.public_url = PUBLIC
        settings.twilio.auth_token = AUTH_TOKEN
        server: WebhookServer | WebhookProcess
        if args.in_process:
            server = WebhookServer(
                settings,
                receive=router.receive,
                process_pending=router.process_pending,
                record_status=outbox.record_status,
                host="127.0.0.1",
                port=0,
            )
        else:
            path = str(Path(folder) / "linli.sqlite3")
            server = WebhookProcess(settings, path, process_pending=router.process_pending, host="127.0.0.1", port=0)
        total = len(phones)

        def understood() -> bool:
            waiting = Message.select().where((Message.direction == "in") & (Message.status == "received"))
            return not waiting.exists() and Report.select().where(Report.message.is_null(False)).count() >= total

        with MinimalServer(Path(folder) / "minimal.sqlite3") as minimal, server:
            minimal_figures = burst(f"http://127.0.0.1:{minimal.port}{PATH}", phones, "m", args.concurrency)
            linli = burst(f"{server.url}{PATH}", phones, "l", args.concurrency, understood)
            worker = server.worker
            print(
                f"inbound worker: {worker.processed:,} messages in {worker.runs:,} passes, longest transaction "
                f"{Longest.seconds * 1000:.0f} ms"
            )
        db.close()
    understood_rate = total / linli["understood"]
    print(f"\n{total:,} signed replies, concurrency {args.concurrency}:")
    print(f"  minimal  {minimal_figures['rate']:8.0f} req/s  p99 {minimal_figures['p99']:7.2f} ms")
    print(
        f"  linli    {linli['rate']:8.0f} req/s  p99 {linli['p99']:7.2f} ms  all understood in "
        f"{linli['understood']:.2f} s = {understood_rate:.0f} replies/s"
    )
    rate = understood_rate / minimal_figures["rate"]
    p99 = linli["p99"] / minimal_figures["p99"]
    print(
        f"  understood {rate:.2f}x the minimal handler's rate (target >= {TARGET_RATE}x); "
        f"p99 {p99:.2f}x (target <= {TARGET_P99:g}x); webhook rate {linli['rate'] / minimal_figures['rate']:.2f}x"
    )


if __name__ == "__main__":
    main()
