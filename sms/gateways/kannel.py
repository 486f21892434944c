"""Kannel: SMS out through smsbox's sendsms interface, replies in through an sms-service, delivery reports back
through each message's dlr-url. Kannel is the door to SMPP aggregators and to the GSM modems it drives.

Routes on Linli's webhook server, per gateway name (two Kannels can run side by side):

    GET /kannel/NAME/sms?token=TOKEN&from=%p&to=%P&text=%a&id=%I&ts=%T&coding=%c&charset=%C   (the sms-service)
    GET /kannel/NAME/dlr?token=TOKEN&id=kannel:NAME:42&status=%d&answer=%A                    (each dlr-url)

Decisions
- Kannel cannot sign its requests, so both routes carry `inbound_token`, a long random secret (at least 32 URL-safe
  characters), compared in constant time; a request without it is answered 403 and nothing is stored. The token
  travels in the URL: keep Kannel and Linli on loopback or a private network, never across the internet.
- Kannel's sendsms returns no id. The gateway makes its own, `kannel:NAME:<message id>`, and the dlr-url carries
  it back, so delivery reports find their row without a lookup table.
- Text that is not GSM-7 (kit.segments decides) goes as `coding=2&charset=UTF-8`: Kannel sends it as UCS-2.
- An inbound message is stored once: on Kannel's id (%I), or, when Kannel gives none, on a hash of the sender,
  the text and Kannel's timestamp. Kannel's timestamp keys it only; the message is stored at Linli's time.
- The sms-service is answered 200 with an empty body (with `omit-empty = true`, Kannel sends nothing back):
  Linli's replies go through the outbox and the dispatcher like every other message.
- After a crash (`find_sent`): Kannel cannot be asked what it has. A row left 'sending' may or may not have
  reached it. Every message asks Kannel for the SMSC's accept or reject report (dlr-mask 8 and 16), which arrives
  within seconds while the SMSC link is up, and a report for a row still 'sending' gives the row its id and
  status (the dispatcher had sent it). So `find_sent` waits: for SETTLE after the claim it answers "cannot tell
  yet" (a transient GatewayError: the reconciler leaves the row 'sending' and asks again at its next step). A
  row still 'sending' after that never reached Kannel, or Kannel never reached the SMSC: `find_sent` answers
  None and the reconciler queues it again. The one case that can send twice: Linli crashed while handing a
  message to Kannel, Kannel took it, and its link to the SMSC stayed down for longer than SETTLE. (A dlr_mask
  without SMSC accept leaves only the delivery report as proof, so that window grows to the delivery's delay.)
- Sends use the standard library's urllib with a timeout and no proxy (Kannel is on loopback or a private
  network): the dispatcher calls `send` from its own thread, synchronously.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from kit.clock import utcnow
from kit.config import COMMON_GATEWAY_KEYS, Settings, is_placeholder
from kit.errors import ConfigError
from kit.gateway import GatewayError, Outgoing, SendResult
from kit.segments import analyze

if TYPE_CHECKING:
    from aiohttp import web

    from sms.webhooks import ProviderContext, WebhookContext

log = logging.getLogger(__name__)

KIND = "kannel"
KEYS = frozenset(
    {"send_url", "username", "password", "smsc", "from_number", "inbound_token", "callback_url", "dlr_mask", "timeout"}
)
DLR_DELIVERED, DLR_UNDELIVERED, DLR_BUFFERED, DLR_SMSC_ACCEPT, DLR_SMSC_REJECT = 1, 2, 4, 8, 16
DEFAULT_DLR_MASK = DLR_DELIVERED | DLR_UNDELIVERED | DLR_SMSC_ACCEPT | DLR_SMSC_REJECT  # 27: all but "buffered"
DLR_STATUS = {
    DLR_DELIVERED: "delivered",
    DLR_UNDELIVERED: "undelivered",
    DLR_BUFFERED: "queued",
    DLR_SMSC_ACCEPT: "sent",
    DLR_SMSC_REJECT: "failed",
}
MIN_TOKEN = 32
SETTLE = timedelta(minutes=5)  # how long after a claim `find_sent` waits for Kannel's report before saying "no"
DEFAULT_TIMEOUT = 10.0
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")
_ACCEPTED = {"0": "sent", "3": "queued"}  # "0: Accepted for delivery", "3: Queued for later delivery"


@dataclass(frozen=True)
class KannelOptions:
    """One [gateways.NAME] table of kind "kannel", checked."""

    send_url: str  # smsbox's sendsms, e.g. http://127.0.0.1:13013/cgi-bin/sendsms
    username: str
    password: str
    inbound_token: str
    callback_url: str  # where Kannel reaches Linli's webhook server
    smsc: str = ""
    from_number: str = ""
    dlr_mask: int = DEFAULT_DLR_MASK
    timeout: float = DEFAULT_TIMEOUT


def build(name: str, options: Mapping[str, Any], settings: Settings) -> KannelGateway:
    """The gateway for the table [gateways.NAME]; one ConfigError line naming the key when a setting is wrong."""
    return KannelGateway(name, parse_options(name, options, settings))


def parse_options(name: str, options: Mapping[str, Any], settings: Settings) -> KannelOptions:
    where = f"gateways.{name}"
    if not _NAME.match(name):
        raise ConfigError("kannel.bad_name", where=where)
    for key in options:
        if key not in KEYS and key not in COMMON_GATEWAY_KEYS:
            raise ConfigError("kannel.unknown_setting", where=where, option=key, known=", ".join(sorted(KEYS)))

    def text(key: str, *, required: bool, default: str = "") -> str:
        value = options.get(key, default)
        if not isinstance(value, str):
            raise ConfigError("gateway.not_text", setting=f"{where}.{key}", value=value)
        if required and not value.strip():
            raise ConfigError("kannel.missing", where=where, option=key)
        return value.strip()

    send_url = _url(where, "send_url", text("send_url", required=True))
    callback_url = _url(
        where, "callback_url", text("callback_url", required=False) or f"http://127.0.0.1:{settings.server.port}"
    )
    password = text("password", required=True)
    if is_placeholder(password):
        raise ConfigError("kannel.placeholder_password", where=where)
    token = text("inbound_token", required=True)
    if len(token) < MIN_TOKEN or not _TOKEN.match(token) or is_placeholder(token):
        raise ConfigError("gateway.weak_token", setting=f"{where}.inbound_token", min=MIN_TOKEN)
    mask = options.get("dlr_mask", DEFAULT_DLR_MASK)
    if isinstance(mask, bool) or not isinstance(mask, int) or not 0 <= mask <= 31:
        raise ConfigError("kannel.dlr_mask", where=where, default=DEFAULT_DLR_MASK)
    timeout = options.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError("gateway.timeout", where=where)
    return KannelOptions(
        send_url=send_url,
        username=text("username", required=True),
        password=password,
        inbound_token=token,
        callback_url=callback_url.rstrip("/"),
        smsc=text("smsc", required=False),
        from_number=text("from_number", required=False),
        dlr_mask=mask,
        timeout=float(timeout),
    )


def _url(where: str, key: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("kannel.not_a_url", where=where, option=key, value=value)
    return value


class KannelGateway:
    """Sends one SMS through smsbox's sendsms; implements kit.gateway.Gateway."""

    kind = KIND
    channel = "sms"

    def __init__(self, name: str, options: KannelOptions) -> None:
        self.name = name
        self.options = options
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @property
    def inbound_path(self) -> str:
        return f"/kannel/{self.name}/sms"

    @property
    def dlr_path(self) -> str:
        return f"/kannel/{self.name}/dlr"

    def provider_id(self, message_id: int) -> str:
        return f"kannel:{self.name}:{message_id}"

    def dlr_url(self, provider_id: str) -> str:
        """The URL Kannel calls with each report: our id and the token, then Kannel's escapes (%d status, %A the
        SMSC's answer). Nothing else in it holds a '%', so Kannel expands only its own codes."""
        return (
            f"{self.options.callback_url}{self.dlr_path}?token={self.options.inbound_token}"
            f"&id={quote(provider_id, safe=':')}&status=%d&answer=%A"
        )

    def sendsms_url(self, message: Outgoing) -> str:
        provider_id = self.provider_id(message.message_id)
        query: dict[str, str] = {
            "username": self.options.username,
            "password": self.options.password,
            "to": message.peer,
            "text": message.body,
            "charset": "UTF-8",
        }
        if self.options.from_number:
            query["from"] = self.options.from_number
        if self.options.smsc:
            query["smsc"] = self.options.smsc
        if analyze(message.body).encoding == "UCS-2":
            query["coding"] = "2"
        if self.options.dlr_mask:
            query["dlr-mask"] = str(self.options.dlr_mask)
            query["dlr-url"] = self.dlr_url(provider_id)
        separator = "&" if urlsplit(self.options.send_url).query else "?"
        return self.options.send_url + separator + urlencode(query, quote_via=quote)

    def send(self, message: Outgoing) -> SendResult:
        status, body = self._get(self.sendsms_url(message))
        return answer_of(self.name, self.provider_id(message.message_id), status, body)

    def probe(self) -> None:
        """Ask smsbox with the user and no receiver: it checks the user and sends nothing ("Missing receiver
        number"). Raises GatewayError when Kannel cannot be reached, cannot take messages, or refuses the user."""
        query = urlencode({"username": self.options.username, "password": self.options.password}, quote_via=quote)
        separator = "&" if urlsplit(self.options.send_url).query else "?"
        status, body = self._get(self.options.send_url + separator + query)
        if status in (401, 403) or status >= 500 or "authorization" in body.lower():
            answer_of(self.name, "", status, body)  # raises the GatewayError it means

    def _get(self, url: str) -> tuple[int, str]:
        """smsbox's HTTP status and the first line of its answer; GatewayError when it cannot be reached."""
        try:
            with self._opener.open(url, timeout=self.options.timeout) as response:
                status, body = response.status, response.read(2048).decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read(2048).decode("utf-8", "replace")
            error.close()
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise GatewayError(
                f"Kannel {self.name} could not be reached at {self._where()}: {reason}", code="unreachable"
            ) from error
        return status, body.strip()

    def _where(self) -> str:
        parts = urlsplit(self.options.send_url)
        return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        """Kannel cannot be asked. Within SETTLE of the claim: "cannot tell yet" (its report, if it had the
        message, gives the row its id meanwhile); after that, None: queue it again (see the module's Decisions)."""
        if utcnow() - since < SETTLE + timedelta(minutes=1):  # `since` is a minute before the claim
            raise GatewayError(
                f"waiting for Kannel {self.name}'s report on message {message.message_id} before sending it again",
                code="unsettled",
            )
        return None


def answer_of(name: str, provider_id: str, status: int, body: str) -> SendResult:
    """sendsms's answer as a SendResult, or the GatewayError it means."""
    code = body.split(":", 1)[0].strip()
    if 200 <= status < 300 and code in _ACCEPTED:
        return SendResult(provider_id=provider_id, status=_ACCEPTED[code])
    said = body.splitlines()[0][:200] if body else f"HTTP {status}"
    if status in (401, 403) or "authorization" in body.lower():
        raise GatewayError(
            f"Kannel {name} refused the sendsms user ({said}): check gateways.{name}.username and password "
            "against kannel.conf's sendsms-user.",
            code=str(status),
            permanent=True,
        )
    if status in (408, 429) or status >= 500 or 200 <= status < 300:
        raise GatewayError(f"Kannel {name} could not take the message now: {said}", code=str(status))
    if "sender missing" in body.lower():
        said += f" (set gateways.{name}.from_number, or global-sender in kannel.conf)"
    raise GatewayError(f"Kannel {name} refused the message: {said}", code=str(status), permanent=True)


def token_matches(expected: str, given: str) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def inbound_key(kannel_id: str, sender: str, text: str, timestamp: str) -> str:
    """The id an inbound message is stored once under: Kannel's, else a hash of sender, text and timestamp."""
    if kannel_id.strip():
        return kannel_id.strip()
    digest = hashlib.sha256("\x00".join((sender, text, timestamp)).encode()).hexdigest()
    return f"h:{digest[:40]}"


def dlr_status(value: str) -> str | None:
    """Kannel's %d (1, 2, 4, 8, 16) as Linli's status name, or None for anything else."""
    return DLR_STATUS.get(int(value)) if value.strip().isdigit() else None


def mount(
    app: web.Application,
    gateway: KannelGateway,
    context: ProviderContext | WebhookContext,
    *,
    grace: float | None = None,
) -> None:
    """Adds the gateway's sms-service and delivery-report routes to Linli's aiohttp app. `context` is the server's
    sms.webhooks.WebhookContext; without its own `receive` and `record_status` the production ones are used.
    `grace`: how long a report for an id not in the outbox is looked up again (None: the routes' own, for a report
    that beats the dispatcher's commit)."""
    from sms.gateways.kannel_routes import KannelRoutes  # it imports this module
    from sms.webhooks import with_sms_handlers

    options = {} if grace is None else {"grace": grace}
    KannelRoutes(gateway, with_sms_handlers(context), **options).add_to(app)
