"""Twilio's SMS webhooks for the aiohttp app: inbound messages and delivery status callbacks.

Each request goes through the plain phases: authenticate (X-Twilio-Signature over the URL rebuilt from the
configured public URL, never from the request's Host or scheme), record (idempotent on MessageSid), answer.
Parsing and acting on an inbound message happen later, in the inbound worker the handler wakes; replies go
through the outbox, never in the TwiML answer.

Database work is blocking, so it runs through `WebhookContext.run_blocking` (a one-thread executor in the
server), which keeps the event loop free while SQLite waits for a lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict, MultiDictProxy
from twilio.twiml.messaging_response import MessagingResponse

from kit.models import Message
from kit.twilio_rules import TwilioSignature

log = logging.getLogger(__name__)

T = TypeVar("T")
INBOUND_PATH = "/twilio/sms"
STATUS_PATH = "/twilio/sms/status"
FORM_TYPE = "application/x-www-form-urlencoded"
EMPTY_TWIML = MessagingResponse().to_xml()  # '<?xml version="1.0" encoding="UTF-8"?><Response />'
STATUS_GRACE_SECONDS = 2.0  # a callback can beat the dispatcher's commit of the sid; look again for this long


class Receive(Protocol):
    """Store an inbound message: what was stored (the Message, or a message landed by the webhook process,
    kit.landing) and whether it was new (False: a provider's retry of one stored already)."""

    def __call__(
        self, gateway: str, provider_id: str, peer: str, body: str, *, at: datetime | None = None
    ) -> tuple[object, bool]: ...


class RecordStatus(Protocol):
    def __call__(
        self, provider_id: str, status: str, *, gateway: str = "", error_code: str = "", error: str = ""
    ) -> Message | None: ...


RunBlocking = Callable[[Callable[[], T]], Awaitable[T]]


async def run_inline(call: Callable[[], T]) -> T:
    """A RunBlocking that runs the call on the loop itself (tests; tiny calls)."""
    return call()


@dataclass
class WebhookContext:
    """What every provider route needs; the server stores it in the app under CONTEXT for route adders.

    `run_blocking(call)` runs `call` off the loop and returns once its work is committed. Calls may share a
    transaction with others and may be run a second time after a rollback, so they must be database work only
    (no messages sent, no HTTP requests from inside them)."""

    signature: TwilioSignature
    run_blocking: RunBlocking[Any]
    wake: Callable[[], None]  # tell the inbound worker there is something to process
    receive: Receive | None = None  # how every provider's route stores an inbound message; None: sms.router's
    record_status: RecordStatus | None = None  # ... and records a status; None: kit.outbox's


CONTEXT = web.AppKey("linli.webhook_context", WebhookContext)


async def verified_form(request: web.Request, signature: TwilioSignature) -> MultiDictProxy[str] | None:
    """The request's form if it carries a valid Twilio signature for our public URL, else None."""
    if not signature.configured:
        log.warning(
            "refused a webhook to %s: set twilio.public_url (or LINLI_PUBLIC_URL) and twilio.auth_token "
            "so Twilio's signature can be checked",
            request.path,
        )
        return None
    header = request.headers.get("X-Twilio-Signature", "")
    if not header:
        return None
    form = await _read_form(request)
    if not all(isinstance(value, str) for value in form.values()):
        return None  # Twilio posts url-encoded forms; an uploaded file is not from Twilio
    fields: MultiDictProxy[str] = form  # type: ignore[assignment]
    settings_header = request.headers.get("X-Twilio-Webhooks-Signature-Settings", "")
    if not signature.valid(request.raw_path, fields, header, settings_header):
        return None
    return fields


async def _read_form(request: web.Request) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    """The request's form; a body that is not text in its declared charset (UTF-8 when none is declared), even
    percent-encoded, is answered 400 before anything reads it: providers send UTF-8, so it came from somebody else."""
    try:
        if request.content_type == FORM_TYPE:  # what providers post: parsed once, strictly
            charset = request.charset or "utf-8"
            raw = await request.read()
            pairs = parse_qsl(raw.rstrip().decode(charset), keep_blank_values=True, encoding=charset, errors="strict")
            return MultiDictProxy(MultiDict(pairs))
        return await request.post()
    except (UnicodeDecodeError, LookupError):
        raise web.HTTPBadRequest(text="The body is not a UTF-8 form.\n") from None


def _forbidden() -> web.Response:
    return web.Response(status=403, text="Forbidden: the X-Twilio-Signature does not match.\n")


class SmsWebhooks:
    """The two Twilio SMS routes, on injected callables: `receive` stores an inbound message (idempotent on the
    provider's id) and `record_status` applies a status callback (idempotent, out-of-order safe)."""

    def __init__(
        self,
        context: WebhookContext,
        *,
        receive: Receive,
        record_status: RecordStatus,
        status_grace: float = STATUS_GRACE_SECONDS,
    ) -> None:
        self.context = context
        self.receive = receive
        self.record_status = record_status
        self.status_grace = status_grace

    def add_to(self, app: web.Application) -> None:
        app.router.add_post(INBOUND_PATH, self.inbound)
        app.router.add_post(STATUS_PATH, self.status)

    async def inbound(self, request: web.Request) -> web.Response:
        form = await verified_form(request, self.context.signature)
        if form is None:
            return _forbidden()
        sid = form.get("MessageSid") or form.get("SmsSid") or ""
        peer = form.get("From", "")
        if not sid or not peer:
            return web.Response(status=400, text="MessageSid and From are required.\n")
        call = partial(self.receive, "twilio", sid, peer, form.get("Body", ""))
        try:
            _, created = await self.context.run_blocking(call)
        except Exception:
            log.exception("could not store inbound message %s from %s", sid, peer)
            return web.Response(status=503, text="Could not store the message; try again.\n")
        if created:
            self.context.wake()
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    async def status(self, request: web.Request) -> web.Response:
        form = await verified_form(request, self.context.signature)
        if form is None:
            return _forbidden()
        sid = form.get("MessageSid") or form.get("SmsSid") or ""
        status = form.get("MessageStatus") or form.get("SmsStatus") or ""
        if not sid or not status:
            return web.Response(status=400, text="MessageSid and MessageStatus are required.\n")
        call = partial(
            self.record_status,
            sid,
            status,
            gateway="twilio",
            error_code=form.get("ErrorCode", ""),
            error=form.get("ErrorMessage", ""),
        )
        try:
            found = await self.context.run_blocking(call)
            loop = asyncio.get_running_loop()
            deadline, delay = loop.time() + self.status_grace, 0.1
            while found is None and loop.time() < deadline:
                # The callback may have beaten the dispatcher's commit of this sid: look again shortly.
                await asyncio.sleep(min(delay, deadline - loop.time()))
                delay *= 2
                found = await self.context.run_blocking(call)
        except Exception:
            log.exception("could not record status %s for %s", status, sid)
            return web.Response(status=503, text="Could not record the status; try again.\n")
        if found is None:
            log.info("status %s for %s: no such message in the outbox", status, sid)
        return web.Response(status=204)


class ProviderContext(Protocol):
    """What a provider's routes (Kannel, the Android phone, ...) need from the server: the loop hooks of
    WebhookContext and the two recorders."""

    @property
    def run_blocking(self) -> RunBlocking[Any]: ...
    @property
    def wake(self) -> Callable[[], None]: ...
    @property
    def receive(self) -> Receive: ...
    @property
    def record_status(self) -> RecordStatus: ...


@dataclass(frozen=True)
class _SmsHandlers:
    run_blocking: RunBlocking[Any]
    wake: Callable[[], None]
    receive: Receive
    record_status: RecordStatus


def with_sms_handlers(context: Any) -> ProviderContext:
    """`context` itself when it carries `receive` and `record_status` (not None), else its loop hooks with the
    production ones (sms.router.receive and kit.outbox.record_status, what the server's Twilio routes use)."""
    if getattr(context, "receive", None) is not None and getattr(context, "record_status", None) is not None:
        found: ProviderContext = context
        return found
    from kit.outbox import record_status
    from sms.router import receive

    return _SmsHandlers(context.run_blocking, context.wake, receive, record_status)
