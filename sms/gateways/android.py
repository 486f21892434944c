"""SMS through an Android phone with a SIM card, running SMS Gateway for Android (capcom6's open-source app) in
"Local Server" mode on the LAN: `kind = "android"`.

    [gateways.phone1]
    kind = "android"
    url = "http://192.168.1.23:8080"      # the app's Local Server address
    username = "sms"                      # and credentials, as the app shows them
    password = "..."
    webhook_secret = "..."                # the app's Settings > Webhooks > Signing key
    stuck_after_minutes = 30              # optional
    sim_number = 1                        # optional: which SIM sends (1, 2, 3); the app's default otherwise
    callback_url = "https://linli.lan:8080"   # optional: where the phone reaches Linli's server

Sending is POST /message with a delivery report; the phone reports back by signed webhooks (android_events.py),
registered on the phone by `linli gateways register NAME`.

Decisions
- Never a second SMS for one outbox row: Linli names each message (android_api.message_key) and the phone refuses
  an id it has, so a send retried after a lost answer is answered 409 and counts as done. `find_sent` asks the
  phone for that id: found in any state, Pending included, means the phone has it and may still send it, so the
  dispatcher never queues the row again; 404 means it never arrived; an unreachable phone raises GatewayError,
  and the row waits until the phone answers rather than being sent twice.
- Stuck messages (the app's users see messages Pending for hours; Android's per-app SMS limit holds them behind
  a dialog on the phone): `check_stuck` looks at this phone's rows Linli handed over more than
  `stuck_after_minutes` ago that the phone has not reported sent, asks the phone for each (oldest first, a
  bounded number per call), applies the states whose webhook was lost, and when some are still Pending or
  Processed marks the gateway unhealthy (GatewayHealth, as the dispatcher does for failures, so the pool sends
  elsewhere) and raises an alert, once a day, telling the operator what to check on the phone. Those rows stay
  'sent': Linli never sends them again, since the phone may still do it. The next check that finds none
  stuck marks the gateway healthy again, and the pool's `probe` asks the same question before taking the phone
  back. The runtime's `poll` (inbound comes by webhook, so it reads nothing) runs the check once a minute.
- 401 is not a reason to give up on a resident's message: the send fails as transient (code "auth") with a line
  naming the settings to fix, the dispatcher's failure count and alert take it from there, and the messages wait.
  `linli gateways register` turns it into a ConfigError line.
- `callback_url` defaults to http://<this machine's address on the phone's network>:<server.port>, found by
  asking the operating system which local address routes to the phone (no packet is sent); 127.0.0.1 when none.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from aiohttp import web

from kit import outbox
from kit.alerts import raise_alert
from kit.clock import utcnow
from kit.config import COMMON_GATEWAY_KEYS, Settings
from kit.db import transaction
from kit.dispatcher import FAILURES_BEFORE_ALERT
from kit.errors import ConfigError
from kit.gateway import GatewayError, Outgoing, SendResult
from kit.localtime import local_date
from kit.models import Community, GatewayHealth, Message, MessageEvent
from kit.pool import health_name
from kit.templates import FALLBACK, render
from sms.gateways.android_api import STATES_IN_FLIGHT, PhoneApi, message_key
from sms.gateways.android_events import SENT_BY_PHONE, PhoneEvents, path_for
from sms.webhooks import with_sms_handlers

log = logging.getLogger(__name__)

KIND = "android"
EVENTS = ("sms:received", "sms:sent", "sms:delivered", "sms:failed")
COMMON = set(COMMON_GATEWAY_KEYS)
REQUIRED = ("url", "username", "password", "webhook_secret")
OPTIONAL = {"sim_number", "callback_url"}
STUCK_AFTER_MINUTES = 30
STUCK_LOOKBACK = timedelta(hours=24)  # older rows are history, not a phone to worry about now
STUCK_CHECKS_PER_CALL = 20
STUCK_CHECK_EVERY = timedelta(minutes=1)
STUCK_MARK = "stuck on the phone"  # in GatewayHealth.last_error: the stuck check's own verdict
PHONE_STATES = {"Sent": SENT_BY_PHONE, "Delivered": "delivered", "Failed": "failed"}


class AndroidGateway:
    """kit.gateway.Gateway for one phone."""

    channel = "sms"

    def __init__(
        self,
        name: str,
        api: PhoneApi,
        *,
        webhook_secret: str,
        stuck_after_minutes: float,
        callback_url: str,
        sim_number: int | None = None,
        failover_after: int = FAILURES_BEFORE_ALERT,
    ) -> None:
        self.name = name
        self.failover_after = failover_after  # the pool's threshold: a stuck phone counts this many failures
        self._checked_at: datetime | None = None
        self.api = api
        self.webhook_secret = webhook_secret
        self.stuck_after = timedelta(minutes=stuck_after_minutes)
        self.callback_url = callback_url.rstrip("/")
        self.sim_number = sim_number

    def send(self, message: Outgoing) -> SendResult:
        key = message_key(message)
        try:
            self.api.send(key, message.peer, message.body, sim_number=self.sim_number)
        except GatewayError as error:
            if error.code != "connection":
                raise
            # The phone may have taken it before the answer was lost: look before anyone counts it unsent.
            if self._has(key):
                return SendResult(provider_id=key, status="accepted")
            raise
        return SendResult(provider_id=key, status="accepted")

    def _has(self, key: str) -> bool:
        try:
            return self.api.message(key) is not None
        except GatewayError:
            return False

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        """The phone's id for this row when the phone has it, in whatever state; `since` is not needed, the id
        names the row."""
        key = message_key(message)
        return key if self.api.message(key) is not None else None

    def poll(self, receive: object) -> int:
        """The runtime's periodic call (every poll_seconds). Inbound SMS come by webhook, so none is read here
        (0); at most once a minute the phone is asked about stuck messages (`check_stuck`)."""
        now = utcnow()
        if self._checked_at is None or now - self._checked_at >= STUCK_CHECK_EVERY:
            self._checked_at = now
            check_stuck(self)
        return 0

    def probe(self) -> None:
        """The pool's test before it takes this phone back: it answers and holds no stuck message."""
        stuck = count_stuck(self)
        if stuck:
            raise GatewayError(f"{stuck} message(s) {STUCK_MARK}", code="stuck")

    @property
    def events_url(self) -> str:
        return self.callback_url + path_for(self.name)


# --- configuration -----------------------------------------------------------------------------------------


def build(name: str, options: Mapping[str, Any], settings: Settings) -> AndroidGateway:
    """An AndroidGateway from `[gateways.NAME]`; ConfigError naming the setting when one is missing or wrong."""
    where = f"gateways.{name}"
    unknown = sorted(set(options) - COMMON - set(REQUIRED) - OPTIONAL)
    if unknown:
        known = ", ".join((*REQUIRED, *sorted(OPTIONAL), "stuck_after_minutes"))
        raise ConfigError("android.unknown_setting", where=where, option=unknown[0], known=known)
    for key in REQUIRED:
        if not isinstance(options.get(key), str) or not options[key].strip():
            raise ConfigError("android.missing", where=where, option=key)
    url = _http_url(options["url"], f"{where}.url", "http://192.168.1.23:8080")
    stuck = options.get("stuck_after_minutes", STUCK_AFTER_MINUTES)
    if isinstance(stuck, bool) or not isinstance(stuck, (int, float)) or stuck <= 0:
        raise ConfigError("android.stuck_minutes", where=where, value=stuck)
    sim = options.get("sim_number")
    if sim is not None and (isinstance(sim, bool) or not isinstance(sim, int) or not 1 <= sim <= 3):
        raise ConfigError("android.sim_number", where=where, value=sim)
    callback = options.get("callback_url") or default_callback_url(url, settings.server.port)
    callback = _http_url(callback, f"{where}.callback_url", "http://192.168.1.10:8080")
    api = PhoneApi(name, url, options["username"].strip(), options["password"])
    return AndroidGateway(
        name,
        api,
        webhook_secret=options["webhook_secret"],
        stuck_after_minutes=float(stuck),
        callback_url=callback,
        sim_number=sim,
        failover_after=max(FAILURES_BEFORE_ALERT, settings.dispatch.failover_after_failures),
    )


def _http_url(value: object, setting: str, example: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("android.not_a_url", setting=setting, example=example, value=value)
    return text.rstrip("/")


def default_callback_url(phone_url: str, port: int) -> str:
    """http://<the local address that routes to the phone>:<port>; 127.0.0.1 when there is none."""
    host = urlsplit(phone_url).hostname or "127.0.0.1"
    address = "127.0.0.1"
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((host, 9))  # UDP connect only picks a route; nothing is sent
            address = probe.getsockname()[0]
    except OSError as error:
        log.info("no route to %s (%s): the phone is told to call 127.0.0.1", host, error)
    return f"http://{address}:{port}"


# --- webhooks ----------------------------------------------------------------------------------------------


def mount(app: web.Application, gateway: AndroidGateway, context: Any) -> None:
    """Add POST /android/<name>/events, the phone's signed webhooks, to Linli's server. `context` is the server's
    sms.webhooks.WebhookContext; without its own `receive` and `record_status` the production ones are used."""
    context = with_sms_handlers(context)
    on_limit = partial(_alert_phone, gateway, "alert_android_limit", 1)
    PhoneEvents(gateway.name, gateway.webhook_secret, context, on_limit).add_to(app)


def register_webhooks(gateway: AndroidGateway) -> list[tuple[str, str]]:
    """Register Linli's events URL on the phone for each event, once: [(event, "added" | "present" | "updated")].
    A webhook already there for the same URL and event is left alone; one of Linli's for an old URL is replaced."""
    url = gateway.events_url
    existing = gateway.api.webhooks()
    done: list[tuple[str, str]] = []
    for event in EVENTS:
        if any(hook.get("url") == url and hook.get("event") == event for hook in existing):
            done.append((event, "present"))
            continue
        hook_id = f"linli-{gateway.name}-{event.replace(':', '-')}"
        replaced = any(hook.get("id") == hook_id for hook in existing)
        gateway.api.add_webhook(hook_id, url, event)
        done.append((event, "updated" if replaced else "added"))
    return done


# --- stuck messages ----------------------------------------------------------------------------------------


def check_stuck(gateway: AndroidGateway) -> int:
    """How many of this phone's messages are stuck (Pending or Processed on the phone for longer than
    stuck_after_minutes); records the gateway's health and raises the alert. Call it every few minutes."""
    try:
        stuck = count_stuck(gateway)
    except GatewayError as error:
        log.warning("could not ask phone %s about its messages: %s", gateway.name, error)
        _record_health(gateway, ok=False, error=str(error), severe=False)
        return 0
    if stuck:
        _alert_phone(gateway, "alert_android_stuck", stuck)
    else:
        _record_health(gateway, ok=True)
    return stuck


def count_stuck(gateway: AndroidGateway) -> int:
    """Ask the phone about the rows it has not reported sent after stuck_after_minutes (applying the states
    whose webhook was lost); how many it still holds Pending or Processed. GatewayError when it does not answer."""
    stuck = 0
    for provider_id in _unconfirmed(gateway, utcnow()):
        found = gateway.api.message(provider_id)
        state = str(found.get("state", "")) if found else ""
        if state in STATES_IN_FLIGHT:
            stuck += 1
        elif state in PHONE_STATES:
            _apply_state(gateway.name, provider_id, PHONE_STATES[state], found or {})
    return stuck


def _unconfirmed(gateway: AndroidGateway, now: datetime) -> list[str]:
    """Provider ids of rows handed to this phone between a day and stuck_after ago, not yet reported sent."""
    confirmed = MessageEvent.select(MessageEvent.message).where(MessageEvent.status == SENT_BY_PHONE)
    rows = (
        Message.select(Message.provider_id)
        .where(
            (Message.direction == "out")
            & (Message.gateway == gateway.name)
            & (Message.status == "sent")
            & (Message.sent_at <= now - gateway.stuck_after)
            & (Message.sent_at >= now - STUCK_LOOKBACK)
            & Message.provider_id.is_null(False)
            & Message.id.not_in(confirmed)
        )
        .order_by(Message.sent_at)
        .limit(STUCK_CHECKS_PER_CALL)
    )
    return [str(row.provider_id) for row in rows]


def _apply_state(name: str, provider_id: str, status: str, found: Mapping[str, Any]) -> None:
    errors = [str(r.get("error")) for r in found.get("recipients", []) if isinstance(r, dict) and r.get("error")]
    error = "; ".join(errors) if status == "failed" else ""
    outbox.record_status(provider_id, status, gateway=name, error_code="phone" if error else "", error=error)


def _alert_phone(gateway: AndroidGateway, template: str, count: int, *reason: object) -> None:
    """Mark the phone unhealthy and tell the operator what to check on it (once a day per phone and text)."""
    minutes = int(gateway.stuck_after.total_seconds() // 60)
    _record_health(gateway, ok=False, error=f"{count} message(s) {STUCK_MARK} for over {minutes} minutes")
    community = Community.select().first()
    language = community.language if community is not None else FALLBACK
    zone = ZoneInfo(community.timezone if community is not None else "UTC")
    raise_alert(
        "gateway_stuck",
        render(template, language, name=gateway.name, count=count, minutes=minutes),
        key=f"{template}:{gateway.name}:{local_date(utcnow(), zone).isoformat()}",
        severity="urgent",
    )


def _record_health(gateway: AndroidGateway, *, ok: bool, error: str = "", severe: bool = True) -> None:
    """Like the dispatcher's record; a stuck phone counts as failing enough to leave the pool at once."""
    now = utcnow()
    with transaction():
        health, _ = GatewayHealth.get_or_create(name=health_name(gateway.channel, gateway.name))
        if ok:
            if STUCK_MARK not in health.last_error:
                return  # healthy or failing for another reason: the dispatcher's record stands
            health.last_success_at, health.consecutive_failures, health.last_error = now, 0, ""
        else:
            health.last_failure_at = now
            failures = health.consecutive_failures + 1
            health.consecutive_failures = max(failures, gateway.failover_after) if severe else failures
            health.last_error = error[:500]
        health.save()
