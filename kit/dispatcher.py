"""The dispatcher: sends due outbox rows through the gateways, paced, outside quiet hours, within budget.

Each attempt is claimed (status 'sending', with the claimant and time) and committed before the gateway is called,
and its result is committed right after. A row left 'sending' by a dispatcher that died is reconciled with the
provider (`Gateway.find_sent`) before it is ever sent again: found means sent, not found means queue it again.
So across a crash no message is lost and none is sent twice. Which gateway of a channel's pool sends which row,
its pace and cap, and failover: kit.pool.

Decisions
- A lock held by another writer is not a crash: what the provider accepted is written later, and the rows of its
  own left 'sending' are settled while the dispatcher runs (`kit.reconcile`).
- A message that fails for good raises an operator's alert, once per message.
- Replies pass quiet hours (a person is waiting) but not the daily budget or the daily reply limit of a number
  (`kit.spending`).
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

from kit import outbox
from kit.alerts import alert_message_error, alert_text, raise_alert
from kit.busy import is_busy
from kit.clock import utcnow
from kit.config import DispatchSettings
from kit.db import transaction
from kit.gateway import Gateway, GatewayError, SendResult
from kit.localtime import in_quiet_hours, local_date, parse_hhmm
from kit.models import GatewayHealth, Message, MessageEvent
from kit.pool import TEST_KIND, Member, Pool, single_members
from kit.reconcile import COMMIT_PAUSES, Accepted, Reconciler, outgoing_of
from kit.spending import REPLY_LIMIT, beyond_reply_limit, budget_left, within_budget

log = logging.getLogger(__name__)

BATCH = 50
CLAIM_SECONDS = 5  # at a slow pace, claim no more than about this many seconds of sending
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
    skipped_for: dict[str, int] = field(default_factory=dict)  # why rows were skipped -> how many ("opted out")

    def add(self, other: DispatchReport) -> None:
        for name in ("sent", "retried", "failed", "skipped", "expired", "reconciled_sent", "reconciled_requeued"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.held.update(other.held)
        for why, count in other.skipped_for.items():
            self.skipped_for[why] = self.skipped_for.get(why, 0) + count

    def skip(self, why: str, count: int) -> None:
        """Count `count` rows skipped (never sent) for the reason `why`, the error they are stored with."""
        if count:
            self.skipped += count
            self.skipped_for[why] = self.skipped_for.get(why, 0) + count

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped + self.expired


def _token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{time.time():.0f}"


class Dispatcher(Reconciler):
    def __init__(
        self,
        gateways: Mapping[str, Gateway],
        settings: DispatchSettings,
        zone: ZoneInfo,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        batch: int = BATCH,
        members: Mapping[str, list[Member]] | None = None,
    ) -> None:
        super().__init__(gateways, _token(), sleep)
        members = members or getattr(gateways, "members", None) or single_members(gateways, settings)
        self.pool = Pool(dict(members), zone, settings.failover_after_failures, settings.probe_minutes)
        self.by_name.update(self.pool.by_name())
        self.settings = settings
        self.zone = zone
        self.monotonic = monotonic
        self.batch = batch
        self.quiet = (parse_hhmm(settings.quiet_start, "quiet_start"), parse_hhmm(settings.quiet_end, "quiet_end"))
        self._last_send: dict[str, float] = {}
        self._succeeded: dict[Gateway, datetime] = {}

    # --- one pass ------------------------------------------------------------------------------------------

    def run_once(self, *, limit: int | None = None) -> DispatchReport:
        """Reconcile, then send everything due now (paced), then return. For cron and `linli dispatch --once`."""
        report = self.reconcile()
        while limit is None or report.total < limit:
            step = self.step(limit=None if limit is None else limit - report.total)
            report.add(step)
            if step.total == 0:
                break
        if self._accepted:
            self._record_accepted(tries=1 + len(COMMIT_PAUSES))
        return report

    def step(self, *, limit: int | None = None) -> DispatchReport:
        """Expire what is too late, then claim and send one batch per channel."""
        report = DispatchReport()
        self._settle_own(report)
        report.expired += self.expire_overdue()
        for channel in self.pool.members:
            # what the pool's pace lets out in a few seconds, so a reply queued now does not wait behind a long batch
            size = self.pool.claim_size(channel, self.batch, CLAIM_SECONDS)
            size = size if limit is None else min(size, limit)
            claimed = self._claim(channel, size, report)
            try:
                for gateway, message in claimed:
                    self._send(gateway, message, report)
            except BaseException:
                self._unsettled = True  # the rest of the batch stays 'sending': settled at the next step
                raise
            if self._accepted:
                self._record_accepted()
            self._flush_health()
        return report

    def _flush_health(self) -> None:
        """Record the last success of each gateway once per batch, not once per message (kept for the next batch
        when another writer holds the lock)."""
        for gateway, at in list(self._succeeded.items()):
            try:
                with transaction():
                    self._health(gateway, ok=True, now=at)
            except Exception as error:
                if not is_busy(error):
                    raise
                log.warning("the health of gateway %s waits: the database is busy", gateway.name)
                return
            del self._succeeded[gateway]

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

    def _claim(self, channel: str, size: int, report: DispatchReport) -> list[tuple[Gateway, Message]]:
        now = utcnow()
        due = (Message.direction == "out") & (Message.status == "queued") & (Message.channel == channel)
        due &= (Message.not_before <= now) & (Message.kind != TEST_KIND)
        if in_quiet_hours(now, self.zone, *self.quiet):
            due &= Message.priority == outbox.PRIORITY_REPLY
            report.held[channel] = "quiet hours"
        left = budget_left(self.settings, now, self.zone) if channel == "sms" else float("inf")
        if left <= 0:
            report.held[channel] = "daily budget reached"  # replies cost the same: they wait too
            return []
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
            skipped = [m.id for m in rows if m.peer in opted_out and outbox.opt_out_stops(m.channel, m.kind)]
            beyond = beyond_reply_limit(self.settings, [m for m in rows if m.id not in skipped], now, self.zone)
            claimed = within_budget(
                self.settings, [m for m in rows if m.id not in skipped and m.id not in beyond], left
            )
            if len(claimed) < len(rows) - len(skipped) - len(beyond):
                report.held[channel] = "daily budget reached"
            if skipped:
                Message.update(status="skipped", error="opted out", updated_at=now).where(
                    Message.id.in_(skipped)
                ).execute()
                report.skip("opted out", len(skipped))
            if beyond:
                Message.update(status="skipped", error=REPLY_LIMIT, updated_at=now).where(
                    Message.id.in_(sorted(beyond))
                ).execute()
                report.skip(REPLY_LIMIT, len(beyond))
            plan, why = self.pool.plan(channel, claimed, now, self._next_free(), self.monotonic())
            if why:
                report.held[channel] = why
            for name in {member.spec.name for member, _ in plan}:
                Message.update(
                    status="sending",
                    claimed_at=now,
                    claimed_by=self.token,
                    attempts=Message.attempts + 1,
                    gateway=name,
                    updated_at=now,
                ).where(Message.id.in_([m.id for member, m in plan if member.spec.name == name])).execute()
            for _, message in plan:
                message.status, message.claimed_at, message.attempts = "sending", now, message.attempts + 1
            return [(member.gateway, message) for member, message in plan]

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

    def _next_free(self) -> dict[str, float]:
        """Each paced gateway's next free moment on the monotonic clock (its last send plus its gap)."""
        gaps = {m.spec.name: m.gap for members in self.pool.members.values() for m in members}
        return {name: last + gaps.get(name, 0.0) for name, last in self._last_send.items()}

    def _pace(self, gateway: Gateway) -> None:
        """Wait for `gateway`'s next slot: each gateway has its own pace (kit.pool)."""
        member = self.pool.member(gateway)
        gap = member.gap if member is not None else 0.0
        if gap <= 0:
            return
        last = self._last_send.get(gateway.name)
        if last is not None:
            wait = gap - (self.monotonic() - last)
            if wait > 0:
                self.sleep(wait)
        self._last_send[gateway.name] = self.monotonic()

    def _send(self, gateway: Gateway, message: Message, report: DispatchReport) -> None:
        self._pace(gateway)
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
        now = utcnow()
        status = "sent" if result.status in ("queued", "accepted", "sending") else result.status
        # The one log line per message: which message, by which gateway; never the number or the text.
        log.info("message %s (%s) %s by %s %s", message.id, message.kind, status, gateway.channel, gateway.name)
        self._succeeded[gateway] = now
        self._accepted.append(Accepted(message.id, status, result.provider_id, now))
        if len(self._accepted) == 1:  # nothing waiting for the lock: write it now, waiting a lock out briefly
            self._record_accepted(tries=1 + len(COMMIT_PAUSES))

    def _failed(self, gateway: Gateway, message: Message, error: GatewayError, report: DispatchReport) -> None:
        now = utcnow()
        final = error.permanent or message.attempts >= self.settings.max_attempts
        values: dict[str, object] = {"error": str(error), "error_code": error.code, "updated_at": now}
        if final:
            values["status"] = "failed"
        else:
            values["status"] = "queued"
            values["not_before"] = now + min(BACKOFF_MAX, BACKOFF_FIRST * (2 ** (message.attempts - 1)))
        try:
            with transaction():
                Message.update(**values).where(Message.id == message.id).execute()
                if final:
                    MessageEvent.insert(
                        message=message.id, status="failed", at=now, detail=str(error)
                    ).on_conflict_ignore().execute()
                    alert_message_error(
                        message.id,
                        direction="out",
                        peer=message.peer,
                        error=str(error),
                        resident_id=message.resident_id,
                    )
                if error.opted_out:
                    outbox.opt_out(message.peer, source=f"{gateway.name}:{error.code}")
                if not error.permanent:
                    self._health(gateway, ok=False, now=now, error=str(error))
        except Exception as failure:
            if not is_busy(failure):
                raise
            log.warning("the failure of message %s waits to be settled: the database is busy", message.id)
            self._unsettled = True
            return
        if final:
            report.failed += 1
        else:
            report.retried += 1

    def _health(self, gateway: Gateway, *, ok: bool, now: datetime, error: str = "") -> None:
        name = f"{gateway.channel}:{gateway.name}"
        health, _ = GatewayHealth.get_or_create(name=name)
        if ok:
            self.pool.back(gateway, health.consecutive_failures)
            health.last_success_at = now
            health.consecutive_failures = 0
        else:
            health.last_failure_at = now
            health.consecutive_failures += 1
            health.last_error = error[:500]
            alone = len(self.pool.members.get(gateway.channel, [])) < 2  # in a pool, kit.pool alerts instead
            if health.consecutive_failures >= FAILURES_BEFORE_ALERT and alone:
                raise_alert(
                    "gateway",
                    alert_text(
                        "alert_gateway_failing",
                        channel=gateway.channel.upper(),
                        name=gateway.name,
                        count=health.consecutive_failures,
                        error=error,
                    ),
                    key=f"gateway:{name}:{local_date(now, self.zone).isoformat()}",
                    severity="urgent",
                )
        health.save()
        if not ok:
            self.pool.failed(gateway, health.consecutive_failures, error, now)
