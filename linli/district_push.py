"""Pushing a community's day to its district over HTTP(S): the `Sender` that `kit.district_outbox` calls.

One POST of the day's figures as JSON to `<district.url>/api/v1/figures` with `Authorization: Bearer <token>`.

Decisions:
- The standard library's urllib: one small request a day needs no HTTP client dependency in the kit's process.
- HTTPS, except to this machine (127.0.0.1, ::1, localhost): the token must not cross a network in clear text.
- Redirects are not followed: a redirect would carry the token to wherever it points.
- What the district answers (its reason for a refusal) is text from outside: it is made visible
  (`kit.plaintext.visible`) before it goes into a message.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from kit.config import DistrictSettings
from kit.district_outbox import (
    PUSH_JOB,
    DistrictRefused,
    DistrictUnreachable,
    Sender,
    check_configured,
    push_due,
)
from kit.errors import ConfigError
from kit.plaintext import visible

log = logging.getLogger(__name__)

ENDPOINT = "/api/v1/figures"
TIMEOUT_SECONDS = 15.0
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def endpoint(base_url: str) -> str:
    """`<base_url>/api/v1/figures`; ConfigError for a URL that is not https (or http to this machine)."""
    parts = urllib.parse.urlsplit(base_url.strip())
    plain_here = parts.scheme == "http" and parts.hostname in LOOPBACK
    if not parts.hostname or (parts.scheme != "https" and not plain_here):
        raise ConfigError("push.not_https", url=visible(base_url))
    return base_url.strip().rstrip("/") + ENDPOINT


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx then surfaces as an HTTPError


_OPENER = urllib.request.build_opener(_NoRedirects)


def http_sender(settings: DistrictSettings, *, timeout: float = TIMEOUT_SECONDS) -> Sender:
    """A Sender that POSTs the payload to the district configured in `settings`."""
    check_configured(settings)
    url = endpoint(settings.url)

    def send(payload: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {settings.token}",
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "linli",
            },
        )
        day = payload.get("date", "?")
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                return _json(response.read())
        except urllib.error.HTTPError as error:
            reason = _reason(error)
            if error.code >= 500:
                raise DistrictUnreachable("push.server_failed", code=error.code, reason=reason, day=day) from None
            raise DistrictRefused("push.refused", status=error.code, day=day, code=error.code, reason=reason) from None
        except (urllib.error.URLError, OSError) as error:
            why = getattr(error, "reason", None) or error
            raise DistrictUnreachable(
                "push.unreachable", url=visible(settings.url), reason=visible(str(why)), day=day
            ) from None

    return send


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _reason(error: urllib.error.HTTPError) -> str:
    try:
        raw = error.read()
    except OSError:
        raw = b""
    answer = _json(raw)
    text = answer.get("error") if isinstance(answer.get("error"), str) else (error.reason or "")
    return visible(str(text))[:300]


def add_push_job(scheduler: Any, settings: DistrictSettings) -> None:
    """Have the runtime's scheduler push the day at `district.push_at`, and pending days when back online. A
    mistake in [district] does not stop the runtime: each run says it (the scheduler's last_error, the log)."""

    def job() -> None:
        run = push_due(settings, http_sender(settings))
        for day in run.pushed:
            log.info("district: pushed the figures of %s", day)
        for day, why in run.failed:
            log.warning("district: the figures of %s were not pushed: %s", day, why)

    scheduler.add_job(PUSH_JOB, job)
