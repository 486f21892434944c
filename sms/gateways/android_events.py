"""The phone's webhooks: POST /android/{name}/events, one route per configured phone.

The app posts JSON `{"id", "webhookId", "event", "deviceId", "payload": {...}}` for sms:received, sms:sent,
sms:delivered and sms:failed (and others Linli ignores), and signs it: X-Timestamp is Unix seconds and
X-Signature the hex HMAC-SHA256, keyed with the webhook secret set in the app, of the raw body followed by the
timestamp (the app's PayloadSigningPlugin). The phases are the Twilio routes': authenticate, record, answer.

Decisions
- The signature is checked over the raw bytes before the body is parsed, in constant time; a timestamp more than
  5 minutes old or ahead of Linli's clock is refused too, so a captured request cannot be replayed later. Every
  refusal is 403 and stores nothing.
- Idempotent on the app's ids: an inbound SMS is stored once per payload.messageId (`receive` is idempotent per
  gateway and provider id), a status once per message and status (`record_status`). The app retries a webhook
  that did not get a 2xx, so a report for a message Linli sent moments ago whose id is not written yet gets 503
  (the app tries again later); one for a message Linli never sent is logged and answered 204.
- The phone's "sent" is recorded as `sent_by_phone`: Linli's own "sent" already means "the phone took it", and
  the stuck check needs to know which messages the phone has really sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial
from typing import Any

from aiohttp import web

from kit.clock import utcnow
from kit.models import Message
from sms.gateways.android_api import outbox_id
from sms.webhooks import ProviderContext

log = logging.getLogger(__name__)

MAX_SKEW_SECONDS = 300
SENT_BY_PHONE = "sent_by_phone"
STATUSES = {"sms:sent": SENT_BY_PHONE, "sms:delivered": "delivered", "sms:failed": "failed"}
LIMIT_WORDS = ("LIMIT_EXCEEDED", "limit exceeded")  # Android's per-app SMS limit, as the app reports it


def path_for(name: str) -> str:
    return f"/android/{name}/events"


def signature_for(secret: str, body: bytes, timestamp: str) -> str:
    """X-Signature as the app computes it."""
    return hmac.new(secret.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def signed(secret: str, body: bytes, timestamp: str, signature: str, now: datetime) -> bool:
    """Whether `signature` is the app's for this body and timestamp, and the timestamp is within 5 minutes."""
    if not (secret and signature and timestamp.isdigit()):
        return False
    if abs(now.replace(tzinfo=timezone.utc).timestamp() - int(timestamp)) > MAX_SKEW_SECONDS:
        return False
    return hmac.compare_digest(signature_for(secret, body, timestamp).encode(), signature.strip().lower().encode())


class PhoneEvents:
    """The events route of one phone. `on_limit(reason)` is called (off the loop) when the phone says Android's
    SMS limit stopped a message."""

    def __init__(self, name: str, secret: str, context: ProviderContext, on_limit: Callable[[str], object]) -> None:
        self.name = name
        self.secret = secret
        self.context = context
        self.on_limit = on_limit

    def add_to(self, app: web.Application) -> None:
        app.router.add_post(path_for(self.name), self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = request.headers.get("X-Timestamp", "")
        if not signed(self.secret, body, timestamp, request.headers.get("X-Signature", ""), utcnow()):
            log.warning("refused a webhook for phone %s: missing or wrong signature, or an old timestamp", self.name)
            return web.Response(status=403, text="Forbidden: X-Signature or X-Timestamp does not match.\n")
        try:
            event = json.loads(body)
            kind, payload = str(event["event"]), event["payload"]
            message_id = str(payload["messageId"])
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400, text="Expected the app's JSON event with payload.messageId.\n")
        if kind == "sms:received":
            return await self._received(message_id, payload)
        if kind in STATUSES:
            return await self._status(message_id, STATUSES[kind], payload)
        return web.Response(status=204)  # system:ping, mms:*, ...: nothing for Linli

    async def _received(self, message_id: str, payload: dict[str, Any]) -> web.Response:
        peer = str(payload.get("sender") or payload.get("phoneNumber") or "")
        if not peer:
            return web.Response(status=400, text="sms:received needs payload.sender.\n")
        call = partial(
            self.context.receive,
            self.name,
            message_id,
            peer,
            str(payload.get("message", "")),
            at=_utc(payload.get("receivedAt")),
        )
        try:
            _, created = await self.context.run_blocking(call)
        except Exception:
            log.exception("could not store inbound message %s from phone %s", message_id, self.name)
            return web.Response(status=503, text="Could not store the message; try again.\n")
        if created:
            self.context.wake()
        return web.Response(status=204)

    async def _status(self, message_id: str, status: str, payload: dict[str, Any]) -> web.Response:
        reason = str(payload.get("reason") or "") if status == "failed" else ""
        call = partial(
            self.context.record_status,
            message_id,
            status,
            gateway=self.name,
            error_code="phone" if reason else "",
            error=reason,
        )
        try:
            found = await self.context.run_blocking(call)
            if found is None and await self.context.run_blocking(partial(_being_sent, message_id)):
                return web.Response(status=503, text="Not known yet; try again.\n")
            if reason and any(word.casefold() in reason.casefold() for word in LIMIT_WORDS):
                await self.context.run_blocking(partial(self.on_limit, reason))
        except Exception:
            log.exception("could not record %s for %s from phone %s", status, message_id, self.name)
            return web.Response(status=503, text="Could not record the status; try again.\n")
        if found is None:
            log.info("status %s from phone %s for %s: not a message Linli sent", status, self.name, message_id)
        return web.Response(status=204)


def _being_sent(key: str) -> bool:
    """Whether `key` names an outbox row whose send is still being written (the report beat the dispatcher)."""
    row = outbox_id(key)
    if row is None:
        return False
    found = Message.get_or_none((Message.id == row) & (Message.direction == "out"))
    return found is not None and found.status == "sending"


def _utc(value: object) -> datetime | None:
    """The app's ISO 8601 time as naive UTC, or None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at.astimezone(timezone.utc).replace(tzinfo=None) if at.tzinfo else at
