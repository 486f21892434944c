"""A stand-in for SMS Gateway for Android's local server (capcom6's app, "Local Server" mode) on 127.0.0.1.

Written from the app's documented API: basic auth on every route; POST /message (and /messages) takes
{"id"?, "textMessage": {"text"}, "phoneNumbers": [...], "withDeliveryReport", "simNumber"?} and answers 202 with
the message's state, 409 when the id is taken, 400 for a number it cannot use; GET /message/{id} answers the
state or 404; GET, POST and DELETE /webhooks manage callbacks (a POST with a known id replaces that webhook).
States move Pending -> Processed -> Sent -> Delivered or Failed only when a test says so (`advance`), and each move
is posted to the registered webhooks, signed as the app signs them: X-Timestamp (Unix seconds) and X-Signature,
the hex HMAC-SHA256 of the raw body followed by the timestamp, keyed with the signing key.

Runs an aiohttp app on its own thread and loop, on an ephemeral port; webhooks are posted with `requests` from the
test's thread, so a test sees their answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import requests
from aiohttp import web

from tests.fakes.loopback import LoopbackServer

USERNAME = "sms"
PASSWORD = "fake-phone-password-0123"
SIGNING_KEY = "fake-signing-key-0123456789abcdef"
DEVICE_ID = "fake-device-0001"
_VALID_NUMBER = re.compile(r"^\+?[1-9]\d{6,14}$")
ORDER = ("Pending", "Processed", "Sent", "Delivered")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeAndroidApp(LoopbackServer):
    thread_name = "fake-android-app"

    def __init__(
        self, *, signing_key: str = SIGNING_KEY, clock: Callable[[], datetime] = utc_now, port: int = 0
    ) -> None:
        self.signing_key = signing_key
        self.clock = clock  # aware UTC; tests pass the kit's fixed clock
        self.messages: dict[str, dict[str, Any]] = {}  # id -> {"request", "state", "states", "error"}
        self.hooks: dict[str, dict[str, Any]] = {}  # id -> {"id", "url", "event", "deviceId"}
        self.requests: list[tuple[str, str]] = []  # (method, path) as received
        self.deliveries: list[tuple[str, int]] = []  # (event, HTTP status of Linli's answer)
        super().__init__(port=port)

    def __enter__(self) -> FakeAndroidApp:
        self.start()
        return self

    # --- the API ------------------------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        expected = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response({"message": "Unauthorized"}, status=401)
        parts = [part for part in request.path.split("/") if part]
        if parts[:1] in (["message"], ["messages"]):
            if request.method == "POST" and len(parts) == 1:
                return self._send(await request.json())
            if request.method == "GET" and len(parts) == 2:
                with self.lock:
                    found = self.messages.get(parts[1])
                return web.json_response(self._state(found)) if found else web.json_response({}, status=404)
        if parts[:1] == ["webhooks"]:
            return await self._webhooks(request, parts)
        return web.json_response({"message": "Not Found"}, status=404)

    def _send(self, body: dict[str, Any]) -> web.Response:
        text = (body.get("textMessage") or {}).get("text") or body.get("message")
        numbers = body.get("phoneNumbers") or []
        if not text or not numbers:
            return web.json_response({"message": "Text message is empty"}, status=400)
        bad = [number for number in numbers if not _VALID_NUMBER.match(str(number))]
        if bad:
            return web.json_response({"message": f"Invalid phone number: {bad[0]}"}, status=400)
        key = str(body.get("id") or uuid.uuid4().hex[:21])
        with self.lock:
            if key in self.messages:
                return web.json_response({"message": "message with this ID already exists"}, status=409)
            record = {"request": body, "state": "Pending", "states": {"Pending": iso(self.clock())}, "error": None}
            self.messages[key] = record
        return web.json_response(self._state({"id": key, **record}), status=202)

    def _state(self, record: dict[str, Any]) -> dict[str, Any]:
        key = record.get("id") or next(k for k, v in self.messages.items() if v is record)
        return {
            "id": key,
            "deviceId": DEVICE_ID,
            "state": record["state"],
            "isHashed": False,
            "isEncrypted": False,
            "recipients": [
                {"phoneNumber": number, "state": record["state"], "error": record["error"]}
                for number in record["request"]["phoneNumbers"]
            ],
            "states": record["states"],
        }

    async def _webhooks(self, request: web.Request, parts: list[str]) -> web.Response:
        if request.method == "GET" and len(parts) == 1:
            return web.json_response(list(self.hooks.values()))
        if request.method == "POST" and len(parts) == 1:
            hook = await request.json()
            if hook.get("event") not in ("sms:received", "sms:sent", "sms:delivered", "sms:failed", "system:ping"):
                return web.json_response({"message": "Unsupported event"}, status=400)
            hook_id = str(hook.get("id") or uuid.uuid4().hex[:21])
            stored = {"id": hook_id, "deviceId": DEVICE_ID, "url": hook["url"], "event": hook["event"]}
            self.hooks[hook_id] = stored
            return web.json_response(stored, status=201)
        if request.method == "DELETE" and len(parts) == 2:
            self.hooks.pop(parts[1], None)
            return web.Response(status=204)
        return web.json_response({"message": "Not Found"}, status=404)

    # --- what tests tell it -------------------------------------------------------------------------------------

    def advance(self, key: str, state: str, *, reason: str = "") -> list[int]:
        """Move message `key` to `state` (Processed, Sent, Delivered or Failed) and post the matching webhook;
        the HTTP statuses of Linli's answers."""
        with self.lock:
            record = self.messages[key]
            record["state"] = state
            record["states"][state] = iso(self.clock())
            if state == "Failed":
                record["error"] = reason
        recipient = record["request"]["phoneNumbers"][0]
        at = iso(self.clock())
        payloads: dict[str, tuple[str, dict[str, Any]]] = {
            "Sent": ("sms:sent", {"partsCount": 1, "sentAt": at}),
            "Delivered": ("sms:delivered", {"deliveredAt": at}),
            "Failed": ("sms:failed", {"failedAt": at, "reason": reason}),
        }
        if state not in payloads:
            return []
        event, extra = payloads[state]
        base = {"messageId": key, "recipient": recipient, "phoneNumber": recipient, "simNumber": 1}
        return self.emit(event, {**base, **extra})

    def receive_sms(self, sender: str, text: str, *, message_id: str | None = None) -> tuple[str, list[int]]:
        """An SMS arrives on the phone: post sms:received. The app's message id and Linli's answers."""
        key = message_id or hashlib.sha256(f"{sender}{text}{self.clock()}".encode()).hexdigest()[:16]
        payload = {
            "messageId": key,
            "message": text,
            "sender": sender,
            "phoneNumber": sender,
            "recipient": "+8613900000000",
            "simNumber": 1,
            "receivedAt": iso(self.clock()),
        }
        return key, self.emit("sms:received", payload)

    def event_body(self, event: str, payload: dict[str, Any], hook_id: str = "hook") -> bytes:
        envelope = {"deviceId": DEVICE_ID, "event": event, "id": uuid.uuid4().hex[:21], "payload": payload}
        return json.dumps({**envelope, "webhookId": hook_id}, ensure_ascii=False).encode()

    def signature(self, body: bytes, timestamp: str) -> str:
        return hmac.new(self.signing_key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()

    def post_signed(
        self, url: str, body: bytes, *, timestamp: str | None = None, signature: str | None = None
    ) -> requests.Response:
        """POST `body` as the app does; give `signature=""` to leave the header out."""
        stamp = timestamp if timestamp is not None else str(int(self.clock().timestamp()))
        headers = {"Content-Type": "application/json", "X-Timestamp": stamp}
        sign = self.signature(body, stamp) if signature is None else signature
        if sign:
            headers["X-Signature"] = sign
        return requests.post(url, data=body, headers=headers, timeout=10)

    def emit(self, event: str, payload: dict[str, Any]) -> list[int]:
        answers = []
        for hook in [h for h in self.hooks.values() if h["event"] == event]:
            answer = self.post_signed(hook["url"], self.event_body(event, payload, hook["id"]))
            self.deliveries.append((event, answer.status_code))
            answers.append(answer.status_code)
        return answers
