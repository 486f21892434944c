"""An aiohttp app on 127.0.0.1 on its own thread and loop, on an ephemeral port unless one is given: the base of the
stand-ins for the Android app and the cloud SMS providers (android_app.py, tencent_sms.py, aliyun_sms.py). Gateways
call it synchronously from the test's thread."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from aiohttp import web


class LoopbackServer:
    """Subclasses implement `handle(request)`; every method and path reaches it."""

    thread_name = "fake-cloud-sms"

    def __init__(self, *, port: int = 0) -> None:
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"{self.thread_name} did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        assert self._stopping is not None
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)
        self._loop = None

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    async def handle(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", self.port)
        loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        self._ready.set()
        loop.run_until_complete(self._stopping.wait())
        loop.run_until_complete(runner.cleanup())
        loop.close()
