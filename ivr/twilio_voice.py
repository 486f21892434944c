"""The Twilio voice gateway: places a call for each voice outbox row.

The call's first URL carries the menu's starting state (`/twilio/voice?flow=checkin&s=menu&n=0&rid=42&mid=7&lang=zh`);
from there `ivr.webhooks` runs the menu. Statuses come back to `/twilio/voice/status` (answered, and the final one:
completed, busy, no-answer, failed, canceled). The client is built as for SMS, from `kit.twilio_rules`,
so `twilio.api_base` points it at a Twilio-compatible provider too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ivr import flows
from ivr.calls import Directory
from ivr.state import speakable_language
from ivr.twiml import STATUS_PATH, answer_url
from kit.clock import utcnow
from kit.config import TwilioSettings
from kit.errors import ConfigError
from kit.gateway import GatewayError, Outgoing, SendResult
from kit.twilio_rules import TIMEOUT_SECONDS, build_client, rest_detail, twilio_error

log = logging.getLogger(__name__)

RING_SECONDS = 30  # how long a call rings before Twilio reports no-answer
LOOKUP_LIMIT = 20  # the newest calls to a number looked at when reconciling
STATUS_EVENTS = ["answered", "completed"]  # "completed" brings every final status: busy, no-answer, failed, ...


def public_base_url(settings: TwilioSettings) -> str:
    """The URL Twilio reaches this kit at; calls cannot be placed without one."""
    base = settings.public_url.strip().rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise ConfigError("voice.no_public_url", title="twilio_voice_not_configured")
    return base


class TwilioVoiceGateway:
    """kit.gateway.Gateway for voice calls through Twilio's REST API."""

    name = "twilio"
    channel = "voice"

    def __init__(
        self,
        settings: TwilioSettings,
        *,
        http_client: HttpClient | None = None,
        client: Client | None = None,
        directory: Directory | None = None,
        calls_in_use: Callable[[Iterable[str]], set[str]] | None = None,
        ring_seconds: int = RING_SECONDS,
    ) -> None:
        if not settings.from_number:
            raise ConfigError("voice.no_from_number", title="twilio_voice_not_configured")
        self.settings = settings
        self.base_url = public_base_url(settings)
        self.client = client or build_client(settings, Client, http_client or TwilioHttpClient(timeout=TIMEOUT_SECONDS))
        if directory is None:
            from kit.voice import Register

            directory = Register()
        self.directory = directory
        self._calls_in_use = calls_in_use
        self.ring_seconds = ring_seconds

    def send(self, message: Outgoing) -> SendResult:
        language = speakable_language(message.language, speakable_language(self.directory.default_language()))
        resident_id = self.directory.resident_for_message(message.message_id, message.peer)
        try:
            state = flows.outbound_call(message.kind, language, resident_id, message.message_id)
        except ValueError as error:
            raise GatewayError(str(error), code="kind", permanent=True) from None
        started = utcnow()
        try:
            call = self.client.calls.create(
                to=message.peer,
                from_=self.settings.from_number,
                url=answer_url(self.base_url, state),
                method="POST",
                status_callback=f"{self.base_url}{STATUS_PATH}",
                status_callback_method="POST",
                status_callback_event=STATUS_EVENTS,
                timeout=self.ring_seconds,
            )
        except TwilioRestException as error:
            raise gateway_error(error, message.peer) from error
        except (requests.RequestException, TwilioException) as error:
            # The request may have reached Twilio before the connection broke: look before anyone calls again.
            try:
                found = self.find_sent(message, started - timedelta(minutes=1))
            except GatewayError:
                found = None
            if found is None:
                raise GatewayError(f"Could not reach Twilio: {error}", code="connection") from error
            log.info("call for message %s reached Twilio as %s although the answer was lost", message.message_id, found)
            return SendResult(provider_id=found, status="sent")
        return SendResult(provider_id=str(call.sid), status=str(call.status or "queued"))

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        """A call from our number to `message.peer`, created at or after `since`, that no other outbox row holds.

        Twilio's call list filters by start time, which a queued call does not have yet, and only by the day; so
        this reads the newest calls to the number and compares their creation time here. The Call resource does not
        say which URL it runs, so two calls to one number within minutes are told apart only by the outbox."""
        floor = since.replace(tzinfo=timezone.utc) if since.tzinfo is None else since
        try:
            listed = self.client.calls.list(to=message.peer, from_=self.settings.from_number, limit=LOOKUP_LIMIT)
        except TwilioRestException as error:
            raise GatewayError(f"Could not ask Twilio about call {message.message_id}: {error.msg}") from error
        except (requests.RequestException, TwilioException) as error:
            raise GatewayError(f"Could not ask Twilio about call {message.message_id}: {error}") from error
        candidates = [
            call
            for call in listed
            if isinstance(call.date_created, datetime)
            and call.date_created >= floor
            and str(call.direction or "").startswith("outbound")
        ]
        if not candidates:
            return None
        taken = self.calls_in_use([str(call.sid) for call in candidates], message.message_id)
        fresh = [call for call in candidates if str(call.sid) not in taken]
        return str(min(fresh, key=_created).sid) if fresh else None

    def calls_in_use(self, call_ids: list[str], message_id: int) -> set[str]:
        if self._calls_in_use is not None:
            return self._calls_in_use(call_ids)
        from kit.voice import call_ids_in_use

        return call_ids_in_use(call_ids, self.name, other_than=message_id)


def _created(call: Any) -> datetime:
    created: datetime = call.date_created
    return created


def gateway_error(error: TwilioRestException, peer: str = "") -> GatewayError:
    """A Twilio API error as a GatewayError, classified by the rules the SMS gateway follows (`kit.twilio_rules`):
    permanent when calling this number again cannot help; anything about our account or the provider is retried
    (and the gateway's health alert tells the operators when it keeps failing)."""
    return twilio_error(error.code, error.status, rest_detail(error.msg), channel="voice", peer=peer)
