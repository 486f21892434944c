"""Benchmark: the nine o'clock burst. Every resident of a community asked today answers within seconds.

`linli serve`'s webhook server (the real WebhookServer with sms.router's receive and process_pending) runs on a
loopback port over a demo community of `--residents` residents, all asked in today's round. A separate process
posts one signed Twilio reply per resident as fast as the server answers (`--concurrency` connections, aiohttp's
client, signatures computed before timing), then the run waits until every reply is understood (its report
recorded). The minimal handler of `bench_webhooks` (signature check + one raw SQLite insert) takes the same load in
the same run.

Targets: the rate at which replies are understood (replies / time from the first post until the last report) >=
0.25x the minimal handler's request rate, and the webhook's p99 during the burst <= 3x the minimal handler's.
Printed, never asserted.

    python -m tests.bench.bench_burst [--residents 5000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from twilio.request_validator import RequestValidator

from kit import clock, db, outbox
from kit.checkin import start_round
from kit.config import CheckinSettings, Settings
from kit.demo import generate_demo
from kit.models import CheckinAsk, Message, Report, Resident
from linli.server import WebhookServer
from sms import router
from tests.bench.bench_webhooks import PATH, PUBLIC, MinimalServer, _load
from tests.fakes.twilio_server import AUTH_TOKEN, FakeTwilio

START = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai
REPLIES = ("1", "1 体温36.6 一切正常", "好", "2 发烧 38.5", "3 买药", "ok")
TARGET_RATE = 0.25
TARGET_P99 = 3.0


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
    args = parser.parse_args()
    previous = clock.use(clock.FixedClock(START))
    try:
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
            server = WebhookServer(
                settings,
                receive=router.receive,
                process_pending=router.process_pending,
                record_status=outbox.record_status,
                host="127.0.0.1",
                port=0,
            )
            total = len(phones)

            def understood() -> bool:
                waiting = Message.select().where((Message.direction == "in") & (Message.status == "received"))
                return not waiting.exists() and Report.select().where(Report.message.is_null(False)).count() >= total

            with MinimalServer(Path(folder) / "minimal.sqlite3") as minimal, server:
                minimal_figures = burst(f"http://127.0.0.1:{minimal.port}{PATH}", phones, "m", args.concurrency)
                linli = burst(f"{server.url}{PATH}", phones, "l", args.concurrency, understood)
                worker = server.worker
                print(f"inbound worker: {worker.processed:,} messages in {worker.runs:,} passes")
            db.close()
    finally:
        clock.use(previous)
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
