"""Real Kannel for the tests: bearerbox, smsbox and fakesmsc (Debian's kannel and kannel-extras) on free loopback
ports, with a kannel.conf written into the test's directory.

`KannelRig` starts bearerbox and smsbox; `phone()` connects one fakesmsc in its interactive mode (the fake SMSC
serves one connection at a time): `inject` types the phones' messages into it, and it prints every message Kannel
sends it, which `received` decodes. Everything waits by polling with a deadline; every process is stopped by its PID.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import pytest
from aiohttp import web

from kit import outbox
from kit.config import Settings
from linli.server import ProcessPending, WebhookServer
from sms import router
from sms.gateways import kannel
from sms.webhooks import CONTEXT, Receive, RecordStatus, RunBlocking

BEARERBOX = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
SMSBOX = shutil.which("smsbox") or "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
DEADLINE = 60.0  # seconds: generous, the machine may be busy
ADMIN_PASSWORD = "rig-admin-password"
SENDSMS_USER, SENDSMS_PASSWORD = "linli", "rig-sendsms-password"


@dataclass
class Context:
    """The server's context with the SMS handlers the kannel routes store through."""

    run_blocking: RunBlocking[Any]
    wake: Callable[[], None]
    receive: Receive
    record_status: RecordStatus


def linli_server(
    settings: Settings,
    gateway: kannel.KannelGateway,
    *,
    process_pending: ProcessPending = router.process_pending,
    report_grace: float | None = None,
) -> WebhookServer:
    """Linli's real webhook server on loopback (settings.server.port; 0 picks one) with the gateway's routes.

    `report_grace`: how long a delivery report for an id not in the outbox is looked up again. None mounts the routes
    as Linli does, with their own grace (sms.webhooks.STATUS_GRACE_SECONDS, for a report that beats the dispatcher's
    commit); a test where no dispatcher races a report gives less, or each unknown id would cost it the whole grace."""

    def add_routes(app: web.Application) -> None:
        base = app[CONTEXT]
        context = Context(base.run_blocking, base.wake, router.receive, outbox.record_status)
        kannel.mount(app, gateway, context, grace=report_grace)

    return WebhookServer(
        settings,
        receive=router.receive,
        process_pending=process_pending,
        record_status=outbox.record_status,
        extra_routes=[add_routes],
        host="127.0.0.1",
    )


def installed() -> bool:
    return all(os.access(path, os.X_OK) for path in (BEARERBOX, SMSBOX, FAKESMSC))


def require_kannel() -> None:
    """Skip without Kannel, except in CI (CI=true), where its absence is a failure."""
    if installed():
        return
    why = "Kannel is not installed: run tests/system-packages.sh (as root) to install kannel and kannel-extras"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(why)
    pytest.skip(why)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(what: str, check: Callable[[], object], deadline: float = DEADLINE) -> object:
    """Poll `check` until it returns something true; fail naming `what` after `deadline` seconds."""
    end = time.monotonic() + deadline
    pause = 0.02
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline:.0f} s waiting for {what}")
        time.sleep(pause)  # polling with a deadline, not waiting for a fixed time
        pause = min(pause * 2, 0.25)


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def ucs2(text: str) -> str:
    """fakesmsc's `ucs2` data: URL-encoded UTF-16BE."""
    return quote(text.encode("utf-16-be"), safe="")


@dataclass(frozen=True)
class Received:
    """One message Kannel handed to the fake SMSC (a phone's side)."""

    sender: str
    receiver: str
    coding: str  # text, ucs-2, ...
    text: str


def parse_got(line: str) -> Received | None:
    """fakesmsc's `Got message N: <FROM TO TYPE DATA>` line, decoded (UCS-2 data is form-encoded UTF-16BE, a
    space as '+'); None for its other lines."""
    _, marker, rest = line.partition("Got message ")
    if not marker:
        return None
    fields = rest.partition(": ")[2].strip().removeprefix("<").removesuffix(">").split(" ", 3)
    if len(fields) < 4:
        return None
    sender, receiver, coding, data = fields
    text = unquote_to_bytes(data.replace("+", " ")).decode("utf-16-be") if coding.startswith("ucs") else data
    return Received(sender, receiver, coding, text)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    seen: threading.Condition = field(default_factory=threading.Condition)

    def read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            with self.seen:
                self.lines.append(line.rstrip("\n"))
                self.seen.notify_all()

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=15)


class KannelRig:
    """bearerbox + smsbox with a catch-all sms-service calling `get_url`, and a fakesmsc as the phones' side."""

    def __init__(self, directory: Path, get_url: str) -> None:
        self.directory = directory
        self.admin_port, self.smsbox_port, self.sendsms_port, self.smsc_port = (free_port() for _ in range(4))
        self.config = directory / "kannel.conf"
        self.config.write_text(self._config(get_url), encoding="utf-8")
        self.processes: list[Process] = []
        self.phone_process: Process | None = None
        self.injected = 0

    @property
    def send_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def _config(self, get_url: str) -> str:
        log = self.directory
        return f"""
group = core
admin-port = {self.admin_port}
admin-password = {ADMIN_PASSWORD}
admin-interface = 127.0.0.1
admin-allow-ip = 127.0.0.1
smsbox-port = {self.smsbox_port}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
dlr-storage = internal
log-file = "{log}/bearerbox.log"
log-level = 1

group = smsc
smsc = fake
smsc-id = fake
host = 127.0.0.1
port = {self.smsc_port}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.smsbox_port}
sendsms-port = {self.sendsms_port}
sendsms-interface = 127.0.0.1
mo-recode = true
log-file = "{log}/smsbox.log"
log-level = 1

group = sendsms-user
username = {SENDSMS_USER}
password = {SENDSMS_PASSWORD}

group = sms-service
keyword = default
catch-all = true
omit-empty = true
max-messages = 0
get-url = "{get_url}"
"""

    def _spawn(self, name: str, *arguments: str, stdin: int = subprocess.DEVNULL) -> Process:
        popen = subprocess.Popen(
            list(arguments),
            cwd=self.directory,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        process = Process(name, popen)
        threading.Thread(target=process.read, name=f"kannel-{name}", daemon=True).start()
        self.processes.append(process)
        return process

    def _died(self, process: Process) -> bool:
        """False while `process` runs (so `wait_for` goes on polling); fails the test with its output if it died."""
        if process.popen.poll() is not None:
            tail = "\n".join(process.lines[-20:])
            raise AssertionError(f"{process.name} exited with {process.popen.returncode}:\n{tail}")
        return False

    def start(self) -> KannelRig:
        bearerbox = self._spawn("bearerbox", BEARERBOX, str(self.config))
        wait_for("bearerbox's admin port", lambda: self._died(bearerbox) or port_open(self.admin_port))
        self.smsbox = self._spawn("smsbox", SMSBOX, str(self.config))
        wait_for("smsbox's sendsms port", lambda: self._died(self.smsbox) or port_open(self.sendsms_port))
        return self

    def status(self) -> str:
        url = f"http://127.0.0.1:{self.admin_port}/status.txt?password={ADMIN_PASSWORD}"
        try:
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=5) as response:
                return str(response.read().decode("utf-8", "replace"))
        except OSError:
            return ""

    def phone(self) -> Process:
        """Connect one fakesmsc in its interactive mode: `inject` types messages into it, and it prints every
        message Kannel sends it (read back with `received`)."""
        arguments = [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.smsc_port), "-i", "0.1"]
        process = self._spawn("fakesmsc", *arguments, stdin=subprocess.PIPE)
        self.phone_process = process
        wait_for("fakesmsc to connect", lambda: self._died(process) or "online" in self._smsc_line())
        return process

    def inject(self, sender: str, receiver: str, text: str) -> None:
        """A phone sends `text`: as UCS-2 when it is not plain ASCII, as fakesmsc's `text` otherwise."""
        process = self.phone_process
        assert process is not None and process.popen.stdin is not None, "connect a phone first"
        kind, data = ("text", text) if text.isascii() else ("ucs2", ucs2(text))
        process.popen.stdin.write(f"{sender} {receiver} {kind} {data}\n")
        process.popen.stdin.flush()
        self.injected += 1
        sent = f"fakesmsc: sent message {self.injected}"  # it takes one line per read: one at a time
        wait_for(f"fakesmsc to send message {self.injected}", lambda: any(sent in line for line in process.lines))

    def _smsc_line(self) -> str:
        return next((line for line in self.status().splitlines() if "fake" in line and "FAKE" in line), "")

    def received(self, count: int, deadline: float = DEADLINE) -> list[Received]:
        """Wait until the connected phone has got `count` messages; return them in order."""
        process = self.phone_process
        assert process is not None, "connect a phone first"

        def got() -> list[Received]:
            with process.seen:
                found = [parse_got(line) for line in process.lines]
            return [message for message in found if message is not None]

        wait_for(f"{count} message(s) at the fake SMSC", lambda: len(got()) >= count, deadline)
        return got()

    def stop_smsbox(self) -> None:
        self.smsbox.stop()

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()


@contextlib.contextmanager
def running_kannel(directory: Path, get_url: str) -> Iterator[KannelRig]:
    require_kannel()
    rig = KannelRig(directory, get_url)
    try:
        yield rig.start()
    finally:
        rig.stop()
