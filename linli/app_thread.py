"""An aiohttp application on its own thread and event loop, so the terminal UI (or the CLI) never waits for it.

The webhook server and the district server both run this way; each says how to build its app and what to tell
the operator when its port is taken.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from types import TracebackType
from typing import TypeVar

from aiohttp import web

from kit import ui_words
from kit.errors import ConfigError

log = logging.getLogger(__name__)

Self = TypeVar("Self", bound="AppThread")


def _cannot_listen(words: str, host: str, port: int, reason: str) -> ConfigError:
    """The error of a server (its `words`: "webhooks", "district") that cannot listen on host:port."""
    return ConfigError(
        "gateway.cannot_listen",
        title=f"listener_{words}",
        what=ui_words.later(f"errors.gateway.listener.{words}"),
        host=host,
        port=port,
        reason=reason,
        advice=ui_words.later(f"errors.gateway.listener.{words}_advice"),
    )


class AppThread:
    """Start with `start()`, stop with `stop()`, or use it as a context manager. `port=0` picks a free port; `url`
    says where it listens once started."""

    what = "server"  # in the log's "webhook server listening at ..."
    thread_name = "linli-server"
    words = "server"  # what it is and what to do when its port is taken: [errors.gateway.listener], and the title
    # listener_<words> in [errors.title]

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.app: web.Application | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def build(self) -> web.Application:
        """The app to serve; called on the server's own thread."""
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self: Self) -> Self:
        if self._thread is not None:
            return self
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._serve, name=self.thread_name, daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            self._thread = None
            error = self._error
            if isinstance(error, OSError):
                raise _cannot_listen(self.words, self.host, self.port, str(error.strerror or error)) from error
            raise error
        log.info("%s listening at %s", self.what, self.url)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is None or self._loop is None or self._stop is None:
            return
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self: Self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        runner: web.AppRunner | None = None
        try:
            self._stop = asyncio.Event()
            self.app = self.build()
            runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, self.host, self.port)
            loop.run_until_complete(site.start())
            self.port = int(runner.addresses[0][1])
        except BaseException as error:
            self._error = error
            if runner is not None:
                loop.run_until_complete(runner.cleanup())
            loop.close()
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_until_complete(self._stop.wait())
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()
