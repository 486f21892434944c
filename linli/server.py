"""The webhook server: one small aiohttp app for the providers' callbacks and a health check.

It runs in the same process as the Textual UI, so `WebhookServer` gives it its own thread and its own asyncio
loop; it never touches the UI's loop. The handlers' blocking database work runs on one database thread that
commits bursts of webhooks together (`DatabaseThread`), and inbound messages are parsed and acted on by the
inbound worker (its own thread too), woken after each stored message and on a slow timer, so a webhook is
answered as soon as the message is safely stored, and not before.

Channels add their routes through route adders: callables that take the app (and find what they need in
`app[sms.webhooks.CONTEXT]`). The SMS routes are added here; the voice routes come the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager as ContextManager
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, TypeVar

from aiohttp import web

from kit import db
from kit.busy import is_busy
from kit.config import Settings
from kit.landing import Landing
from kit.migrations import current_version
from kit.models import Message
from kit.twilio_rules import TwilioSignature
from linli.app_thread import AppThread
from sms.webhooks import (
    CONTEXT,
    Receive,
    RecordStatus,
    RunBlocking,
    SmsWebhooks,
    WebhookContext,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
RouteAdder = Callable[[web.Application], None]
PROCESS_EVERY_SECONDS = 60.0  # the slow timer: process leftovers (e.g. rows stored just before a crash)
POLL_SECONDS = 0.0005  # how often the webhooks' database thread asks again for a write lock another writer holds
LOCK_SECONDS = 10.0  # ... for this long at most (the busy timeout every other connection has)
MAX_BODY = 64 * 1024  # provider webhooks are small forms


class ProcessPending(Protocol):
    def __call__(self, limit: int | None = None) -> int: ...


def public_url(settings: Settings) -> str:
    """The base URL the providers reach this kit at: twilio.public_url, else $LINLI_PUBLIC_URL."""
    return settings.twilio.public_url or os.environ.get("LINLI_PUBLIC_URL", "")


class InboundWorker:
    """Runs `process_pending()` on its own thread after each wake-up (coalesced) and every `every` seconds."""

    def __init__(self, process_pending: ProcessPending, *, every: float = PROCESS_EVERY_SECONDS) -> None:
        self.process_pending = process_pending
        self.every = every
        self.runs = 0
        self.processed = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linli-inbound")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Ask for a pass soon. Safe from any thread."""
        loop, event = self._loop, self._event
        if loop is None or event is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
        else:
            loop.call_soon_threadsafe(event.set)

    async def context(self, app: web.Application) -> AsyncIterator[None]:
        """aiohttp cleanup context: start with the app (with a first pass for leftovers), stop with it."""
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._event.set()
        self._task = asyncio.create_task(self._run(), name="linli-inbound-worker")
        yield
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._loop.run_in_executor(self._executor, db.close)
        self._executor.shutdown(wait=True)

    async def _run(self) -> None:
        assert self._event is not None
        loop = asyncio.get_running_loop()
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._event.wait(), self.every)
            self._event.clear()
            try:
                count = await loop.run_in_executor(self._executor, self.process_pending)
            except Exception:
                log.exception("processing inbound messages failed; trying again at the next wake-up")
                continue
            self.runs += 1
            self.processed += int(count or 0)


class DatabaseThread:
    """The webhooks' database work, on one thread. Calls that arrive together share one transaction (group
    commit), so a burst of webhooks costs one commit instead of one per request. Every caller is answered only
    after the commit that made its work durable; if one call fails, the batch is rolled back and each call is
    run again on its own, so only the failing one fails."""

    def __init__(self, *, batch: int = 64, transaction: Callable[[], ContextManager[None]] | None = None) -> None:
        self.batch = batch
        self._begin = transaction  # another store's write transaction (kit.landing's); None: the database's
        self.commits = 0
        self.calls = 0
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    async def run(self, call: Callable[[], T]) -> T:
        if self._thread is None:
            raise RuntimeError("the webhook database thread is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(call, future, loop))
        return await future

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="linli-webhook-db", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    async def context(self, app: web.Application) -> AsyncIterator[None]:
        self.start()
        yield
        await asyncio.get_running_loop().run_in_executor(None, self.stop)

    def _serve(self) -> None:
        if self._begin is None and db.is_sqlite():  # this thread asks for the write lock itself (`_transaction`),
            db.database.execute_sql("PRAGMA busy_timeout = 0")  # never sleeping in SQLite's busy handler
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                jobs = [first]
                while len(jobs) < self.batch:
                    try:
                        job = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if job is None:
                        self._queue.put(None)  # finish this batch, then stop
                        break
                    jobs.append(job)
                self._run_together(jobs)
        finally:
            if self._begin is None:
                db.close()  # this thread's connection

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """A write transaction, begun as soon as the write lock is free: this thread asks again every `POLL_SECONDS`
        instead of sleeping in SQLite's busy handler, whose sleeps grow to 100 ms (a webhook would go on sleeping
        while the lock sat free, e.g. between two transactions of the inbound worker)."""
        if self._begin is not None:
            with self._begin():
                yield
            return
        deadline = time.monotonic() + LOCK_SECONDS
        while True:
            begun = ExitStack()
            try:
                begun.enter_context(db.transaction())
            except Exception as error:
                begun.close()
                if not is_busy(error) or time.monotonic() > deadline:
                    raise
                time.sleep(POLL_SECONDS)
                continue
            with begun:
                yield
            return

    def _run_together(self, jobs: list[_Job]) -> None:
        try:
            with self._transaction():
                outcomes = [(True, job.call()) for job in jobs]
        except Exception:
            # Something failed (rare): the whole batch was rolled back; run each call in its own transaction,
            # so only the failing one fails. The calls are database work, safe to run again after a rollback.
            outcomes = [self._alone(job) for job in jobs]
        self.commits += 1
        self.calls += len(jobs)
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for job, (ok, value) in zip(jobs, outcomes):
            by_loop.setdefault(job.loop, []).append((job.future, ok, value))
        for loop, settled in by_loop.items():  # one wake-up of each loop per batch, not one per call
            loop.call_soon_threadsafe(_settle_all, settled)

    def _alone(self, job: _Job) -> tuple[bool, Any]:
        try:
            with self._transaction():
                return True, job.call()
        except Exception as error:
            return False, error


@dataclass
class _Job:
    call: Callable[[], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


def _settle_all(settled: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in settled:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


WORKER = web.AppKey("linli.inbound_worker", InboundWorker)
DATABASE = web.AppKey("linli.webhook_database", DatabaseThread)


async def _healthz(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    try:
        figures = await context.run_blocking(_health_figures)
    except Exception as error:
        log.exception("health check failed")
        return web.json_response({"ok": False, "error": f"{type(error).__name__}: {error}"}, status=503)
    return web.json_response({"ok": True, **figures})


def _health_figures() -> dict[str, Any]:
    queued = Message.select().where((Message.direction == "out") & (Message.status == "queued")).count()
    return {"schema_version": current_version(db.database.obj), "queued": int(queued)}


def build_app(
    settings: Settings,
    *,
    receive: Receive,
    process_pending: ProcessPending,
    record_status: RecordStatus,
    extra_routes: Sequence[RouteAdder] = (),
    process_every: float = PROCESS_EVERY_SECONDS,
    status_grace: float | None = None,
    run_blocking: RunBlocking[Any] | None = None,
    landing: Landing | None = None,
) -> web.Application:
    """The webhook app: GET /healthz, Twilio's SMS routes, and whatever `extra_routes` add.

    `run_blocking` runs the handlers' database calls; by default a DatabaseThread (group commit). With a `landing`
    (the webhook process's, kit.landing), every provider's inbound message is stored there instead of through
    `receive`, by a DatabaseThread of its own, and everything else goes to the database as without it."""
    app = web.Application(client_max_size=MAX_BODY)
    worker = InboundWorker(process_pending, every=process_every)
    if run_blocking is None:
        database_thread = DatabaseThread()
        app[DATABASE] = database_thread
        app.cleanup_ctx.append(database_thread.context)
        run_blocking = database_thread.run
    stores: dict[str, Any] = {}
    if landing is not None:
        landing_thread = DatabaseThread(transaction=landing.transaction)
        app.cleanup_ctx.append(landing_thread.context)
        receive = landing.receive
        run_blocking = _landing_first(receive, landing_thread.run, run_blocking)
        stores = {"receive": receive, "record_status": record_status}
    context = WebhookContext(
        signature=TwilioSignature(public_url(settings), settings.twilio.auth_token),
        run_blocking=run_blocking,
        wake=worker.wake,
        **stores,
    )
    app[CONTEXT] = context
    app[WORKER] = worker
    app.router.add_get("/healthz", _healthz)
    options = {} if status_grace is None else {"status_grace": status_grace}
    SmsWebhooks(context, receive=receive, record_status=record_status, **options).add_to(app)
    for add_routes in extra_routes:
        add_routes(app)
    app.cleanup_ctx.append(worker.context)
    return app


def _landing_first(receive: Receive, landing: RunBlocking[Any], database: RunBlocking[Any]) -> RunBlocking[Any]:
    """A RunBlocking that runs the calls of `receive` (as every route makes them: `partial(receive, ...)`) with
    `landing`, and every other call with `database`."""

    async def run_blocking(call: Callable[[], T]) -> T:
        run = landing if isinstance(call, partial) and call.func == receive else database
        done: T = await run(call)
        return done

    return run_blocking


def sms_handlers() -> dict[str, Any]:
    """The production callables for build_app/WebhookServer: the SMS router and the outbox's status recorder."""
    from kit.outbox import record_status
    from sms import router

    return {"receive": router.receive, "process_pending": router.process_pending, "record_status": record_status}


class WebhookServer(AppThread):
    """The webhook app on its own thread and event loop. `port=0` picks a free port; `url` says where it is."""

    what = "webhook server"
    thread_name = "linli-webhooks"
    words = "webhooks"  # what it is and what to do when its port is taken: [errors.gateway.listener]

    def __init__(
        self,
        settings: Settings,
        *,
        receive: Receive,
        process_pending: ProcessPending,
        record_status: RecordStatus,
        extra_routes: Sequence[RouteAdder] = (),
        host: str | None = None,
        port: int | None = None,
        **app_options: Any,
    ) -> None:
        super().__init__(
            host if host is not None else settings.server.host, port if port is not None else settings.server.port
        )
        self.settings = settings
        self._app_arguments: dict[str, Any] = {
            "receive": receive,
            "process_pending": process_pending,
            "record_status": record_status,
            "extra_routes": extra_routes,
            **app_options,
        }

    def build(self) -> web.Application:
        return build_app(self.settings, **self._app_arguments)

    def wake(self) -> None:
        """Ask the inbound worker for a pass (e.g. after polling stored new messages). Safe from any thread."""
        if self.app is not None:
            self.app[WORKER].wake()

    @property
    def worker(self) -> InboundWorker:
        assert self.app is not None, "start() the server first"
        return self.app[WORKER]
