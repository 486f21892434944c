"""The Twilio SMS gateway: REST sends with status callbacks, and lookups that reconcile an interrupted send.

Works with any Twilio-compatible provider: `twilio.api_base` replaces the host twilio-python talks to (requests
for api.twilio.com, including the paging links the API returns, are rebased by a small HTTP client wrapper).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from kit.clock import utcnow
from kit.config import TwilioSettings
from kit.errors import ConfigError
from kit.gateway import GatewayError, Outgoing, SendResult
from kit.models import Message
from kit.twilio_rules import TIMEOUT_SECONDS, build_client, rest_detail, twilio_error

log = logging.getLogger(__name__)

STATUS_PATH = "/twilio/sms/status"
LOOKUP_PAGE_SIZE = 100  # one page of recent messages to a number is plenty to find one we sent minutes ago


def twilio_client(settings: TwilioSettings, *, http_client: HttpClient | None = None) -> Client:
    """A twilio-python Client for these settings (`kit.twilio_rules`); ConfigError when a credential is missing."""
    return build_client(settings, Client, http_client or TwilioHttpClient(timeout=TIMEOUT_SECONDS))


class TwilioSmsGateway:
    """kit.gateway.Gateway for SMS through Twilio's REST API."""

    name = "twilio"
    channel = "sms"

    def __init__(self, settings: TwilioSettings, *, http_client: HttpClient | None = None) -> None:
        if not (settings.from_number or settings.messaging_service_sid):
            raise ConfigError("twilio.no_sender", title="twilio_not_configured")
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
    """Map a Twilio error response onto GatewayError: permanent, opted out, or worth retrying (`kit.twilio_rules`)."""
    return twilio_error(error.code, error.status, _detail(error), channel="sms", peer=peer)


def _detail(error: TwilioRestException | TwilioServiceException) -> str:
    if isinstance(error, TwilioServiceException):
        return str(error.detail or error.title)
    return rest_detail(error.msg)


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


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)
