"""The dispatcher: sends due outbox rows through the gateways, paced, outside quiet hours, within budget.

Each attempt is claimed (status 'sending', with the claimant and time) and committed before the gateway is called,
and its result is committed right after. A row left 'sending' by a dispatcher that died is reconciled with the
provider (`Gateway.find_sent`) before it is ever sent again: found means sent, not found means queue it again.
So across a crash no message is lost and none is sent twice.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import peewee

from kit import outbox
from kit.alerts import raise_alert
from kit.clock import utcnow
from kit.config import DispatchSettings
from kit.db import database, transaction
from kit.gateway import Gateway, GatewayError, Outgoing, SendResult
from kit.localtime import at_local, in_quiet_hours, local_date, parse_hhmm
from kit.models import GatewayHealth, Message, MessageEvent

log = logging.getLogger(__name__)

BATCH = 50
CLAIM_SECONDS = 5  # at a slow pace, claim no more than about this many seconds of sending
LEASE = timedelta(minutes=5)  # an attempt older than this is reconciled even if its dispatcher looks alive
FAILURES_BEFORE_ALERT = 5
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=30)
IN_FLIGHT_VOICE = ("sent", "ringing", "in-progress")


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    expired: int = 0
    reconciled_sent: int = 0
    reconciled_requeued: int = 0
    held: dict[str, str] = field(default_factory=dict)  # channel -> why nothing more was sent now

    def add(self, other: DispatchReport) -> None:
        for name in ("sent", "retried", "failed", "skipped", "expired", "reconciled_sent", "reconciled_requeued"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.held.update(other.held)

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped + self.expired


def _token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{time.time():.0f}"


def _claimant_alive(token: str) -> bool:
    host, _, rest = token.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit() or os.name == "nt":
        return True  # cannot tell: wait for the lease to run out
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Dispatcher:
    def __init__(
        self,
        gateways: Mapping[str, Gateway],
        settings: DispatchSettings,
        zone: ZoneInfo,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        batch: int = BATCH,
    ) -> None:
        self.gateways = dict(gateways)  # by channel: "sms", "voice"
        self.settings = settings
        self.zone = zone
        self.sleep = sleep
        self.monotonic = monotonic
        self.batch = batch
        self.token = _token()
        self.quiet = (parse_hhmm(settings.quiet_start, "quiet_start"), parse_hhmm(settings.quiet_end, "quiet_end"))
        self._last_send: dict[str, float] = {}
        self._succeeded: dict[Gateway, datetime] = {}
        mark = database.param
        self._sql_sent = (
            f"UPDATE message SET status = {mark}, provider_id = {mark}, sent_at = {mark}, updated_at = {mark}, "
            f"error = '', error_code = '' WHERE id = {mark}"
        )
        self._sql_event = (
            f"INSERT INTO message_event (message_id, status, at, detail) VALUES ({mark}, {mark}, {mark}, '') "
            "ON CONFLICT DO NOTHING"
        )

    # --- one pass ------------------------------------------------------------------------------------------

    def run_once(self, *, limit: int | None = None) -> DispatchReport:
        """Reconcile, then send everything due now (paced), then return. For cron and `linli dispatch --once`."""
        report = self.reconcile()
        while limit is None or report.total < limit:
            step = self.step(limit=None if limit is None else limit - report.total)
            report.add(step)
            if step.total == 0:
                break
        return report

    def step(self, *, limit: int | None = None) -> DispatchReport:
        """Expire what is too late, then claim and send one batch per channel."""
        report = DispatchReport()
        report.expired += self.expire_overdue()
        for channel, gateway in self.gateways.items():
            size = self._claim_size(channel) if limit is None else min(self._claim_size(channel), limit)
            claimed = self._claim(channel, gateway, size, report)
            for message in claimed:
                self._send(gateway, message, report)
            self._flush_health()
        return report

    def _claim_size(self, channel: str) -> int:
        """How many rows to claim at once: what the pace lets out in a few seconds, so that a reply queued now does
        not wait behind a long claimed batch of broadcasts."""
        rate = self.settings.rate_per_second
        if channel != "sms" or rate <= 0:
            return self.batch
        return max(1, min(self.batch, int(rate * CLAIM_SECONDS)))

    def _flush_health(self) -> None:
        """Record the last success of each gateway once per batch, not once per message."""
        for gateway, at in self._succeeded.items():
            with transaction():
                self._health(gateway, ok=True, now=at)
        self._succeeded.clear()

    def expire_overdue(self) -> int:
        now = utcnow()
        with transaction():
            ids = [
                m.id
                for m in Message.select(Message.id).where(
                    (Message.direction == "out") & (Message.status == "queued") & (Message.expires_at <= now)
                )
            ]
            if ids:
                Message.update(status="expired", updated_at=now, error="not sent before it expired").where(
                    Message.id.in_(ids)
                ).execute()
                MessageEvent.insert_many(
                    [(i, "expired", now) for i in ids],
                    fields=[MessageEvent.message, MessageEvent.status, MessageEvent.at],
                ).execute()
        return len(ids)

    # --- claiming -------------------------------------------------------------------------------------------

    def _claim(self, channel: str, gateway: Gateway, size: int, report: DispatchReport) -> list[Message]:
        now = utcnow()
        due = (Message.direction == "out") & (Message.status == "queued") & (Message.channel == channel)
        due &= Message.not_before <= now
        if in_quiet_hours(now, self.zone, *self.quiet):
            due &= Message.priority == outbox.PRIORITY_REPLY
            report.held[channel] = "quiet hours"
        if channel == "sms" and self._over_budget(now):
            due &= Message.priority == outbox.PRIORITY_REPLY
            report.held[channel] = "daily budget reached"
        if channel == "voice":
            free = self.settings.concurrent_calls - self._calls_in_progress(now)
            if free <= 0:
                report.held[channel] = "all call lines busy"
                return []
            size = min(size, free)
        with transaction():
            rows = list(
                Message.select().where(due).order_by(Message.priority, Message.not_before, Message.id).limit(size)
            )
            if not rows:
                return []
            opted_out = outbox.opted_out_among(m.peer for m in rows)
            skipped = [m.id for m in rows if m.peer in opted_out]
            claimed = [m for m in rows if m.peer not in opted_out]
            if skipped:
                Message.update(status="skipped", error="opted out", updated_at=now).where(
                    Message.id.in_(skipped)
                ).execute()
                report.skipped += len(skipped)
            if claimed:
                Message.update(
                    status="sending",
                    claimed_at=now,
                    claimed_by=self.token,
                    attempts=Message.attempts + 1,
                    gateway=gateway.name,
                    updated_at=now,
                ).where(Message.id.in_([m.id for m in claimed])).execute()
            for message in claimed:
                message.status, message.claimed_at, message.attempts = "sending", now, message.attempts + 1
            return claimed

    def _over_budget(self, now: datetime) -> bool:
        if self.settings.daily_budget <= 0:
            return False
        day_start = at_local(local_date(now, self.zone), parse_hhmm("00:00"), self.zone)
        segments = (
            Message.select(peewee.fn.COALESCE(peewee.fn.SUM(Message.segments), 0))
            .where((Message.direction == "out") & (Message.channel == "sms") & (Message.sent_at >= day_start))
            .scalar()
        )
        spent = float(segments or 0) * self.settings.sms_segment_price
        if spent >= self.settings.daily_budget:
            raise_alert(
                "budget",
                f"Today's SMS budget ({self.settings.daily_budget:g} {self.settings.currency}) is spent; "
                "broadcasts wait until tomorrow. Raise dispatch.daily_budget to send more.",
                key=f"budget:{local_date(now, self.zone).isoformat()}",
            )
            return True
        return False

    def _calls_in_progress(self, now: datetime) -> int:
        recent = now - timedelta(minutes=15)
        return int(
            Message.select()
            .where(
                (Message.direction == "out")
                & (Message.channel == "voice")
                & (
                    (Message.status == "sending")
                    | ((Message.status.in_(IN_FLIGHT_VOICE)) & (Message.sent_at >= recent))
                )
            )
            .count()
        )

    # --- sending --------------------------------------------------------------------------------------------

    def _pace(self, channel: str) -> None:
        if channel != "sms" or self.settings.rate_per_second <= 0:
            return
        gap = 1.0 / self.settings.rate_per_second
        last = self._last_send.get(channel)
        if last is not None:
            wait = gap - (self.monotonic() - last)
            if wait > 0:
                self.sleep(wait)
        self._last_send[channel] = self.monotonic()

    def _send(self, gateway: Gateway, message: Message, report: DispatchReport) -> None:
        self._pace(message.channel)
        outgoing = outgoing_of(message)
        try:
            result = gateway.send(outgoing)
        except GatewayError as error:
            self._failed(gateway, message, error, report)
        except Exception as error:  # a gateway bug must not stop the dispatcher; the row is retried
            log.exception("gateway %s raised while sending message %s", gateway.name, message.id)
            self._failed(gateway, message, GatewayError(f"{type(error).__name__}: {error}"), report)
        else:
            self._sent(gateway, message, result)
            report.sent += 1

    def _sent(self, gateway: Gateway, message: Message, result: SendResult) -> None:
        # The hot path of every broadcast: two prepared statements in one short transaction.
        now = utcnow()
        status = "sent" if result.status in ("queued", "accepted", "sending") else result.status
        with transaction():
            database.execute_sql(self._sql_sent, (status, result.provider_id, now, now, message.id))
            database.execute_sql(self._sql_event, (message.id, "sent", now))
        self._succeeded[gateway] = now

    def _failed(self, gateway: Gateway, message: Message, error: GatewayError, report: DispatchReport) -> None:
        now = utcnow()
        final = error.permanent or message.attempts >= self.settings.max_attempts
        with transaction():
            values: dict[str, object] = {"error": str(error), "error_code": error.code, "updated_at": now}
            if final:
                values["status"] = "failed"
                report.failed += 1
            else:
                values["status"] = "queued"
                values["not_before"] = now + min(BACKOFF_MAX, BACKOFF_FIRST * (2 ** (message.attempts - 1)))
                report.retried += 1
            Message.update(**values).where(Message.id == message.id).execute()
            if final:
                MessageEvent.insert(
                    message=message.id, status="failed", at=now, detail=str(error)
                ).on_conflict_ignore().execute()
            if error.opted_out:
                outbox.opt_out(message.peer, source=f"{gateway.name}:{error.code}")
            if not error.permanent:
                self._health(gateway, ok=False, now=now, error=str(error))

    def _health(self, gateway: Gateway, *, ok: bool, now: datetime, error: str = "") -> None:
        name = f"{gateway.channel}:{gateway.name}"
        health, _ = GatewayHealth.get_or_create(name=name)
        if ok:
            health.last_success_at = now
            health.consecutive_failures = 0
        else:
            health.last_failure_at = now
            health.consecutive_failures += 1
            health.last_error = error[:500]
            if health.consecutive_failures >= FAILURES_BEFORE_ALERT:
                raise_alert(
                    "gateway",
                    f"The {gateway.channel.upper()} gateway {gateway.name} failed {health.consecutive_failures} times "
                    f"in a row: {error}. Messages wait in the outbox and are retried.",
                    key=f"gateway:{name}:{local_date(now, self.zone).isoformat()}",
                    severity="urgent",
                )
        health.save()

    # --- after a crash --------------------------------------------------------------------------------------

    def reconcile(self) -> DispatchReport:
        """Settle rows left 'sending' by a dispatcher that is gone: ask the provider before sending again."""
        report = DispatchReport()
        now = utcnow()
        stale = list(
            Message.select().where(
                (Message.direction == "out") & (Message.status == "sending") & (Message.claimed_by != self.token)
            )
        )
        for message in stale:
            if _claimant_alive(message.claimed_by) and message.claimed_at and now - message.claimed_at < LEASE:
                continue
            gateway = self.gateways.get(message.channel)
            if gateway is None:
                continue
            since = (message.claimed_at or now) - timedelta(minutes=1)
            try:
                provider_id = gateway.find_sent(outgoing_of(message), since)
            except GatewayError as error:
                log.warning("could not reconcile message %s yet: %s", message.id, error)
                continue
            with transaction():
                if provider_id:
                    Message.update(
                        status="sent", provider_id=provider_id, sent_at=message.claimed_at, updated_at=now
                    ).where((Message.id == message.id) & (Message.status == "sending")).execute()
                    MessageEvent.insert(
                        message=message.id, status="sent", at=now, detail="reconciled"
                    ).on_conflict_ignore().execute()
                    report.reconciled_sent += 1
                else:
                    Message.update(status="queued", not_before=now, updated_at=now, claimed_by="").where(
                        (Message.id == message.id) & (Message.status == "sending")
                    ).execute()
                    report.reconciled_requeued += 1
        return report


def outgoing_of(message: Message) -> Outgoing:
    return Outgoing(
        message_id=message.id,
        channel=message.channel,
        peer=message.peer,
        body=message.body,
        language=message.language,
        kind=message.kind,
    )
