"""The local API of SMS Gateway for Android (capcom6's app, "Local Server" mode): the few calls Linli makes.

The app serves HTTP on the phone (port 8080 by default) with basic auth: POST /message sends (202 with the
message's state), GET /message/{id} reads one message, GET and POST /webhooks list and register callbacks. The
message states are Pending, Processed, Sent, Delivered and Failed (Cancelling and Cancelled for cancelled ones).

Decisions
- A small client of our own on `requests` rather than the PyPI `android-sms-gateway` client: its requests-based
  HTTP client sets no timeout (a phone that hangs on the LAN would hang the dispatcher), it does not tell "the
  phone was never reached" from "the answer was lost", it maps 409 (the id is taken) to a bare APIError and its
  state enum raises on a state it does not know. Linli needs four calls, each mapped onto GatewayError.
- Linli names every message it sends (`message_key`): the outbox row's id and a short digest of its number and
  text. The app refuses a second message with an id it already has (409), so a row sent again after a lost
  answer or a crash is never a second SMS; the digest keeps a restored database's reused row ids from being
  mistaken for the phone's older messages.
"""

from __future__ import annotations

import hashlib
from typing import Any

import requests

from kit.gateway import GatewayError, Outgoing

TIMEOUT_SECONDS = 15.0  # the phone is on the LAN: if it has not answered by then it is asleep or gone
KEY_PREFIX = "linli-"
STATES_IN_FLIGHT = ("Pending", "Processed")  # the phone has the message and may still send it
CONFLICT = 409


def message_key(message: Outgoing) -> str:
    """The id Linli gives the app for this outbox row, e.g. linli-42-1a2b3c4d (the same every time)."""
    digest = hashlib.sha256(f"{message.peer}\n{message.body}".encode()).hexdigest()[:8]
    return f"{KEY_PREFIX}{message.message_id}-{digest}"


def outbox_id(key: str) -> int | None:
    """The outbox row a message id names, when Linli gave it (linli-42-1a2b3c4d -> 42), else None."""
    if not key.startswith(KEY_PREFIX):
        return None
    number = key[len(KEY_PREFIX) :].split("-", 1)[0]
    return int(number) if number.isdigit() else None


class PhoneApi:
    """Calls to one phone's local server. Every failure is a GatewayError: `code="connection"` when the phone
    could not be reached or did not answer, `code="auth"` for a refused username or password, else the HTTP
    status; `permanent` only for a 400 on a send (the app refused this message as it is, e.g. a bad number)."""

    def __init__(self, name: str, url: str, username: str, password: str, *, timeout: float = TIMEOUT_SECONDS):
        self.name = name
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.auth = (username, password)

    def send(self, key: str, peer: str, body: str, *, sim_number: int | None = None) -> dict[str, Any] | None:
        """Hand one message to the phone, with a delivery report. The app's answer (its message state), or None
        when the phone already had a message with this id (409): it took this very message earlier."""
        request: dict[str, Any] = {
            "id": key,
            "textMessage": {"text": body},
            "phoneNumbers": [peer],
            "withDeliveryReport": True,
        }
        if sim_number is not None:
            request["simNumber"] = sim_number
        answer = self._call("POST", "/message", json=request, sending=True)
        if answer.status_code == CONFLICT:
            return None
        state: dict[str, Any] = _json(answer)
        return state

    def message(self, key: str) -> dict[str, Any] | None:
        """The phone's record of message `key` (its state and each recipient's), or None when it has none."""
        answer = self._call("GET", f"/message/{key}", missing_ok=True)
        return None if answer.status_code == 404 else _json(answer)

    def webhooks(self) -> list[dict[str, Any]]:
        listed = _json(self._call("GET", "/webhooks"))
        return [hook for hook in listed if isinstance(hook, dict)] if isinstance(listed, list) else []

    def add_webhook(self, hook_id: str, url: str, event: str) -> None:
        """Register (or, with an id the app has, replace) the callback for one event."""
        self._call("POST", "/webhooks", json={"id": hook_id, "url": url, "event": event})

    # --- one request ----------------------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, *, json: Any = None, sending: bool = False, missing_ok: bool = False
    ) -> requests.Response:
        try:
            answer = self.session.request(method, self.url + path, json=json, timeout=self.timeout)
        except requests.RequestException as error:
            raise GatewayError(
                f"The phone {self.name} ({self.url}) did not answer: {_short(error)}. Is it on, on the same "
                "network, and is the app's local server running?",
                code="connection",
            ) from error
        status = answer.status_code
        if status < 300 or (sending and status == CONFLICT) or (missing_ok and status == 404):
            return answer
        raise self._refused(answer, sending=sending)

    def _refused(self, answer: requests.Response, *, sending: bool) -> GatewayError:
        status = answer.status_code
        detail = _detail(answer)
        if status == 401:
            return GatewayError(
                f"The phone {self.name} refused Linli's username or password (HTTP 401): copy them from the app's "
                f"Local Server settings into gateways.{self.name}.username and password.",
                code="auth",
            )
        if status == 400 and sending:
            return GatewayError(
                f"The phone {self.name} refused the message: {detail} (HTTP 400).", code="400", permanent=True
            )
        if status == 404:
            return GatewayError(
                f"{self.url} answered 404: is gateways.{self.name}.url the app's local server address "
                "(e.g. http://192.168.1.23:8080)?",
                code="404",
            )
        return GatewayError(
            f"The phone {self.name} could not take the request: {detail} (HTTP {status}).", code=str(status)
        )


def _json(answer: requests.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return {}


def _detail(answer: requests.Response) -> str:
    found = _json(answer)
    text = found.get("message") if isinstance(found, dict) else None
    return _short(str(text or answer.reason or "no reason given"))


def _short(error: object) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 200 else text[:197] + "..."
