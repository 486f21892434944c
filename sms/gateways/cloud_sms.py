"""What the two cloud SMS gateways of mainland China (tencent.py, aliyun.py) share: their keys, their templates, how a
provider's refusal becomes a GatewayError and an operator's alert, and stable ids for what they report.

Decisions
- Keys come from the [gateways.NAME] table or, when the table leaves them out (or holds a placeholder), from the
  provider's usual environment variables. They live in fields that repr() hides, and no line Linli writes (errors,
  alerts, logs) contains them. The providers' SDKs log the signed request (key id included) at DEBUG, so their
  loggers are held at INFO.
- A message goes as (template id, parameters). The template id comes from the gateway's templates file
  (kit.template_registry), the parameters' order from the kind's declaration (kit.message_kinds); a kind with no
  id, a missing parameter, or one longer than the provider allows, is refused for good before any request is made,
  so nothing is half-sent. (kit.template_mode refuses these when they are queued; this is the last guard.)
- `endpoint` is a host, or an http(s):// address: both SDKs take a host and a scheme (Tencent's HttpProfile
  protocol and endpoint, Alibaba's Config endpoint and protocol), so tests point them at stand-ins over http on
  loopback, signing exactly as they would for the provider.
- A refusal that names a problem of the account (a key, the clock, a template, the signature, the balance) also
  raises one alert a day per gateway and problem, saying what to fix; the dispatcher's own alert per failed message
  stays as it is.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from kit import ui_words
from kit.alerts import raise_alert
from kit.clock import utcnow
from kit.config import COMMON_GATEWAY_KEYS, is_placeholder
from kit.errors import ConfigError
from kit.gateway import GatewayError, Outgoing
from kit.localtime import local_date
from kit.message_kinds import MessageKind, is_kind
from kit.models import Community
from kit.template_registry import LIMIT_KEYS, TemplateLimits, TemplateMap, limits_for, load_template_map
from kit.templates import FALLBACK, render

log = logging.getLogger(__name__)

SDK_LOGGERS = ("tencentcloud_sdk_common", "alibabacloud_tea_openapi", "darabonba")
# Problems of the account that an operator must fix, each with its alert text (data/templates, alert_cloud_sms_*).
ALERTED = ("key", "clock", "template", "sign", "balance")


@dataclass(frozen=True)
class Refusal:
    """What a provider's error code means for Linli: whether retrying can help, and which problem it names."""

    permanent: bool
    problem: str = ""  # one of ALERTED, or "number", "limit", "provider"


@dataclass(frozen=True)
class CloudAccount:
    """The settings both providers have: a key pair, the approved signature, the templates and an endpoint."""

    key_id: str = field(repr=False)
    secret: str = field(repr=False)
    sign_name: str
    templates: TemplateMap
    limits: TemplateLimits
    scheme: str  # https, or http for a stand-in on loopback
    host: str  # host[:port]
    timeout: float


def quiet_sdk_loggers() -> None:
    """The SDKs log each signed request at DEBUG: keep them at INFO so no key id reaches a log. Tencent's SDK also
    warns of every answer field newer than its models (ReplyUnixTime, ...), which nobody can act on."""
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    warnings.filterwarnings("ignore", message=".* fileds are useless", category=UserWarning)


def check_keys(where: str, options: Mapping[str, Any], keys: Sequence[str], provider: str) -> None:
    """ConfigError for a key of the table that `provider` ("aliyun", "tencent") has no setting for."""
    known = set(keys) | set(LIMIT_KEYS)
    for key in options:
        if key not in known and key not in COMMON_GATEWAY_KEYS:
            raise ConfigError(
                "cloud_sms.unknown_setting",
                where=where,
                option=key,
                provider=ui_words.later(f"errors.cloud_sms.words.{provider}"),
                known=", ".join(sorted(known)),
            )


def text_setting(where: str, options: Mapping[str, Any], key: str, *, default: str = "") -> str:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigError("gateway.not_text", setting=f"{where}.{key}", value=value)
    return str(value).strip()


def secret_setting(where: str, options: Mapping[str, Any], key: str, env: str, label: str) -> str:
    """`key` from the table, else from the environment variable `env`; ConfigError naming both when neither has it
    (`label` is the key's name in [errors.cloud_sms.words]). The value never appears in the error."""
    value = text_setting(where, options, key)
    if not value or is_placeholder(value):
        value = os.environ.get(env, "").strip()
    if not value or is_placeholder(value):
        raise ConfigError(
            "cloud_sms.no_secret",
            where=where,
            option=key,
            label=ui_words.later(f"errors.cloud_sms.words.{label}"),
            env=env,
        )
    return value


def account(
    where: str, options: Mapping[str, Any], kind: str, *, key_id: str, secret: str, default_host: str
) -> CloudAccount:
    sign_name = text_setting(where, options, "sign_name")
    if not sign_name:
        raise ConfigError("cloud_sms.no_sign_name", where=where)
    path = text_setting(where, options, "templates")
    if not path:
        raise ConfigError("cloud_sms.no_templates", where=where, kind=kind)
    scheme, host = endpoint(where, text_setting(where, options, "endpoint"), default_host)
    timeout = options.get("timeout", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError("gateway.timeout", where=where)
    return CloudAccount(
        key_id=key_id,
        secret=secret,
        sign_name=sign_name.strip("【】[] "),
        templates=load_template_map(path),
        limits=limits_for(kind, options),
        scheme=scheme,
        host=host,
        timeout=float(timeout),
    )


def endpoint(where: str, value: str, default_host: str) -> tuple[str, str]:
    """(scheme, host[:port]) of the API: the provider's own over https, or `endpoint` (a host, or an http(s) URL for
    a stand-in)."""
    if not value:
        return "https", default_host
    parts = urlsplit(value if "://" in value else f"https://{value}")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ConfigError("cloud_sms.endpoint", where=where, value=value)
    return parts.scheme, parts.netloc


def template_of(name: str, account: CloudAccount, message: Outgoing) -> tuple[str, dict[str, str]]:
    """The approved template id and the parameters for `message`, or a permanent GatewayError saying what to fix."""
    template_id = account.templates.template_id(message.kind, message.language)
    if template_id is None:
        raise GatewayError(
            f"gateway {name} has no approved template for {message.kind} in {message.language}: add it to "
            f"{account.templates.path or 'the templates file'} (linli templates check {name}).",
            code="unmapped",
            permanent=True,
        )
    params = declared(message)
    for key, value in params.items():
        if len(value) > account.limits.max_param_chars:
            raise GatewayError(
                f"message {message.message_id}: parameter {key} has {len(value)} characters, more than the "
                f"{account.limits.max_param_chars} gateway {name} may send in one parameter.",
                code="param_too_long",
                permanent=True,
            )
    return template_id, params


def declared(message: Outgoing) -> dict[str, str]:
    """The message's parameters in its kind's declared order (the order of the placeholders in its text, which the
    approved template numbers {1}, {2}, ...); a declared parameter the message lacks is a permanent GatewayError."""
    given = {str(key): str(value) for key, value in message.params.items()}
    if not is_kind(message.kind):
        return given
    names = MessageKind(message.kind).parameters(message.language)
    missing = [name for name in names if name not in given]
    if missing:
        raise GatewayError(
            f"message {message.message_id} ({message.kind}) lacks the parameter(s) {', '.join(missing)} of its "
            "template: it was queued before template mode and cannot be sent as a template.",
            code="params_missing",
            permanent=True,
        )
    return {name: given[name] for name in names}


def refusal_of(code: str, table: Mapping[str, Refusal], prefixes: Mapping[str, Refusal]) -> Refusal:
    """The meaning of a provider's code: exact entries first, then the longest matching prefix; an unknown code is
    transient (the message waits and the dispatcher's attempts bound it)."""
    if code in table:
        return table[code]
    for prefix in sorted(prefixes, key=len, reverse=True):
        if code.startswith(prefix):
            return prefixes[prefix]
    return Refusal(permanent=False, problem="provider")


def refused(name: str, provider: str, code: str, said: str, meaning: Refusal, *, settings: str) -> GatewayError:
    """The GatewayError for a refusal, after raising its alert when it names a problem of the account. `said` is
    the provider's message (never holds a key); `settings` names the settings to check, for the alert."""
    if meaning.problem in ALERTED:
        alert_account(name, provider, meaning.problem, code, settings=settings)
    line = f"{provider} gateway {name} refused the message: {code}"
    if said:
        line += f" ({said[:200]})"
    return GatewayError(line, code=code, permanent=meaning.permanent)


def alert_account(name: str, provider: str, problem: str, code: str, *, settings: str) -> None:
    community = Community.select().first()
    language = community.language if community is not None else FALLBACK
    zone = ZoneInfo(community.timezone if community is not None else "UTC")
    raise_alert(
        "gateway",
        render(f"alert_cloud_sms_{problem}", language, name=name, provider=provider, code=code, settings=settings),
        key=f"cloud_sms:{name}:{problem}:{local_date(utcnow(), zone).isoformat()}",
        severity="urgent",
    )


def stable_id(prefix: str, *parts: str) -> str:
    """An id for a record the provider gives none: the same record polled or pushed twice gets the same id."""
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()
    return f"{prefix}:{digest[:40]}"


class OnceLog:
    """Logs a line for each id once (bounded memory): a record Linli does not know is reported, not repeated at
    every poll."""

    def __init__(self, size: int = 2000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def info(self, key: str, line: str, *args: object) -> bool:
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        log.info(line, *args)
        return True


def chunks_of_distinct_peers(messages: Sequence[Outgoing], size: int) -> list[list[Outgoing]]:
    """`messages` in requests of at most `size`, each number at most once per request (a provider answers per
    number, so two messages to one number in one request could not be told apart)."""
    out: list[tuple[list[Outgoing], set[str]]] = []
    for message in messages:
        for chunk, peers in out:
            if len(chunk) < size and message.peer not in peers:
                chunk.append(message)
                peers.add(message.peer)
                break
        else:
            out.append(([message], {message.peer}))
    return [chunk for chunk, _ in out]


def china_digits(peer: str) -> str:
    """A number as the providers' domestic APIs take it: 11 digits for +86, else the digits with the country code."""
    digits = "".join(ch for ch in peer if ch.isdigit())
    if peer.startswith("+86") and len(digits) == 13:
        return digits[2:]
    return digits
