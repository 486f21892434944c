"""Twilio's rules that both channels follow: the credentials a client needs and the API base it talks to, which
error codes mean a message or call can never go out, which mean the resident opted out, which are worth retrying;
and how a webhook's X-Twilio-Signature is checked. The SMS gateway (`sms.twilio_gateway`), the voice gateway
(`ivr.twilio_voice`) and both webhooks use these, and nothing here needs the twilio package.

Decisions
- The home is kit, not a channel: sms and ivr are independent channels and may not import each other, kit may not
  import twilio, and a package of its own for a few tables would be one more layer to fence. So kit keeps the parts
  that are Twilio's documented contract rather than its SDK: the error codes as data with one function from a code,
  an HTTP status and Twilio's message to a `GatewayError`, and the webhook signature (an HMAC over the URL and the
  sorted form, computed with the standard library), the credentials check and the API base (`ApiBaseHttpClient`
  is twilio-python's HTTP client contract, `request` and `is_async`, met by duck typing). What is left in each
  gateway is the one line that hands the SDK's `Client` and HTTP client to `build_client`.
- Codes are kept per channel where Twilio's meaning is per channel: 21610 (replied STOP) is an opt-out only for SMS
  (a resident who texted STOP is still called when `checkin.call_opted_out` says so), 30006 (a landline) is only
  permanent for SMS. The codes both APIs share are classified once.
- Where the two gateways once differed, the careful way is kept: a code or status Twilio sends as text or not at
  all is read as 0 instead of failing, and "Unable to fetch page: " is cut from messages as well as "Unable to
  create record: ".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

from kit.config import TwilioSettings
from kit.errors import ConfigError
from kit.gateway import GatewayError

Channel = Literal["sms", "voice"]
T = TypeVar("T")
DEFAULT_API_BASE = "https://api.twilio.com"
TIMEOUT_SECONDS = 30.0  # for the SDK's HTTP client under `ApiBaseHttpClient`

# Twilio error codes (https://www.twilio.com/docs/api/errors) after which sending to this number cannot help.
PERMANENT_CODES: dict[int, str] = {
    21211: "the number is not a valid phone number",
    21214: "the number cannot be reached",
    21217: "the number is not a valid phone number",
}
SMS_PERMANENT_CODES: dict[int, str] = {
    21407: "the number's country is not enabled for SMS",
    21408: "the number's region is not enabled for SMS",
    21612: "the number cannot be reached from our sender",
    21614: "the number cannot receive SMS",
    21617: "the message is too long",
    30006: "the number is a landline or cannot receive SMS",
}
VOICE_PERMANENT_CODES: dict[int, str] = {
    13223: "the number is not in a valid format",
    13224: "the number is not a valid phone number",
    13225: "the number may not be called",
    13227: "the account may not call that country",
    21215: "the account may not call that region",
    21216: "the number is blocked",
    21401: "the number is not a valid phone number",
    21407: "the number does not take voice calls",
}
OPTED_OUT_CODES: dict[Channel, dict[int, str]] = {
    "sms": {21610: "the number has unsubscribed (replied STOP)"},
    "voice": {},
}
TRANSIENT_CODES: dict[int, str] = {
    20429: "too many requests",
    20500: "Twilio had an internal error",
    20503: "Twilio is unavailable",
    30001: "Twilio's queue for our number is full",
}
# HTTP statuses that describe our account or the provider, not this message: retrying later can help.
TRANSIENT_STATUSES = frozenset({401, 403, 404, 408, 409, 429})

_WHAT: dict[Channel, tuple[str, str]] = {"sms": ("message", "take"), "voice": ("call", "place")}
_PREFIXES = ("Unable to create record: ", "Unable to fetch page: ")


def permanent_codes(channel: Channel) -> dict[int, str]:
    """The codes after which this channel never tries the number again, with why."""
    return PERMANENT_CODES | (SMS_PERMANENT_CODES if channel == "sms" else VOICE_PERMANENT_CODES)


def rest_detail(message: object) -> str:
    """Twilio's error message without twilio-python's prefix and the final full stop."""
    text = str(message)
    for prefix in _PREFIXES:
        text = text.replace(prefix, "")
    return text.rstrip(".")


def twilio_error(code: object, status: object, detail: str, *, channel: Channel, peer: str = "") -> GatewayError:
    """Map a Twilio error response onto GatewayError: permanent, opted out, or worth retrying."""
    code, status = _int(code), _int(status)
    noun, verb = _WHAT[channel]
    target = f" to {peer}" if peer else ""
    opted_out = OPTED_OUT_CODES[channel]
    if code in opted_out:
        return GatewayError(
            f"Twilio refused the {noun}{target}: {opted_out[code]} (Twilio error {code}).",
            code=str(code),
            opted_out=True,
        )
    permanent = permanent_codes(channel)
    if code in permanent:
        return GatewayError(
            f"Twilio refused the {noun}{target}: {permanent[code]} (Twilio error {code}).",
            code=str(code),
            permanent=True,
        )
    reference = f"Twilio error {code}, HTTP {status}" if code and code != status else f"HTTP {status}"
    if code in TRANSIENT_CODES or status >= 500 or status in TRANSIENT_STATUSES:
        why = TRANSIENT_CODES.get(code, detail)
        return GatewayError(f"Twilio could not {verb} the {noun} now: {why} ({reference}).", code=str(code or status))
    if 400 <= status < 500:
        return GatewayError(
            f"Twilio refused the {noun}{target}: {detail} ({reference}).", code=str(code or status), permanent=True
        )
    return GatewayError(f"Twilio could not {verb} the {noun}: {detail} ({reference}).", code=str(code or status))


def _int(value: object) -> int:
    """A code or status as Twilio sent it (a number, a numeral, or nothing) as an int; 0 when it is none."""
    if not isinstance(value, (int, float, str)):
        return 0
    try:
        return int(value)
    except ValueError:
        return 0


# --- the client ------------------------------------------------------------------------------------------------


_MISSING = {  # (no account SID, no auth token): the key of the words saying what to set
    (True, False): "twilio.no_account_sid",
    (False, True): "twilio.no_auth_token",
    (True, True): "twilio.no_credentials",
}


def twilio_credentials(settings: TwilioSettings) -> tuple[str, str]:
    """The account SID and auth token a client needs; ConfigError saying which is missing."""
    missing = _MISSING.get((not settings.account_sid, not settings.auth_token))
    if missing is not None:
        raise ConfigError(missing, title="twilio_not_configured")
    return settings.account_sid, settings.auth_token


def build_client(settings: TwilioSettings, make: Callable[..., T], inner: Any) -> T:
    """A twilio-python client: `make` is the SDK's `Client`, `inner` the SDK's HTTP client (or a test's); the
    requests go to `twilio.api_base`. ConfigError when a credential is missing or the API base is not a URL."""
    account_sid, auth_token = twilio_credentials(settings)
    return make(account_sid, auth_token, http_client=ApiBaseHttpClient(settings.api_base or DEFAULT_API_BASE, inner))


class ApiBaseHttpClient:
    """Sends twilio-python's requests for api.twilio.com (and its regional hosts) to another base URL, through
    `inner` (the SDK's HTTP client, or a test's)."""

    is_async = False

    def __init__(self, api_base: str, inner: Any = None) -> None:
        self.inner = inner
        self.logger = getattr(inner, "logger", None)
        self.timeout = getattr(inner, "timeout", None)
        base = urlsplit(api_base.rstrip("/"))
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ConfigError("twilio.api_base", api_base=api_base, example=DEFAULT_API_BASE)
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
    ) -> Any:
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


# --- webhook signatures ------------------------------------------------------------------------------------------

HMAC_SHA1 = "HMAC_SHA1"
_HASHES = {HMAC_SHA1: hashlib.sha1, "HMAC_SHA256": hashlib.sha256}


def signature_algorithm(settings_header: str) -> str:
    """The algorithm named in X-Twilio-Webhooks-Signature-Settings ('key=k1,algorithm=HMAC_SHA256'); none named is
    the legacy Auth Token signature, HMAC_SHA1."""
    for part in (settings_header or "").split(","):
        name, separator, value = part.partition("=")
        if separator and name.strip() == "algorithm" and value.strip():
            return value.strip()
    return HMAC_SHA1


class TwilioSignature:
    """Checks X-Twilio-Signature for requests to this kit's public URL.

    Twilio signs the URL it was configured with; Linli rebuilds it as `public_url` + the request's path and
    query. Like twilio's RequestValidator it accepts the URL with or without an explicit default port, but it
    tries the configured form first, and it computes the signature in one pass over the sorted form (the same
    string RequestValidator.compute_signature signs; the tests hold it to that). An algorithm other than HMAC_SHA1
    and HMAC_SHA256 named in X-Twilio-Webhooks-Signature-Settings is refused."""

    def __init__(self, public_url: str, auth_token: str) -> None:
        self.public_url = public_url.rstrip("/")
        self.configured = bool(self.public_url and auth_token)
        self._token = auth_token.encode()
        self._bases = _with_and_without_port(self.public_url) if self.public_url else []

    def url_for(self, path_qs: str) -> str:
        return self.public_url + path_qs

    def compute(self, url: str, params: Mapping[str, str], algorithm: str = HMAC_SHA1) -> str:
        """The signature of `url` and `params`; ValueError for an algorithm Twilio does not sign with."""
        digest = _HASHES.get(algorithm.upper())
        if digest is None:
            raise ValueError(f"Unsupported webhook signature algorithm: {algorithm}")
        signed = url + "".join(name + value for name, value in sorted(set(params.items())))
        return base64.b64encode(hmac.new(self._token, signed.encode(), digest).digest()).decode()

    def valid(self, path_qs: str, params: Mapping[str, str], signature: str, settings_header: str = "") -> bool:
        if not (self.configured and signature):
            return False
        algorithm = signature_algorithm(settings_header)
        for base in self._bases:
            try:
                expected = self.compute(base + path_qs, params, algorithm)
            except ValueError:  # an algorithm Twilio does not sign with
                return False
            if hmac.compare_digest(expected.encode(), signature.encode()):
                return True
        return False


def _with_and_without_port(url: str) -> list[str]:
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    if parts.port is None and default is not None:
        other = f"{parts.netloc}:{default}"
    elif parts.port is not None and parts.port == default:
        other = parts.netloc.rsplit(":", 1)[0]
    else:
        return [url]
    return [url, urlunsplit((parts.scheme, other, parts.path, parts.query, parts.fragment))]
