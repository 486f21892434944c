"""The district's server: communities push their day's figures to it (`POST /api/v1/figures`).

`linli district serve` runs it on the district's database (PostgreSQL in production); `DistrictServer` runs the
same app on its own thread and loop (tests, and anyone embedding it).

Decisions:
- The handler only reads the request; checking and storing is `kit.district.receive_push`, run on one database
  thread so the event loop never waits for the database and SQLite sees one writer. A district of 50 communities
  receives a few pushes a minute at most.
- 401 (with `WWW-Authenticate: Bearer`) for a missing, wrong or revoked token; 422 for a body that is not the
  day's counts; 413 for a body over 256 kB (a day of a 500-grid community is about 100 kB). The answer is JSON:
  `{"error": ...}` or the receipt. The error is in English whatever `district.language` is: a program reads it
  (and `linli report push` shows it as the district's reason), so it stays the same words from one district to the
  next.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from kit import db
from kit.config import DistrictSettings
from kit.district import PushRefused, TokenRefused, receive_push
from linli.app_thread import AppThread

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
            return web.json_response({"error": error.text("en")}, status=401, headers={"WWW-Authenticate": "Bearer"})
        except PushRefused as error:
            return web.json_response({"error": error.text("en")}, status=422)
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


class DistrictServer(AppThread):
    """The district's app on its own thread and event loop. `port=0` picks a free port; `url` says where it is."""

    what = "district server"
    thread_name = "linli-district"
    words = "district"  # what it is and what to do when its port is taken: [errors.gateway.listener]

    def __init__(self, settings: DistrictSettings, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.settings = settings

    def build(self) -> web.Application:
        return build_district_app(self.settings)
