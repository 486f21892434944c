"""The gateway pool: each channel's due messages spread over its healthy gateways, paced, within their daily caps.

`pool_members` tells what the pool looks like today (the capacity plan and `linli gateways` read it); `Pool` is the
dispatcher's half: which gateway sends which claimed row, and the health that takes a gateway out and back in.

Decisions
- Spread: every gateway has its own pace (`rate_per_minute`). A claimed batch is laid out on the gateways' next free
  slots (earliest first), so each gets messages in proportion to its pace and the batch goes out in slot order at
  the sum of the paces. A gateway at its daily cap (sent today, or being sent, by its name) gets nothing more today.
- Sticky conversations: a message to a number goes through the gateway the number last wrote in on, or was last
  sent from (Message.gateway), so a resident hears from one number. A broadcast gives that up when the gateway's
  next slot is more than STICKY_SLACK_SECONDS behind the pool's (a new gateway still gets its share); a reply
  never does. A gateway that is out of the pool or at its cap is not stuck to.
- Failover: in a pool of two or more, `failover_after_failures` transient failures in a row (GatewayHealth, which
  the dispatcher records) take a gateway out, with an alert; its queued rows are made due at once, so the others
  take them. Nothing is re-sent: a queued row was never accepted by anyone. A lone gateway is never taken out: its
  rows wait with the dispatcher's backoff and its alert, as before pools.
- In flight: a row claimed for a gateway (status 'sending', Message.gateway its name) whose send may have happened
  stays bound to that gateway: only that gateway's `find_sent` settles it (kit.reconcile), never a send through
  another. While the gateway cannot answer, the row waits 'sending'; a row naming a gateway no longer configured
  waits too, and is logged.
- Probe: a gateway out of the pool is tried again every `probe_minutes`: through its own `probe()` when it has one
  (no message involved), else by sending it one real due message (claimed for it like any other, so it is sent at
  most once). A success brings it back, with an alert that says so; a failure keeps it out until the next try.
- Rows of kind TEST_KIND (`linli gateways test`) are pinned to the gateway they name and sent only by
  `Dispatcher.send_one`, never through the pool.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import peewee

from kit import outbox
from kit.alerts import raise_alert
from kit.clock import utcnow
from kit.config import DispatchSettings, GatewaySpec, Settings, gateway_specs
from kit.db import transaction
from kit.errors import NotFound
from kit.gateway import Gateway
from kit.localtime import at_local, local_date, parse_hhmm
from kit.models import Community, GatewayHealth, Message
from kit.templates import FALLBACK, render

if TYPE_CHECKING:
    from kit.dispatcher import Dispatcher

log = logging.getLogger(__name__)

STICKY_SLACK_SECONDS = 10.0
TEST_KIND = "gateway_test"
SENT_STATUSES = ("sent", "delivered", "ringing", "in-progress", "completed", "answered", "busy", "no-answer")


@dataclass(frozen=True)
class PoolMember:
    """One gateway of a channel's pool as it stands today."""

    name: str
    kind: str
    channel: str
    rate_per_minute: float
    daily_cap: int  # 0 = none
    healthy: bool
    sent_today: int
    failed_today: int
    last_error: str


@dataclass
class Member:
    """A gateway the dispatcher sends through, with its configured pace and cap."""

    gateway: Gateway
    spec: GatewaySpec

    @property
    def gap(self) -> float:
        """Seconds between two sends; 0 when unpaced."""
        rate = self.spec.rate_per_minute
        return 60.0 / rate if rate > 0 else 0.0


def single_members(gateways: Mapping[str, Gateway], settings: DispatchSettings) -> dict[str, list[Member]]:
    """One gateway per channel, paced as before pools (dispatch.rate_per_second for SMS, none for voice)."""
    members: dict[str, list[Member]] = {}
    for channel, gateway in gateways.items():
        rate = settings.rate_per_second * 60 if channel == "sms" else 0.0
        spec = GatewaySpec(gateway.name, gateway.name, channel, rate, 0, 30.0, 10.0, {})
        members[channel] = [Member(gateway, spec)]
    return members


def health_name(channel: str, name: str) -> str:
    return f"{channel}:{name}"


def day_start(now: datetime, zone: ZoneInfo) -> datetime:
    return at_local(local_date(now, zone), parse_hhmm("00:00"), zone)


def pool_members(settings: Settings, channel: str) -> list[PoolMember]:
    """The gateways of `channel` with their pace, cap, health and today's counts (the community's local day)."""
    from kit.community import community_zone

    specs = gateway_specs(settings, channel)
    start = day_start(utcnow(), community_zone())
    names = [s.name for s in specs]
    counted = (
        Message.select(Message.gateway, Message.status, peewee.fn.COUNT(Message.id))
        .where(
            (Message.direction == "out")
            & (Message.channel == channel)
            & Message.gateway.in_(names)
            & (
                (Message.status.in_(SENT_STATUSES) & (Message.sent_at >= start))
                | (Message.status.in_(("failed", "undelivered")) & (Message.updated_at >= start))
            )
        )
        .group_by(Message.gateway, Message.status)
        .tuples()
    )
    sent: dict[str, int] = {}
    failed: dict[str, int] = {}
    for name, status, count in counted:
        target = failed if status in ("failed", "undelivered") else sent
        target[name] = target.get(name, 0) + int(count)
    keys = [health_name(channel, n) for n in names]
    health = {h.name: h for h in GatewayHealth.select().where(GatewayHealth.name.in_(keys))}
    members = []
    for spec in specs:
        row = health.get(health_name(channel, spec.name))
        failures = row.consecutive_failures if row else 0
        members.append(
            PoolMember(
                name=spec.name,
                kind=spec.kind,
                channel=channel,
                rate_per_minute=spec.rate_per_minute,
                daily_cap=spec.daily_cap,
                healthy=failures < settings.dispatch.failover_after_failures,
                sent_today=sent.get(spec.name, 0),
                failed_today=failed.get(spec.name, 0),
                last_error=row.last_error if row else "",
            )
        )
    return members


@dataclass
class Pool:
    """The dispatcher's pool: members per channel, their health and the plan of each claimed batch."""

    members: dict[str, list[Member]]
    zone: ZoneInfo
    failover_after: int = 3
    probe_minutes: float = 5.0
    out: set[str] = field(default_factory=set)  # health names of the gateways out of their pool

    def member(self, gateway: Gateway) -> Member | None:
        for member in self.members.get(gateway.channel, []):
            if member.gateway is gateway or member.spec.name == gateway.name:
                return member
        return None

    def by_name(self) -> dict[str, Gateway]:
        return {m.spec.name: m.gateway for members in self.members.values() for m in members}

    def is_out(self, gateway: Gateway) -> bool:
        return health_name(gateway.channel, gateway.name) in self.out

    # --- the plan of a batch --------------------------------------------------------------------------------

    def active(self, channel: str, now: datetime) -> tuple[list[Member], list[Member]]:
        """(members in the pool, members out of it whose probe is due). Probes with a `probe()` run here."""
        members = self.members.get(channel, [])
        if len(members) < 2:
            return list(members), []  # nothing to fail over to: the dispatcher's backoff retries it, as ever
        keys = [health_name(channel, m.spec.name) for m in members]
        health = {h.name: h for h in GatewayHealth.select().where(GatewayHealth.name.in_(keys))}
        active, probing = [], []
        for member in members:
            key = health_name(channel, member.spec.name)
            row = health.get(key)
            if row is None or row.consecutive_failures < self.failover_after:
                self.out.discard(key)
                active.append(member)
                continue
            self.out.add(key)
            last = row.last_failure_at or now
            if now - last < timedelta(minutes=self.probe_minutes):
                continue
            if self._probe(member, row, now):
                active.append(member)
            elif not hasattr(member.gateway, "probe"):
                probing.append(member)
        return active, probing

    def _probe(self, member: Member, health: GatewayHealth, now: datetime) -> bool:
        """A gateway's own probe, when it has one: True when it works again (health written by the caller's
        next success, here directly)."""
        probe = getattr(member.gateway, "probe", None)
        if probe is None:
            return False
        try:
            probe()
        except Exception as error:  # any failure of a probe keeps the gateway out until the next one
            log.warning("probe of gateway %s failed: %s", member.spec.name, error)
            health.last_failure_at, health.last_error = now, str(error)[:500]
            health.save()
            return False
        self.back(member.gateway, health.consecutive_failures)
        health.consecutive_failures, health.last_success_at = 0, now
        health.save()
        return True

    def claim_size(self, channel: str, batch: int, seconds: float) -> int:
        """Rows to claim at once: what the pool's summed pace sends in `seconds` (a full batch if one is unpaced)."""
        members = self.members.get(channel, [])
        if channel != "sms" or not members or any(m.gap == 0 for m in members):
            return batch
        rate = sum(m.spec.rate_per_minute for m in members) / 60.0
        return max(1, min(batch, int(rate * seconds)))

    def plan(
        self, channel: str, rows: Sequence[Message], now: datetime, next_free: Mapping[str, float], clock: float
    ) -> tuple[list[tuple[Member, Message]], str]:
        """Which member sends each of `rows`, in sending order, and why some could not be placed ("" if all were).
        `next_free` is each member's next free moment on the dispatcher's monotonic `clock`."""
        active, probing = self.active(channel, now)
        if not active and not probing:
            return [], "every gateway is out of the pool"
        left = self._left_today(channel, active + probing, now)
        slots = {m.spec.name: max(clock, next_free.get(m.spec.name, clock)) for m in active}
        sticky = self._last_gateways(channel, [r.peer for r in rows])
        plan: list[tuple[float, int, Member, Message]] = []
        for order, message in enumerate(rows):
            if probing:  # a gateway out of the pool gets one message as its probe
                member = probing.pop()
                plan.append((clock, order, member, message))
                continue
            open_members = [m for m in active if left[m.spec.name] > 0]
            if not open_members:
                break
            member = min(open_members, key=lambda m: slots[m.spec.name])
            preferred = next((m for m in open_members if m.spec.name == sticky.get(message.peer)), None)
            if preferred is not None and (
                message.priority == outbox.PRIORITY_REPLY
                or slots[preferred.spec.name] - slots[member.spec.name] <= STICKY_SLACK_SECONDS
            ):
                member = preferred
            name = member.spec.name
            plan.append((slots[name], order, member, message))
            slots[name] += member.gap
            left[name] -= 1
            if left[name] == 0:
                self._capped(member, now)
        plan.sort(key=lambda item: (item[0], item[1]))
        why = "" if len(plan) == len(rows) else "daily cap reached"
        return [(member, message) for _, _, member, message in plan], why

    def _left_today(self, channel: str, members: list[Member], now: datetime) -> dict[str, float]:
        """How many more each member may send today (infinite without a cap)."""
        left: dict[str, float] = {m.spec.name: float("inf") for m in members}
        capped = [m for m in members if m.spec.daily_cap > 0]
        if not capped:
            return left
        start = day_start(now, self.zone)
        used = (
            Message.select(Message.gateway, peewee.fn.COUNT(Message.id))
            .where(
                (Message.direction == "out")
                & (Message.channel == channel)
                & Message.gateway.in_([m.spec.name for m in capped])
                & ((Message.sent_at >= start) | ((Message.status == "sending") & (Message.claimed_at >= start)))
                & (Message.kind != TEST_KIND)
            )
            .group_by(Message.gateway)
            .tuples()
        )
        counts = {name: int(count) for name, count in used}
        for member in capped:
            left[member.spec.name] = max(0, member.spec.daily_cap - counts.get(member.spec.name, 0))
        return left

    def _last_gateways(self, channel: str, peers: list[str]) -> dict[str, str]:
        """Each number's gateway of its last message in or out (sent), among this channel's members."""
        names = [m.spec.name for m in self.members.get(channel, [])]
        if len(names) < 2 or not peers:
            return {}
        rows = (
            Message.select(Message.peer, Message.gateway)
            .where(
                Message.peer.in_(sorted(set(peers)))
                & (Message.channel == channel)
                & Message.gateway.in_(names)
                & ((Message.direction == "in") | Message.status.in_(SENT_STATUSES))
            )
            .order_by(Message.id)
            .tuples()
        )
        return dict(rows)  # the last row of each number wins

    # --- health ---------------------------------------------------------------------------------------------

    def failed(self, gateway: Gateway, failures: int, error: str, now: datetime) -> None:
        """After a transient failure was recorded: at `failover_after` in a row, take the gateway out (once, with
        an alert), and make its queued rows due now so that the others send them."""
        key = health_name(gateway.channel, gateway.name)
        others = [m.spec.name for m in self.members.get(gateway.channel, []) if m.spec.name != gateway.name]
        if failures < self.failover_after or not others:
            return
        Message.update(not_before=now, updated_at=now).where(
            (Message.direction == "out")
            & (Message.status == "queued")
            & (Message.gateway == gateway.name)
            & (Message.not_before > now)
            & (Message.kind != TEST_KIND)
        ).execute()
        if key in self.out:
            return
        self.out.add(key)
        values = {"channel": gateway.channel.upper(), "name": gateway.name, "count": failures, "error": error[:200]}
        values |= {"others": ", ".join(others), "minutes": f"{self.probe_minutes:g}"}
        text = render("alert_gateway_out", _language(), **values)
        raise_alert("gateway", text, key=f"gateway_out:{key}:{now.isoformat()}", severity="urgent")
        log.warning("gateway %s is out of the %s pool after %d failures", gateway.name, gateway.channel, failures)

    def back(self, gateway: Gateway, failures_before: int) -> None:
        """After a success: a gateway that was out of the pool is back in, with an alert that says so."""
        key = health_name(gateway.channel, gateway.name)
        self.out.discard(key)
        if failures_before < self.failover_after:
            return
        text = render("alert_gateway_back", _language(), channel=gateway.channel.upper(), name=gateway.name)
        raise_alert("gateway", text, key=f"gateway_back:{key}:{utcnow().isoformat()}", severity="info")
        log.info("gateway %s is back in the %s pool", gateway.name, gateway.channel)

    def _capped(self, member: Member, now: datetime) -> None:
        values = {"channel": member.spec.channel.upper(), "name": member.spec.name, "cap": member.spec.daily_cap}
        day = local_date(now, self.zone).isoformat()
        key = f"gateway_cap:{member.spec.channel}:{member.spec.name}:{day}"
        raise_alert("gateway", render("alert_gateway_cap", _language(), **values), key=key, severity="info")


def _language() -> str:
    community = Community.select().first()
    return community.language if community is not None else FALLBACK


# --- one test message through one gateway (`linli gateways test`) -------------------------------------------------

FINAL_STATUSES = ("delivered", "failed", "undelivered", "expired", "skipped", "completed")


def queue_test(name: str, channel: str, peer: str, expires_at: datetime) -> Message:
    """Queue one test message pinned to gateway `name` (kind TEST_KIND: the pool never sends it)."""
    body = render("gateway_test", _language(), name=name)
    draft = outbox.Draft(
        peer=peer, body=body, kind=TEST_KIND, channel=channel, priority=outbox.PRIORITY_REPLY, expires_at=expires_at,
        template="gateway_test", params={"name": name},
    )  # fmt: skip
    with transaction():
        message = outbox.queue(draft)
        Message.update(gateway=name).where(Message.id == message.id).execute()
    return Message.get_by_id(message.id)


def send_pinned(dispatcher: Dispatcher, message_id: int) -> None:
    """Send the queued row `message_id` through the gateway it names, and only that one (claimed like any row, so
    it is sent at most once even if a running dispatcher looks at it too)."""
    from kit.dispatcher import DispatchReport

    message = Message.get_by_id(message_id)
    gateway = dispatcher.by_name.get(message.gateway)
    if gateway is None:
        raise NotFound("pool.no_gateway", name=message.gateway)
    now = utcnow()
    with transaction():
        claimed = (
            Message.update(
                status="sending",
                claimed_at=now,
                claimed_by=dispatcher.token,
                attempts=Message.attempts + 1,
                updated_at=now,
            )
            .where((Message.id == message_id) & (Message.status == "queued"))
            .execute()
        )
    if claimed:
        dispatcher._send(gateway, Message.get_by_id(message_id), DispatchReport())
        dispatcher._record_accepted(tries=3)
        dispatcher._flush_health()
