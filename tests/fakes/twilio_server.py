"""A fake Twilio REST API on 127.0.0.1 for tests: the parts of the Messages resource Linli uses.

Runs an aiohttp app on its own thread and loop, on an ephemeral port. It checks basic auth, accepts
POST .../Accounts/{sid}/Messages.json (answering 201 with a message resource as Twilio does) and lists messages
with the To/From/DateSent filters and the paging fields twilio-python follows. Tests can make it fail the next
requests, drop a connection after accepting a message, or hold an answer until they say so (to kill a dispatcher
between the provider taking a message and the dispatcher recording it). It signs webhooks as Twilio does, and it can
append every accepted message to a JSON-lines file so another process can count them.

Any path prefix before /2010-04-01/ is accepted and recorded, so a custom api_base with a path can be checked.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from aiohttp import web
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "f" * 32
AUTH_TOKEN = "fake-auth-token-0123456789abcdef"
OUR_NUMBER = "+15005550006"
_MESSAGES = re.compile(r"^(?P<prefix>.*?)/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")


@dataclass
class Failure:
    status: int
    code: int | None = None
    message: str = ""
    drop_after_accepting: bool = False  # take the message, then close the connection without an answer


def rfc2822(at: datetime | None) -> str | None:
    return None if at is None else format_datetime(at.astimezone(timezone.utc))


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class FakeTwilio:
    def __init__(
        self,
        *,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        number: str = OUR_NUMBER,
        journal: Path | None = None,
        clock: Callable[[], datetime] = utc_now,
        send_at_once: bool = True,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.number = number
        self.journal = journal
        self.clock = clock  # aware UTC; tests pass the kit's fixed clock
        self.send_at_once = send_at_once  # False: created messages stay queued with no date_sent, as real ones can
        self.records: list[dict[str, Any]] = []  # every message, newest last (outbound and inbound)
        self.requests: list[tuple[str, str]] = []  # (method, path) as received
        self.created = 0  # messages accepted through the API
        self.listed = 0  # list (GET) requests answered
        self.condition = threading.Condition()
        self._failures: list[Failure] = []
        self._hold_at: int | None = None
        self._hold_before_accepting = False
        self.held = threading.Event()  # set when the held request has been taken and is waiting
        self.held_sid = ""  # the message whose answer is (or was) held back
        self._release: asyncio.Event | None = None  # the held request waits on this (one per hold)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._journal_lock = threading.Lock()
        self.port = 0

    # --- lifecycle ----------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeTwilio:
        self._thread = threading.Thread(target=self._run, name="fake-twilio", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake Twilio server did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self.release()
        assert self._stopping is not None
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)
        self._loop = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        self.port = self._runner.addresses[0][1]
        self._ready.set()
        loop.run_until_complete(self._stopping.wait())
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    # --- what tests tell it -------------------------------------------------------------------------------------

    def fail_next(
        self, count: int, status: int = 500, *, code: int | None = None, message: str = "", drop: bool = False
    ) -> None:
        """Answer the next `count` message requests (create or list) with this error instead."""
        with self.condition:
            self._failures.extend(Failure(status, code, message, drop) for _ in range(count))

    def hold(self, nth: int, *, before_accepting: bool = False) -> None:
        """Hold the `nth` message create from now (1 = the next) until `release()`: after taking the message (the
        sender never learns its sid), or with `before_accepting`, before taking it (it is then never taken)."""
        with self.condition:
            self._hold_at = self.created + nth
            self._hold_before_accepting = before_accepting
            self.held.clear()
            self.held_sid = ""

    def release(self) -> None:
        event, loop = self._release, self._loop
        if event is not None and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Wait (on the condition every accepted message notifies) until `predicate()` holds."""
        with self.condition:
            return self.condition.wait_for(predicate, timeout)

    def wait_for_count(self, count: int, timeout: float = 10.0) -> bool:
        return self.wait_for(lambda: self.created >= count, timeout)

    def notify(self) -> None:
        """Wake whoever waits in wait_for (e.g. a watcher that saw a process end)."""
        with self.condition:
            self.condition.notify_all()

    def sent(self) -> list[dict[str, Any]]:
        """The outbound messages accepted so far (copies)."""
        with self.condition:
            return [dict(r) for r in self.records if r["direction"].startswith("outbound")]

    def add_inbound(self, from_: str, body: str, *, to: str | None = None, at: datetime | None = None) -> str:
        """A message a resident sent to our number, as the API will list it."""
        at = at or self.clock()
        record = self._record(to=to or self.number, from_=from_, body=body, direction="inbound", at=at)
        record["status"] = "received"
        record["date_sent"] = rfc2822(at)
        with self.condition:
            self.records.append(record)
            self.condition.notify_all()
        return str(record["sid"])

    def add_outbound(self, to: str, body: str, *, at: datetime | None = None) -> str:
        """A message that went out from this account some other way (an older one, another app)."""
        at = at or self.clock()
        record = self._record(to=to, from_=self.number, body=body, direction="outbound-api", at=at)
        record["status"] = "delivered"
        record["date_sent"] = rfc2822(at)
        with self.condition:
            self.records.append(record)
        return str(record["sid"])

    def set_status(self, sid: str, status: str, *, sent_at: datetime | None = None) -> None:
        with self.condition:
            for record in self.records:
                if record["sid"] == sid:
                    record["status"] = status
                    if sent_at is not None:
                        record["date_sent"] = rfc2822(sent_at)

    # --- webhooks, signed as Twilio signs them ------------------------------------------------------------------

    def signature(self, url: str, params: Mapping[str, str], token: str | None = None) -> str:
        return str(RequestValidator(token or self.auth_token).compute_signature(url, dict(params)))

    def post_signed(
        self,
        url: str,
        params: Mapping[str, str],
        *,
        signed_url: str | None = None,
        token: str | None = None,
        signature: str | None = None,
    ) -> requests.Response:
        """POST a form to `url`, signed for `signed_url` (the public URL Twilio would have used; default `url`)."""
        header = signature if signature is not None else self.signature(signed_url or url, params, token)
        return requests.post(url, data=dict(params), headers={"X-Twilio-Signature": header}, timeout=10)

    def status_params(self, sid: str, status: str, *, error_code: str = "", **extra: str) -> dict[str, str]:
        record = self._find(sid)
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "From": str(record["from"]) if record else self.number,
            "To": str(record["to"]) if record else "",
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
        }
        if error_code:
            params["ErrorCode"] = error_code
        params.update(extra)
        return params

    def send_status(
        self, sid: str, status: str, *, deliver_to: str, error_code: str = "", **extra: str
    ) -> requests.Response:
        """POST a status callback for a message to the StatusCallback it was created with, signed for that URL but
        delivered to `deliver_to` (the local server a tunnel would forward to), keeping the path."""
        record = self._find(sid)
        if record is None or not record.get("status_callback"):
            raise AssertionError(f"message {sid} has no StatusCallback")
        public = str(record["status_callback"])
        parts = urlsplit(public)
        local = deliver_to.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
        params = self.status_params(sid, status, error_code=error_code, **extra)
        return self.post_signed(local, params, signed_url=public)

    @staticmethod
    def inbound_params(sid: str, from_: str, body: str, *, to: str = OUR_NUMBER, **extra: str) -> dict[str, str]:
        params = {
            "ToCountry": "US",
            "ToState": "CA",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": body,
            "FromCountry": "CN",
            "To": to,
            "MessagingServiceSid": "",
            "ToZip": "",
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": from_,
            "ApiVersion": "2010-04-01",
        }
        params.update(extra)
        return params

    # --- the API ------------------------------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        with self.condition:
            self.requests.append((request.method, request.path))
        match = _MESSAGES.match(request.path)
        if match is None:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        if not self._authorized(request, match["account"]):
            return _error(401, 20003, "Authenticate")
        failure = self._take_failure()
        if failure is not None and not failure.drop_after_accepting:
            return _error(failure.status, failure.code or failure.status, failure.message or "Injected failure")
        if request.method == "POST":
            return await self._create(request, match["prefix"], drop=failure is not None)
        if request.method == "GET":
            with self.condition:
                self.listed += 1
                self.condition.notify_all()
            return self._list(request)
        return _error(405, 20004, "Method not allowed")

    def _authorized(self, request: web.Request, account: str) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic ") or account != self.account_sid:
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.account_sid and password == self.auth_token

    def _take_failure(self) -> Failure | None:
        with self.condition:
            return self._failures.pop(0) if self._failures else None

    async def _create(self, request: web.Request, prefix: str, *, drop: bool) -> web.StreamResponse:
        form = await request.post()
        to = str(form.get("To", ""))
        body = str(form.get("Body", ""))
        sender = str(form.get("From", ""))
        service = str(form.get("MessagingServiceSid", ""))
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not (sender or service):
            return _error(400, 21603, "A 'From' phone number is required.")
        if not body:
            return _error(400, 21602, "Message body is required.")
        with self.condition:
            refuse = self._hold_before_accepting and self._hold_at == self.created + 1
            if refuse:
                self._hold_at = None
        if refuse:
            await self._wait_for_release()
            return _error(503, 20503, "Held, then dropped without taking the message")
        at = self.clock()
        record = self._record(to=to, from_=sender or self.number, body=body, direction="outbound-api", at=at)
        record["messaging_service_sid"] = service or None
        record["status_callback"] = str(form.get("StatusCallback", "")) or None
        record["api_prefix"] = prefix
        record["date_sent"] = rfc2822(at) if self.send_at_once else None
        with self.condition:
            self.records.append(record)
            self.created += 1
            hold = self._hold_at is not None and self.created == self._hold_at
            self._journal(record)
            self.condition.notify_all()
        if hold:
            self.held_sid = str(record["sid"])
            await self._wait_for_release()
        if drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        return web.json_response(_public(record), status=201)

    async def _wait_for_release(self) -> None:
        self._release = asyncio.Event()
        self.held.set()
        await self._release.wait()

    def _list(self, request: web.Request) -> web.Response:
        query = request.query
        wanted_to, wanted_from = query.get("To"), query.get("From")
        after, before, on = (_day(query.get(k)) for k in ("DateSent>", "DateSent<", "DateSent"))
        with self.condition:
            rows = [dict(r) for r in self.records]
        selected = []
        for row in rows:
            if wanted_to and row["to"] != wanted_to:
                continue
            if wanted_from and row["from"] != wanted_from:
                continue
            if after or before or on:
                sent = _parsed(row["date_sent"])
                if sent is None:
                    continue  # the API filters by send date: a message still queued has none
                day = sent.date()
                if (after and day < after) or (before and day > before) or (on and day != on):
                    continue
            selected.append(row)
        # Newest first, as the API lists them (by send date; unsent ones first).
        selected.sort(key=lambda r: (_parsed(r["date_sent"]) or datetime.max.replace(tzinfo=timezone.utc), r["n"]))
        selected.reverse()
        size = max(1, min(1000, int(query.get("PageSize", "50"))))
        page = int(query.get("Page", "0"))
        chunk = selected[page * size : (page + 1) * size]
        base = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        filters = {k: v for k, v in query.items() if k not in ("Page", "PageSize", "PageToken")}

        def uri(number: int) -> str:
            return base + "?" + urlencode({**filters, "PageSize": size, "Page": number, "PageToken": f"PA{number}"})

        more = (page + 1) * size < len(selected)
        payload = {
            "messages": [_public(r) for r in chunk],
            "end": page * size + max(0, len(chunk) - 1),
            "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if more else None,
            "page": page,
            "page_size": size,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
            "start": page * size,
            "uri": uri(page),
        }
        return web.json_response(payload)

    # --- records ------------------------------------------------------------------------------------------------

    def _record(self, *, to: str, from_: str, body: str, direction: str, at: datetime) -> dict[str, Any]:
        sid = "SM" + uuid.uuid4().hex
        with self.condition:
            n = len(self.records)
        return {
            "n": n,
            "sid": sid,
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": rfc2822(at),
            "date_updated": rfc2822(at),
            "date_sent": None,
            "direction": direction,
            "error_code": None,
            "error_message": None,
            "from": from_,
            "to": to,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "status": "queued",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }

    def _find(self, sid: str) -> dict[str, Any] | None:
        with self.condition:
            return next((dict(r) for r in self.records if r["sid"] == sid), None)

    def _journal(self, record: dict[str, Any]) -> None:
        if self.journal is None:
            return
        line = json.dumps({"sid": record["sid"], "to": record["to"], "body": record["body"]}, ensure_ascii=False)
        with self._journal_lock, self.journal.open("a", encoding="utf-8") as out:
            out.write(line + "\n")


def read_journal(path: Path) -> list[dict[str, str]]:
    """The messages a FakeTwilio with `journal=path` accepted (from any process)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("n", "status_callback", "api_prefix")}


def _error(status: int, code: int, message: str) -> web.Response:
    payload = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}"}
    payload["status"] = status
    return web.json_response(payload, status=status)


def _day(text: str | None) -> date | None:
    if not text:
        return None
    return date.fromisoformat(text[:10])


def _parsed(text: str | None) -> datetime | None:
    if not text:
        return None
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(text)


def main() -> None:
    """Serve in a process of its own until stdin closes; the first line printed is the base URL.

    python -m tests.fakes.twilio_server [--journal PATH]
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--journal", type=Path, default=None, help="append accepted messages here (JSON lines)")
    args = parser.parse_args()
    with FakeTwilio(journal=args.journal) as fake:
        print(fake.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
