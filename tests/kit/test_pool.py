"""The gateway pool: spread by pace, daily caps, sticky conversations, failover and probes, and rows in flight."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kit import clock
from kit.config import Settings, gateway_specs, load_settings
from kit.db import transaction
from kit.dispatcher import Dispatcher
from kit.gateway import GatewayError, Outgoing, SendResult
from kit.models import Alert, Community, Message
from kit.outbox import PRIORITY_REPLY, Draft, queue, queue_many
from kit.pool import Member, pool_members
from sms.simulator import SimulatorGateway

ZONE = ZoneInfo("Asia/Shanghai")


class Sim(SimulatorGateway):
    """A simulator with its own name that records what it sent, and can be broken."""

    def __init__(self, name: str, *, fail_after: int | None = None) -> None:
        super().__init__("sms")
        self.name = name
        self.sent: list[int] = []
        self.fail_after = fail_after
        self.found: str | None = None  # what find_sent answers; "down" raises

    @property
    def broken(self) -> bool:
        return self.fail_after is not None and len(self.sent) >= self.fail_after

    def send(self, message: Outgoing) -> SendResult:
        if self.broken:
            raise GatewayError("connection refused", code="refused")
        self.sent.append(message.message_id)
        return SendResult(provider_id=f"{self.name}-{message.message_id}", status="delivered")

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        if self.broken:
            raise GatewayError("connection refused")
        return self.found


class FakeTime:
    """The dispatcher's monotonic clock and sleep: sleeping moves the clock, so pacing is measured, not waited."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def configured(tmp_path: Path, tables: str, sms: str) -> Settings:
    path = tmp_path / "linli.toml"
    path.write_text(f"[gateway]\nsms = {sms}\n\n{tables}", encoding="utf-8")
    return load_settings(path, env={})


def pool_of(settings: Settings, sims: list[Sim], time: FakeTime | None = None) -> Dispatcher:
    time = time or FakeTime()
    specs = {spec.name: spec for spec in gateway_specs(settings, "sms")}
    members = {"sms": [Member(sim, specs[sim.name]) for sim in sims]}
    return Dispatcher(
        {"sms": sims[0]}, settings.dispatch, ZONE, sleep=time.sleep, monotonic=time.monotonic, members=members
    )


def three(tmp_path: Path, rates: tuple[int, int, int] = (60, 60, 60), extra: str = "") -> Settings:
    tables = "".join(
        f'[gateways.{name}]\nkind = "simulator"\nrate_per_minute = {rate}\n{extra}\n'
        for name, rate in zip("abc", rates, strict=True)
    )
    return configured(tmp_path, tables, '["a", "b", "c"]')


def check_ins(count: int) -> None:
    with transaction():
        queue_many([Draft(peer=f"+86138{i:08d}", body="签到", kind="checkin", key=f"c:{i}") for i in range(count)])


def test_messages_are_spread_in_proportion_to_each_gateways_pace(community: Community, tmp_path: Path) -> None:
    sims = [Sim("a"), Sim("b"), Sim("c")]
    time = FakeTime()
    dispatcher = pool_of(three(tmp_path, (60, 120, 180)), sims, time)
    check_ins(600)
    report = dispatcher.run_once()
    assert report.sent == 600
    assert [len(sim.sent) for sim in sims] == [100, 200, 300]
    assert time.now == pytest.approx(100, abs=1.5)  # 600 at the summed pace of 6 a second
    assert Counter(m.gateway for m in Message.select()) == {"a": 100, "b": 200, "c": 300}


def test_a_gateway_sends_no_more_than_its_daily_cap(community: Community, tmp_path: Path) -> None:
    settings = configured(
        tmp_path,
        '[gateways.a]\nkind = "simulator"\ndaily_cap = 10\n[gateways.b]\nkind = "simulator"\ndaily_cap = 25\n',
        '["a", "b"]',
    )
    sims = [Sim("a"), Sim("b")]
    check_ins(50)
    report = pool_of(settings, sims).run_once()
    assert (len(sims[0].sent), len(sims[1].sent)) == (10, 25)
    assert report.held["sms"] == "daily cap reached"
    assert Message.select().where(Message.status == "queued").count() == 15
    assert Alert.select().where(Alert.key.startswith("gateway_cap:sms:a:")).count() == 1
    caps = {m.name: (m.sent_today, m.daily_cap) for m in pool_members(settings, "sms")}
    assert caps == {"a": (10, 10), "b": (25, 25)}


def test_a_reply_goes_out_through_the_gateway_the_resident_wrote_in_on(community: Community, tmp_path: Path) -> None:
    sims = [Sim("a"), Sim("b"), Sim("c")]
    dispatcher = pool_of(three(tmp_path), sims)
    peer = "+8613900000001"
    Message.create(direction="in", peer=peer, body="1", status="processed", gateway="c", provider_id="in-1")
    for i in range(3):
        queue(Draft(peer=peer, body=f"reply {i}", kind="ack", key=f"ack:{i}", priority=PRIORITY_REPLY))
    dispatcher.run_once()
    assert [len(s.sent) for s in sims] == [0, 0, 3]


def test_a_conversation_moves_when_its_gateway_is_out(community: Community, tmp_path: Path) -> None:
    sims = [Sim("a"), Sim("b"), Sim("c", fail_after=0)]
    dispatcher = pool_of(three(tmp_path), sims)
    peer = "+8613900000001"
    Message.create(direction="in", peer=peer, body="1", status="processed", gateway="c", provider_id="in-1")
    for i in range(4):
        queue(Draft(peer=peer, body=f"reply {i}", kind="ack", key=f"ack:{i}", priority=PRIORITY_REPLY))
    dispatcher.run_once()
    assert Message.select().where((Message.direction == "out") & (Message.status == "delivered")).count() == 4
    assert len(sims[0].sent) + len(sims[1].sent) == 4


def test_with_one_of_three_failing_mid_round_everyone_gets_exactly_one_check_in(
    community: Community, tmp_path: Path
) -> None:
    sims = [Sim("a"), Sim("b", fail_after=40), Sim("c")]
    dispatcher = pool_of(three(tmp_path), sims)
    check_ins(300)
    dispatcher.run_once()
    sent = sims[0].sent + sims[1].sent + sims[2].sent
    assert sorted(sent) == sorted(m.id for m in Message.select())  # each message once, none lost
    assert Message.select().where(Message.status != "delivered").count() == 0
    assert len(sims[1].sent) == 40 and len(sims[0].sent) > 100 and len(sims[2].sent) > 100
    health = {m.name: m.healthy for m in pool_members(dispatcher_settings(tmp_path), "sms")}
    assert health == {"a": True, "b": False, "c": True}
    out = Alert.get(Alert.key.startswith("gateway_out:sms:b:"))
    assert "b" in out.text and "a, c" in out.text


def dispatcher_settings(tmp_path: Path) -> Settings:
    return load_settings(tmp_path / "linli.toml", env={})


def test_a_row_in_flight_on_a_dead_gateway_is_never_sent_elsewhere(
    community: Community, tmp_path: Path, fixed_clock: clock.FixedClock
) -> None:
    sims = [Sim("a"), Sim("b", fail_after=0), Sim("c")]
    dispatcher = pool_of(three(tmp_path), sims)
    queue(Draft(peer="+8613900000001", body="签到", kind="checkin", key="c:1"))
    claimed_at = clock.utcnow() - timedelta(minutes=10)  # its dispatcher is gone and its lease ran out
    Message.update(status="sending", gateway="b", claimed_by="elsewhere:1:1", claimed_at=claimed_at).execute()
    dispatcher.run_once()
    assert Message.get().status == "sending" and Message.get().gateway == "b"
    assert sims[0].sent == sims[2].sent == []
    sims[1].fail_after, sims[1].found = None, "b-provider-1"  # back, and it had sent it
    report = dispatcher.run_once()
    assert report.reconciled_sent == 1
    assert (Message.get().status, Message.get().provider_id) == ("sent", "b-provider-1")
    assert sims[0].sent == sims[1].sent == sims[2].sent == []


def test_a_gateway_out_of_the_pool_comes_back_after_a_successful_probe(
    community: Community, tmp_path: Path, fixed_clock: clock.FixedClock
) -> None:
    sims = [Sim("a"), Sim("b", fail_after=0), Sim("c")]
    dispatcher = pool_of(three(tmp_path), sims)
    check_ins(30)
    dispatcher.run_once()
    assert sims[1].sent == [] and not _healthy(tmp_path)["b"]
    check_ins(60)  # keys c:30.. are new
    sims[1].fail_after = None  # repaired; not tried before probe_minutes have passed
    dispatcher.run_once()
    assert sims[1].sent == []
    fixed_clock.advance(minutes=5)
    with transaction():
        queue_many([Draft(peer=f"+86139{i:08d}", body="x", kind="checkin", key=f"d:{i}") for i in range(30)])
    dispatcher.run_once()
    assert len(sims[1].sent) >= 5  # the probe went through, and it is back in the pool
    assert _healthy(tmp_path)["b"]
    assert Alert.select().where(Alert.key.startswith("gateway_back:sms:b:")).count() == 1


def test_a_gateway_with_a_probe_is_probed_without_a_message(
    community: Community, tmp_path: Path, fixed_clock: clock.FixedClock
) -> None:
    class Probed(Sim):
        probes = 0

        def probe(self) -> None:
            Probed.probes += 1
            if self.fail_after is not None:
                raise GatewayError("still down")

    sims = [Sim("a"), Probed("b", fail_after=0), Sim("c")]
    dispatcher = pool_of(three(tmp_path), sims)
    check_ins(30)
    dispatcher.run_once()
    fixed_clock.advance(minutes=6)
    check_ins(40)
    dispatcher.run_once()
    assert Probed.probes == 1 and sims[1].sent == []  # the probe failed: no message was risked on it
    fixed_clock.advance(minutes=6)
    sims[1].fail_after = None
    check_ins(90)
    dispatcher.run_once()
    assert Probed.probes == 2 and len(sims[1].sent) > 0


def _healthy(tmp_path: Path) -> dict[str, bool]:
    return {m.name: m.healthy for m in pool_members(dispatcher_settings(tmp_path), "sms")}


def test_the_plain_simulator_setting_is_one_gateway_paced_as_before(community: Community) -> None:
    (spec,) = gateway_specs(Settings(), "sms")
    assert (spec.name, spec.kind, spec.rate_per_minute, spec.daily_cap) == ("simulator", "simulator", 60.0, 0)
    (member,) = pool_members(Settings(), "sms")
    assert member.healthy and (member.sent_today, member.failed_today) == (0, 0)
