"""Inbound SMS by polling Twilio's REST API, for a laptop that Twilio cannot reach (no public URL).

Each poll lists messages sent to our number since a high-water mark kept in the settings table. The API filters by
day only and lists newest first, so the poll reads back to the mark (less a margin for late listings) and stops;
`receive` is idempotent on the sid, so a message seen twice is stored once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from kit.clock import utcnow
from kit.config import TwilioSettings
from kit.errors import ConfigError
from kit.gateway import GatewayError
from kit.models import get_setting, put_setting
from sms.twilio_gateway import TwilioSmsGateway
from sms.webhooks import Receive

log = logging.getLogger(__name__)

MARK_KEY = "twilio.poll.since"
MARGIN = timedelta(minutes=10)  # messages can show up in the list a little after their send date
FIRST_WINDOW = timedelta(hours=1)  # with no mark yet, how far back the first poll looks
PAGE_SIZE = 200


def poll_inbound(client_or_gateway: Client | TwilioSmsGateway, settings: TwilioSettings, receive: Receive) -> int:
    """Store inbound messages Twilio holds for our number; returns how many were new. GatewayError when Twilio
    cannot be asked (the mark stays where it was, so the next poll catches up)."""
    if not settings.from_number:
        raise ConfigError("twilio.no_poll_number", title="twilio_not_configured")
    client = client_or_gateway.client if isinstance(client_or_gateway, TwilioSmsGateway) else client_or_gateway
    mark = _read_mark()
    floor = (mark or utcnow() - FIRST_WINDOW) - MARGIN
    new = 0
    newest = mark
    try:
        records = client.messages.stream(to=settings.from_number, date_sent_after=floor, page_size=PAGE_SIZE)
        for record in records:
            sent = _naive_utc(record.date_sent)
            if sent is not None and sent < floor:
                break  # newest first: everything after this is older still
            if str(record.direction or "") != "inbound" or not record.sid or not record.from_:
                continue
            _, created = receive("twilio", str(record.sid), str(record.from_), str(record.body or ""), at=sent)
            new += int(created)
            if sent is not None and (newest is None or sent > newest):
                newest = sent
    except (TwilioException, requests.RequestException) as error:
        # The mark stays: what was stored is stored, and the next poll reads the same window again.
        raise GatewayError(f"Could not fetch inbound SMS from Twilio: {error}") from error
    if newest is None:
        newest = floor + MARGIN  # nothing yet: remember where the first poll started
    if newest != mark:
        put_setting(MARK_KEY, newest.isoformat())
    return new


def _read_mark() -> datetime | None:
    text = get_setting(MARK_KEY)
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        log.warning("ignoring a bad %s setting: %r", MARK_KEY, text)
        return None


def _naive_utc(at: Any) -> datetime | None:
    if not isinstance(at, datetime):
        return None
    return at.astimezone(timezone.utc).replace(tzinfo=None) if at.tzinfo else at


class InboundPoller:
    """Polls on its own thread every `settings.poll_seconds` and calls `on_new()` when something new was stored
    (the composition root passes the inbound worker's wake)."""

    def __init__(
        self,
        client_or_gateway: Client | TwilioSmsGateway,
        settings: TwilioSettings,
        receive: Receive,
        *,
        on_new: Callable[[], None] = lambda: None,
    ) -> None:
        self.client_or_gateway = client_or_gateway
        self.settings = settings
        self.receive = receive
        self.on_new = on_new
        self.last_error = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> InboundPoller:
        self._thread = threading.Thread(target=self._run, name="linli-twilio-poll", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def poll_once(self) -> int:
        try:
            new = poll_inbound(self.client_or_gateway, self.settings, self.receive)
        except GatewayError as error:
            self.last_error = str(error)
            log.warning("%s", error)
            return 0
        self.last_error = ""
        if new:
            self.on_new()
        return new

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(max(1, self.settings.poll_seconds))
