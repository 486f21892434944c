"""The Twilio SMS gateway: REST sends with status callbacks, and lookups that reconcile an interrupted send.

Works with any Twilio-compatible provider: `twilio.api_base` replaces the host twilio-python talks to (requests
for api.twilio.com, including the paging links the API returns, are rebased by a small HTTP client wrapper).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from kit.clock import utcnow
from kit.config import TwilioSettings
from kit.errors import ConfigError
from kit.gateway import GatewayError, Outgoing, SendResult
from kit.models import Message

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.twilio.com"
STATUS_PATH = "/twilio/sms/status"
TIMEOUT_SECONDS = 30.0
LOOKUP_PAGE_SIZE = 100  # one page of recent messages to a number is plenty to find one we sent minutes ago

# Twilio error codes (https://www.twilio.com/docs/api/errors) that say this message can never go out as it is.
PERMANENT_CODES = {
    21211: "the number is not a valid phone number",
    21214: "the number cannot be reached",
    21217: "the number is not a valid phone number",
    21407: "the number's country is not enabled for SMS",
    21408: "the number's region is not enabled for SMS",
    21612: "the number cannot be reached from our sender",
    21614: "the number cannot receive SMS",
    21617: "the message is too long",
    30006: "the number is a landline or cannot receive SMS",
}
OPTED_OUT_CODES = {21610: "the number has unsubscribed (replied STOP)"}
TRANSIENT_CODES = {
    20429: "too many requests",
    20500: "Twilio had an internal error",
    20503: "Twilio is unavailable",
    30001: "Twilio's queue for our number is full",
}
# HTTP statuses that describe our account or the provider, not this message: retrying later can help.
TRANSIENT_STATUSES = {401, 403, 404, 408, 409, 429}


class ApiBaseHttpClient(HttpClient):
    """Sends twilio-python's requests for api.twilio.com (and its regional hosts) to another base URL."""

    def __init__(self, api_base: str, inner: HttpClient | None = None, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.inner = inner or TwilioHttpClient(timeout=timeout)
        super().__init__(self.inner.logger, False, self.inner.timeout)
        base = urlsplit(api_base.rstrip("/"))
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ConfigError(f"twilio.api_base '{api_base}' should be a URL such as {DEFAULT_API_BASE}.")
        self._base = base
        self._rebase = api_base.rstrip("/") != DEFAULT_API_BASE

    def rebase(self, url: str) -> str:
        if not self._rebase:
            return url
        parts = urlsplit(url)
        host = parts.hostname or ""
        if not (host == "api.twilio.com" or (host.startswith("api.") and host.endswith(".twilio.com"))):
            return url
        path = self._base.path + parts.path
        return urlunsplit((self._base.scheme, self._base.netloc, path, parts.query, parts.fragment))

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        return self.inner.request(
            method,
            self.rebase(uri),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


def twilio_client(settings: TwilioSettings, *, http_client: HttpClient | None = None) -> Client:
    """A twilio-python Client for these settings; ConfigError when a credential is missing."""
    missing = [
        f"twilio.{name} (or ${variable})"
        for name, variable in (("account_sid", "TWILIO_ACCOUNT_SID"), ("auth_token", "TWILIO_AUTH_TOKEN"))
        if not getattr(settings, name)
    ]
    if missing:
        raise ConfigError(
            f"Twilio needs {' and '.join(missing)}; find them in the Twilio console, "
            'or set gateway.sms = "simulator" to run without an account.',
            title="Twilio is not configured",
        )
    rebasing = ApiBaseHttpClient(settings.api_base or DEFAULT_API_BASE, http_client)
    return Client(settings.account_sid, settings.auth_token, http_client=rebasing)


class TwilioSmsGateway:
    """kit.gateway.Gateway for SMS through Twilio's REST API."""

    name = "twilio"
    channel = "sms"

    def __init__(self, settings: TwilioSettings, *, http_client: HttpClient | None = None) -> None:
        if not (settings.from_number or settings.messaging_service_sid):
            raise ConfigError(
                "Twilio needs twilio.from_number (our number in E.164, e.g. +8613800000000) "
                "or twilio.messaging_service_sid to send from.",
                title="Twilio is not configured",
            )
        self.settings = settings
        self.client = twilio_client(settings, http_client=http_client)
        public = settings.public_url.rstrip("/")
        self.status_callback = public + STATUS_PATH if public else None

    # --- sending ----------------------------------------------------------------------------------------------

    def send(self, message: Outgoing) -> SendResult:
        sender: dict[str, Any] = (
            {"messaging_service_sid": self.settings.messaging_service_sid}
            if self.settings.messaging_service_sid
            else {"from_": self.settings.from_number}
        )
        if self.status_callback:
            sender["status_callback"] = self.status_callback
        started = utcnow()
        try:
            created = self.client.messages.create(to=message.peer, body=message.body, **sender)
        except (TwilioRestException, TwilioServiceException) as error:
            raise gateway_error(error, message.peer) from error
        except (requests.RequestException, TwilioException) as error:
            if _never_sent(error):
                raise GatewayError(f"Could not reach Twilio: {_short(error)}", code="connection") from error
            # The request may have reached Twilio before the connection broke: look before anyone resends it.
            found = self._lookup_after_error(message, started)
            if found is None:
                raise GatewayError(f"Twilio did not answer: {_short(error)}", code="connection") from error
            log.info("message %s reached Twilio as %s although the answer was lost", message.message_id, found)
            return SendResult(provider_id=found, status="sent")
        return SendResult(provider_id=str(created.sid), status=str(created.status or "queued"))

    def _lookup_after_error(self, message: Outgoing, started: datetime) -> str | None:
        try:
            return self.find_sent(message, started - timedelta(minutes=1))
        except GatewayError:
            return None

    # --- after a crash ----------------------------------------------------------------------------------------

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        """The sid of an outbound message to `message.peer` with the same body created at or after `since`.

        The API filters by the day a message was sent; queued messages have no send date yet, so the newest
        messages to the number are looked at as well."""
        floor = _aware(since)
        try:
            listed = self.client.messages.list(
                to=message.peer, date_sent_after=floor.replace(tzinfo=None), page_size=LOOKUP_PAGE_SIZE
            )
            found = _matching(listed, message, floor)
            if found is None:
                recent = self.client.messages.list(to=message.peer, limit=LOOKUP_PAGE_SIZE)
                found = _matching(recent, message, floor)
        except (TwilioRestException, TwilioServiceException) as error:
            raise GatewayError(
                f"Could not ask Twilio about message {message.message_id}: {_describe(error)}"
            ) from error
        except (requests.RequestException, TwilioException) as error:
            raise GatewayError(f"Could not ask Twilio about message {message.message_id}: {_short(error)}") from error
        return found


def _matching(records: Iterable[Any], message: Outgoing, floor: datetime) -> str | None:
    for record in records:
        direction = str(record.direction or "")
        created = record.date_created
        if not direction.startswith("outbound") or record.body != message.body:
            continue
        if (
            isinstance(created, datetime)
            and _aware(created) >= floor
            and not _recorded_for_another(record.sid, message)
        ):
            return str(record.sid)
    return None


def _recorded_for_another(sid: str, message: Outgoing) -> bool:
    """Whether the outbox already holds `sid` for another message (the same words sent to the same number twice
    within minutes must not make one stand for the other)."""
    return bool(
        Message.select(Message.id)
        .where((Message.direction == "out") & (Message.provider_id == sid) & (Message.id != message.message_id))
        .exists()
    )


def gateway_error(error: TwilioRestException | TwilioServiceException, peer: str = "") -> GatewayError:
    """Map a Twilio error response onto GatewayError: permanent, opted out, or worth retrying."""
    code = _int(error.code)
    status = _int(error.status)
    detail = _detail(error)
    target = f" to {peer}" if peer else ""
    if code in OPTED_OUT_CODES:
        why = OPTED_OUT_CODES[code]
        return GatewayError(
            f"Twilio refused the message{target}: {why} (Twilio error {code}).", code=str(code), opted_out=True
        )
    if code in PERMANENT_CODES:
        why = PERMANENT_CODES[code]
        return GatewayError(
            f"Twilio refused the message{target}: {why} (Twilio error {code}).", code=str(code), permanent=True
        )
    reference = f"Twilio error {code}, HTTP {status}" if code and code != status else f"HTTP {status}"
    if code in TRANSIENT_CODES or status >= 500 or status in TRANSIENT_STATUSES:
        why = TRANSIENT_CODES.get(code, detail)
        return GatewayError(f"Twilio could not take the message now: {why} ({reference}).", code=str(code or status))
    if 400 <= status < 500:
        return GatewayError(
            f"Twilio refused the message{target}: {detail} ({reference}).", code=str(code or status), permanent=True
        )
    return GatewayError(f"Twilio could not take the message: {detail} ({reference}).", code=str(code or status))


def _detail(error: TwilioRestException | TwilioServiceException) -> str:
    if isinstance(error, TwilioServiceException):
        return str(error.detail or error.title)
    return str(error.msg).replace("Unable to create record: ", "").replace("Unable to fetch page: ", "").rstrip(".")


def _describe(error: TwilioRestException | TwilioServiceException) -> str:
    return f"{_detail(error)} (Twilio error {error.code}, HTTP {error.status})"


def _never_sent(error: BaseException) -> bool:
    """True when the request surely did not reach the provider (no connection was made)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    if isinstance(error, requests.ConnectionError):
        reason = getattr(error.args[0], "reason", None) if error.args else None
        return isinstance(reason, NewConnectionError)
    return False


def _short(error: BaseException) -> str:
    text = str(error)
    return text if len(text) <= 200 else text[:197] + "..."


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)
