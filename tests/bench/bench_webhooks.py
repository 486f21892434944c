"""Benchmark: signed inbound SMS webhooks through Linli's /twilio/sms, against a minimal handler, in the same run.

The minimal handler is the least any correct webhook does: parse the form, check X-Twilio-Signature with twilio's
RequestValidator, insert one row with raw sqlite3 (WAL), answer an empty <Response/>. Linli's path is the real
WebhookServer (its own thread and loop) with sms.router.receive on a fresh database with a community. Both run in
this process on their own threads; the load generator (aiohttp client, bounded concurrency, distinct MessageSids,
signatures computed before timing) runs in a separate process so it does not compete for this one's GIL.
Targets: Linli's throughput >= 0.75x the minimal handler's, p99 latency <= 2x. Printed, never asserted.
A third server, "store", is Linli's webhook path with kit.outbox.record_inbound in place of the router's receive
(which also normalises the number against the community's region): it shows what the webhook itself costs.
Server CPU per request (this process's CPU time over the run) is steadier than rates on a busy machine.

    python -m tests.bench.bench_webhooks [--requests 4000] [--concurrency 32] [--rounds 3] [--process]

--process also runs the real sms.router.process_pending in the inbound worker while the load runs (by default a
stand-in that does nothing, so the figures are the webhook path's).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, TCPConnector, web
from twilio.request_validator import RequestValidator

from kit import db, outbox
from kit.community import init_community
from kit.config import Settings
from kit.models import Message
from linli.server import DATABASE, WebhookServer
from sms import router
from sms.webhooks import EMPTY_TWIML
from tests.fakes.twilio_server import AUTH_TOKEN, FakeTwilio

PUBLIC = "https://linli.example.org"
PATH = "/twilio/sms"


# --- the load generator (its own process) ----------------------------------------------------------------------


def _requests(prefix: str, count: int) -> list[tuple[dict[str, str], str]]:
    validator = RequestValidator(AUTH_TOKEN)
    prepared = []
    for i in range(count):
        params = FakeTwilio.inbound_params(f"SM{prefix}{i:030d}", f"+86138{i % 100000:08d}", "1 体温36.6 一切正常")
        prepared.append((params, validator.compute_signature(PUBLIC + PATH, params)))
    return prepared


async def _load(url: str, prepared: list[tuple[dict[str, str], str]], concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(prepared)
    async with ClientSession(connector=TCPConnector(limit=concurrency)) as session:

        async def client() -> None:
            for params, signature in queue:
                started = time.perf_counter()
                async with session.post(url, data=params, headers={"X-Twilio-Signature": signature}) as answer:
                    await answer.read()
                    if answer.status != 200:
                        raise RuntimeError(f"{url} answered {answer.status}")
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


def _load_process(url: str, prefix: str, count: int, concurrency: int, results: Any) -> None:
    prepared = _requests(prefix, count)
    results.put(asyncio.run(_load(url, prepared, concurrency)))


def run_load(url: str, prefix: str, count: int, concurrency: int) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_load_process, args=(url, prefix, count, concurrency, results))
    process.start()
    elapsed, latencies = results.get(timeout=600)
    process.join()
    latencies.sort()
    return {
        "rate": count / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


# --- the minimal handler ---------------------------------------------------------------------------------------


class MinimalServer:
    """Validate the signature, insert one row with raw sqlite3, answer empty TwiML: on its own thread and loop."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=wal")
        self.connection.execute("PRAGMA synchronous=normal")
        self.connection.execute("CREATE TABLE inbox (id INTEGER PRIMARY KEY, sid TEXT UNIQUE, peer TEXT, body TEXT)")
        self.validator = RequestValidator(AUTH_TOKEN)
        self.port = 0
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)

    async def inbound(self, request: web.Request) -> web.Response:
        form = await request.post()
        if not self.validator.validate(PUBLIC + request.raw_path, form, request.headers.get("X-Twilio-Signature", "")):
            return web.Response(status=403)
        self.connection.execute(
            "INSERT INTO inbox (sid, peer, body) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (form["MessageSid"], form["From"], form["Body"]),
        )
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._stop = asyncio.Event()
        app = web.Application()
        app.router.add_post(PATH, self.inbound)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        self._ready.set()
        loop.run_until_complete(self._stop.wait())
        loop.run_until_complete(runner.cleanup())
        loop.close()

    def __enter__(self) -> MinimalServer:
        self._thread.start()
        self._ready.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()
        self.connection.close()


# --- the run ----------------------------------------------------------------------------------------------------


def _nothing(limit: int | None = None) -> int:
    return 0


def _store_only(
    gateway: str, provider_id: str, peer: str, body: str, *, at: datetime | None = None
) -> tuple[Message, bool]:
    return outbox.record_inbound(gateway=gateway, provider_id=provider_id, peer=peer, body=body, at=at)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--process", action="store_true", help="run the real router's process_pending too")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        db.connect(Path(folder) / "linli.sqlite3")
        init_community("幸福里社区", "CN", "Asia/Shanghai", ["zh", "en"], actor="bench")
        settings = Settings()
        settings.twilio.public_url = PUBLIC
        settings.twilio.auth_token = AUTH_TOKEN
        process: Callable[..., int] = router.process_pending if args.process else _nothing
        common: dict[str, Any] = {"record_status": outbox.record_status, "host": "127.0.0.1", "port": 0}
        linli = WebhookServer(settings, receive=router.receive, process_pending=process, **common)
        store = WebhookServer(settings, receive=_store_only, process_pending=_nothing, **common)
        with MinimalServer(Path(folder) / "minimal.sqlite3") as minimal, linli, store:
            targets = {
                "minimal": f"http://127.0.0.1:{minimal.port}{PATH}",
                "linli": f"{linli.url}{PATH}",
                "store": f"{store.url}{PATH}",  # Linli's webhook path with the outbox's record_inbound alone
            }
            for name, url in targets.items():  # warm up (connections, caches, page cache)
                run_load(url, f"w{name[0]}", 300, args.concurrency)
            figures: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
            for round_number in range(args.rounds):
                for name, url in targets.items():
                    cpu = time.process_time()  # this process runs only the servers; the load is elsewhere
                    result = run_load(url, f"{round_number}{name[0]}", args.requests, args.concurrency)
                    result["cpu"] = (time.process_time() - cpu) / args.requests * 1000
                    figures[name].append(result)
                    print(
                        f"round {round_number + 1} {name:8s} {result['rate']:8.0f} req/s  p50 {result['p50']:6.2f} ms"
                        f"  p99 {result['p99']:6.2f} ms  server CPU {result['cpu']:.3f} ms/request"
                    )
            batches = linli.app[DATABASE] if linli.app is not None else None
        db.close()

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in figures[name])

    print(f"\n{args.requests} signed inbound webhooks x {args.rounds} rounds, concurrency {args.concurrency}; medians:")
    for name in figures:
        print(
            f"  {name:8s} {median(name, 'rate'):8.0f} req/s  p50 {median(name, 'p50'):6.2f} ms  "
            f"p99 {median(name, 'p99'):6.2f} ms  server CPU {median(name, 'cpu'):.3f} ms/request"
        )
    for name in ("linli", "store"):
        rate = median(name, "rate") / median("minimal", "rate")
        p99 = median(name, "p99") / median("minimal", "p99")
        cpu = median("minimal", "cpu") / median(name, "cpu")
        print(
            f"  {name}: throughput {rate:.2f}x (target >= 0.75x), p99 {p99:.2f}x (target <= 2x), "
            f"CPU efficiency {cpu:.2f}x"
        )
    if batches is not None:
        print(f"  linli's database thread: {batches.calls} calls in {batches.commits} commits")


if __name__ == "__main__":
    main()
