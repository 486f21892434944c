"""The district's server: communities push their day's figures to it (`POST /api/v1/figures`).

`linli district serve` runs it on the district's database (PostgreSQL in production); `DistrictServer` runs the
same app on its own thread and loop (tests, and anyone embedding it).

Decisions:
- The handler only reads the request; checking and storing is `kit.district.receive_push`, run on one database
  thread so the event loop never waits for the database and SQLite sees one writer. A district of 50 communities
  receives a few pushes a minute at most.
- 401 (with `WWW-Authenticate: Bearer`) for a missing, wrong or revoked token; 422 for a body that is not the
  day's counts; 413 for a body over 256 kB (a day of a 500-grid community is about 100 kB). The answer is JSON:
  `{"error": ...}` or the receipt.
"""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from kit import db
from kit.config import DistrictSettings
from kit.district import PushRefused, TokenRefused, receive_push
from kit.errors import ConfigError

MAX_BODY = 256 * 1024
ENDPOINT = "/api/v1/figures"
EXECUTOR = web.AppKey("linli.district_executor", ThreadPoolExecutor)


def bearer_token(header: str | None) -> str | None:
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def build_district_app(settings: DistrictSettings) -> web.Application:
    """The district's app: POST /api/v1/figures, GET /healthz."""
    app = web.Application(client_max_size=MAX_BODY)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linli-district-db")
    app[EXECUTOR] = executor

    async def receive(request: web.Request) -> web.Response:
        token = bearer_token(request.headers.get("Authorization"))
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            message = f"The body is over {MAX_BODY // 1024} kB: one day of one community's counts is far smaller."
            return web.json_response({"error": message}, status=413)
        loop = asyncio.get_running_loop()
        try:
            receipt = await loop.run_in_executor(
                executor, lambda: receive_push(token, raw, max_age_days=settings.max_age_days)
            )
        except TokenRefused as error:
            return web.json_response({"error": error.message}, status=401, headers={"WWW-Authenticate": "Bearer"})
        except PushRefused as error:
            return web.json_response({"error": error.message}, status=422)
        return web.json_response(receipt.as_dict(), dumps=_dumps)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def close_database(app: web.Application) -> None:
        await asyncio.get_running_loop().run_in_executor(executor, db.close)  # that thread's connection
        executor.shutdown(wait=True)

    app.router.add_post(ENDPOINT, receive)
    app.router.add_get("/healthz", healthz)
    app.on_cleanup.append(close_database)
    return app


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class DistrictServer:
    """The district's app on its own thread and event loop. `port=0` picks a free port; `url` says where it is."""

    def __init__(self, settings: DistrictSettings, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.settings = settings
        self.host = host
        self.port = port
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> DistrictServer:
        self._thread = threading.Thread(target=self._serve, name="linli-district", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise ConfigError(
                f"The district server cannot listen on {self.host}:{self.port}: {self._error}. "
                "Choose another --port (or stop whatever uses it).",
                title="District server did not start",
            )
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None or self._stop is None:
            return
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()
        self._thread = None

    def __enter__(self) -> DistrictServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        runner = web.AppRunner(build_district_app(self.settings), handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
            self.port = int(runner.addresses[0][1])
        except OSError as error:
            self._error = error
            self._ready.set()
            await runner.cleanup()
            return
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()
