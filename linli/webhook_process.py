"""The webhook server in a process of its own, beside the kit that understands what it stores.

`webhook_server` is what the runtime (`linli serve`, and the operators' UI when a real gateway needs webhooks) runs.
On a SQLite file with the configured gateways it is a `WebhookProcess`: the webhook server (`linli.server`) in a
child process that authenticates, stores and answers, and, in this process, the inbound worker (`InboundThread`)
that moves what the child stored into the database and understands it, woken through a pipe each time the child
stored messages. Otherwise (PostgreSQL,
an in-memory database, gateways handed in by a test) it is the webhook server on a thread of this process.

Decisions
- Why a process: the webhook and the understanding of replies are both Python, and one process runs Python on
  one core at a time. Measured on 2 cores with 5,000 replies at once (tests/bench/bench_burst.py), understanding
  them on the webhook's own process took the interpreter from its event loop for long stretches and the webhook's
  99th percentile went far past the minimal handler's; in a process of its own the webhook keeps a core.
- Why a landing: the child stores inbound messages in a file of their own (kit.landing), not in the database,
  so it never waits for the worker's write transactions; the worker moves them in before each pass
  (`sms.batch.take_landed`). Everything else the child writes (status callbacks, the voice menus) goes to the
  database, as on a thread.
- One command, stopped together: the child is started and stopped by this process, and exits by itself when this
  process is gone (its end of the pipe closes). It ignores Ctrl-C, which reaches the whole terminal: this process
  stops it, in order.
- The child opens the same file (without migrating: this process has) and builds its gateways from the same
  settings, so it mounts the same routes the thread would.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from kit import db, ui_words
from kit.config import Settings
from kit.errors import ConfigError, LinliError
from kit.landing import Landing, landing_path
from linli.server import PROCESS_EVERY_SECONDS, ProcessPending, RouteAdder, WebhookServer, sms_handlers
from sms.batch import take_landed

log = logging.getLogger(__name__)

START_SECONDS = 60.0  # a child that has not said where it listens by then is stopped
STOP_SECONDS = 10.0  # ... and one that has not stopped by then after being asked is terminated


def webhook_routes(settings: Settings, gateways: Any) -> list[RouteAdder]:
    """The routes beside Twilio's SMS: the voice menus and each provider module's own."""
    from ivr.webhooks import add_voice_routes
    from linli.gateways import provider_routes

    def voice_routes(app: Any) -> None:
        add_voice_routes(app, settings.twilio)

    return [voice_routes, *provider_routes(gateways)]


def webhook_server(
    settings: Settings, gateways: Any, *, host: str | None, port: int | None, own_process: bool
) -> WebhookServer | WebhookProcess:
    """The webhook server to run: a `WebhookProcess` when `own_process` and the database is a SQLite file, else a
    `WebhookServer` on a thread of this process."""
    path = db.current_path()
    if own_process and path is not None:
        from sms.router import process_pending

        return WebhookProcess(settings, path, process_pending=process_pending, host=host, port=port)
    routes = webhook_routes(settings, gateways)
    return WebhookServer(settings, **sms_handlers(), extra_routes=routes, host=host, port=port)


class InboundThread:
    """Runs `process_pending()` on its own thread after each wake-up (coalesced) and every `every` seconds."""

    def __init__(self, process_pending: ProcessPending, *, every: float = PROCESS_EVERY_SECONDS) -> None:
        self.process_pending = process_pending
        self.every = every
        self.runs = 0
        self.processed = 0
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._wake.set()  # a first pass for what was left from before
        self._thread = threading.Thread(target=self._run, name="linli-inbound", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Ask for a pass soon. Safe from any thread."""
        self._wake.set()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._wake.set()
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        try:
            while True:
                self._wake.wait(self.every)
                if self._stopping.is_set():
                    return
                self._wake.clear()
                try:
                    count = self.process_pending()
                except Exception:
                    log.exception("processing inbound messages failed; trying again at the next wake-up")
                    continue
                self.runs += 1
                self.processed += int(count or 0)
        finally:
            db.close()  # this thread's connection


class WebhookProcess:
    """The webhook server in a child process on the SQLite file `database`, and the inbound worker here. `start()`,
    `stop()`, `wake()` and `url` as `WebhookServer`'s; `port=0` picks a free port."""

    what = "webhook server"
    words = "webhooks"  # as WebhookServer's (linli.app_thread)

    def __init__(
        self,
        settings: Settings,
        database: str,
        *,
        process_pending: ProcessPending,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.host = host if host is not None else settings.server.host
        self.port = port if port is not None else settings.server.port
        self.process_pending = process_pending
        self.worker = InboundThread(self._take_then_process)
        self._landing: Landing | None = None  # the worker's connection to the child's landing
        self.process: Any = None  # multiprocessing's SpawnProcess
        self._to_child: Connection | None = None
        self._from_child: Connection | None = None
        self._listener: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> WebhookProcess:
        if self.process is not None:
            return self
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or locks copied
        stop_here, stop_there = context.Pipe(duplex=False)
        told_here, told_there = context.Pipe(duplex=False)
        level = logging.getLogger().getEffectiveLevel()
        language = ui_words.current()  # the child speaks the reader's language too (an error it passes on)
        arguments = (stop_here, told_there, self.database, self.settings, self.host, self.port, level, language)
        self.process = context.Process(target=serve_in_child, args=arguments, name="linli-webhooks", daemon=True)
        self.process.start()
        stop_here.close()
        told_there.close()
        self._to_child, self._from_child = stop_there, told_here
        said = self._first_word(told_here)
        if said[0] != "listening":
            self.stop()
            raise ConfigError.said(said[2], title=said[1])
        self.port = int(said[1])
        self.worker.start()
        self._listener = threading.Thread(target=self._listen, name="linli-webhooks-told", daemon=True)
        self._listener.start()
        log.info("%s listening at %s (process %s)", self.what, self.url, self.process.pid)
        return self

    def _first_word(self, told: Connection) -> tuple[Any, ...]:
        """What the child says first, besides waking the worker: ("listening", port), or ("failed", title, message)."""
        failed = ("failed", ui_words.say(f"errors.title.listener_{self.words}"))
        what = ui_words.say(f"errors.gateway.listener.{self.words}")
        try:
            while told.poll(START_SECONDS):
                said: tuple[Any, ...] = told.recv()
                if said != ("wake",):  # its first pass, for what was left from before: the worker makes its own
                    return said
        except (EOFError, OSError):
            return (*failed, ui_words.say("errors.gateway.child_ended", what=what))
        return (*failed, ui_words.say("errors.gateway.child_silent", what=what, seconds=f"{START_SECONDS:g}"))

    def wake(self) -> None:
        """Ask the inbound worker for a pass (e.g. after polling stored new messages). Safe from any thread."""
        self.worker.wake()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        if self.process is None:
            return
        if self._to_child is not None:
            with contextlib.suppress(OSError):  # the child is gone already
                self._to_child.send("stop")
        self.process.join(timeout)
        if self.process.is_alive():
            log.warning("the webhook process did not stop in %s s; terminating it", timeout)
            self.process.terminate()
            self.process.join(timeout)
        for connection in (self._to_child, self._from_child):
            if connection is not None:
                connection.close()
        if self._listener is not None:
            self._listener.join(timeout)
        self.worker.stop(timeout)
        if self._landing is not None:
            self._landing.close()
        self.process = self._to_child = self._from_child = self._listener = self._landing = None

    def _take_then_process(self, limit: int | None = None) -> int:
        """The inbound worker's pass: move what the child landed into the database, then act on what waits."""
        if self._landing is None:
            self._landing = Landing(landing_path(self.database))
        take_landed(self._landing)
        return self.process_pending(limit)

    def __enter__(self) -> WebhookProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _listen(self) -> None:
        """Wake the inbound worker each time the child says it stored messages, until the child is gone."""
        connection = self._from_child
        while connection is not None:
            try:
                said = connection.recv()
            except (EOFError, OSError):
                return
            if said == ("wake",):
                self.worker.wake()


def serve_in_child(
    stop: Connection,
    tell: Connection,
    database: str,
    settings: Settings,
    host: str,
    port: int,
    level: int = logging.WARNING,
    language: str = ui_words.FALLBACK,
) -> None:
    """The child's whole life: serve the webhooks on `database` until told to stop (or the parent is gone). An error
    is told to the parent in its words, in the parent's `language`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops this process in order
    ui_words.use_language(language)
    from linli.gateways import build_gateways
    from linli.logs import configure_logging

    configure_logging(level)
    saying = threading.Lock()

    def say(*what: object) -> None:
        with saying:
            tell.send(what)

    def stored(limit: int | None = None) -> int:  # the server's inbound pass: the parent acts on what was stored
        say("wake")
        return 0

    db.connect(database, migrate=False)
    landing = Landing(landing_path(database))
    try:
        handlers: dict[str, Any] = {**sms_handlers(), "process_pending": stored}
        routes: Sequence[Callable[[Any], None]] = webhook_routes(settings, build_gateways(settings))
        server = WebhookServer(settings, **handlers, extra_routes=routes, host=host, port=port, landing=landing)
        try:
            server.start()
        except LinliError as error:
            say("failed", error.title, str(error))
            return
        try:
            say("listening", server.port)
            with contextlib.suppress(EOFError):  # EOF: the parent is gone, stop too
                stop.recv()
        finally:
            server.stop()
    finally:
        landing.close()
        db.close()
