"""Benchmark: the gateway pool's paced schedule, the dispatcher's overhead with a pool, and a failover mid-round.

1. A round of 5,000 SMS over 4 gateways paced at 60 a minute each: it should take the time their summed pace allows
   (5,000 / 4 a second = 1,250 s), within 5%. Waiting that out for real would take 21 minutes, so the dispatcher
   gets a fake monotonic clock whose `sleep` moves it forward: every pacing decision is the real code's, made
   against the clock it reads, and the round's length is that clock at the last send. The gateways answer at once,
   so the wall time of this run is the dispatcher's own work (claims, the pool's plan, commits): its overhead.
2. The overhead per message, as tests/bench/bench_dispatcher.py measures it: 20,000 queued SMS through zero-latency
   gateways with no pacing, one gateway and then a pool of 4, wall time divided by messages. Target: < 1 ms.
3. Failover: 5,000 check-ins over 3 paced gateways, one killed (every send refused) after 600 sends: every
   message is sent exactly once, by one gateway, none lost.
Printed; the run stops with an error if a target is missed.

    python -m tests.bench.bench_pool [--messages 5000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kit import db, outbox
from kit.community import init_community
from kit.config import DispatchSettings, GatewaySpec
from kit.dispatcher import Dispatcher, DispatchReport
from kit.gateway import GatewayError, Outgoing, SendResult
from kit.models import Message
from kit.pool import Member

ZONE = ZoneInfo("Asia/Shanghai")
BODY = "【幸福里社区】每日签到：身体好请回复1，发烧咳嗽回复2，需要帮助回复3。"
NEVER_QUIET = DispatchSettings(rate_per_second=0, quiet_start="00:00", quiet_end="00:00")


class Instant:
    """A gateway with no latency, that records when (on the dispatcher's clock) it sent what; `dies_after` sends
    it refuses everything."""

    channel = "sms"

    def __init__(self, name: str, clock: FakeTime | None = None, dies_after: int | None = None) -> None:
        self.name = name
        self.clock = clock
        self.dies_after = dies_after
        self.sent: list[int] = []
        self.last_at = 0.0

    def send(self, message: Outgoing) -> SendResult:
        if self.dies_after is not None and len(self.sent) >= self.dies_after:
            raise GatewayError("connection refused")
        self.sent.append(message.message_id)
        self.last_at = self.clock.now if self.clock else 0.0
        return SendResult(provider_id=f"{self.name}{message.message_id:010d}", status="queued")

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        return None


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def round_of(folder: Path, name: str, count: int, gateways: list[Instant], rate: float, clock: FakeTime) -> float:
    """Queue `count` check-ins, dispatch them through a pool of `gateways` at `rate` a minute each; wall seconds."""
    db.connect(folder / f"{name}.sqlite3")
    init_community("幸福里社区", "CN", "Asia/Shanghai", ["zh"], actor="bench")
    with db.transaction():
        outbox.queue_many(
            [outbox.Draft(peer=f"+86139{i:08d}", body=BODY, kind="checkin", key=f"c:{i}") for i in range(count)]
        )
    members = {"sms": [Member(g, GatewaySpec(g.name, "bench", "sms", rate, 0, 30, 10, {})) for g in gateways]}
    dispatcher = Dispatcher(
        {"sms": gateways[0]}, NEVER_QUIET, ZONE, sleep=clock.sleep, monotonic=clock.monotonic, members=members
    )
    started = time.perf_counter()
    report = DispatchReport()
    while True:  # run_once stops when a pass sends nothing; a failover's moved rows are due at once
        step = dispatcher.run_once()
        report.add(step)
        if step.total == 0:
            break
    elapsed = time.perf_counter() - started
    sent = Message.select().where(Message.status == "sent").count()
    assert sent == count, f"only {sent} of {count} were sent ({report})"
    db.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--overhead-messages", type=int, default=20_000)
    args = parser.parse_args()
    count = args.messages
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)

        clock = FakeTime()
        pool = [Instant(f"g{i}", clock) for i in range(4)]
        wall = round_of(folder, "paced", count, pool, 60.0, clock)
        ideal = count / 4.0
        took = max(g.last_at for g in pool) + 1.0  # the last send's slot ends one gap later
        print(f"pool of 4 at 60/min each: {count} messages in {took:.1f} s of paced time (ideal {ideal:.1f} s)")
        print(f"  off by {abs(took - ideal) / ideal:.2%} (target <= 5%); per gateway {[len(g.sent) for g in pool]}")
        print(f"  wall time {wall:.2f} s: {wall / count * 1000:.3f} ms of dispatcher work per message")
        assert abs(took - ideal) / ideal <= 0.05

        for size in (1, 4):
            gateways = [Instant(f"u{size}{i}") for i in range(size)]
            wall = round_of(folder, f"unpaced{size}", args.overhead_messages, gateways, 0.0, FakeTime())
            per = wall / args.overhead_messages * 1000
            print(f"overhead, {size} zero-latency gateway(s), unpaced: {args.overhead_messages} in {wall:.2f} s")
            print(f"  {per:.3f} ms per message (target < 1 ms)")
            assert per < 1.0

        clock = FakeTime()
        pool = [Instant("a", clock), Instant("b", clock, dies_after=600), Instant("c", clock)]
        wall = round_of(folder, "failover", count, pool, 60.0, clock)
        sent = Counter(message_id for g in pool for message_id in g.sent)
        print(f"failover, 3 at 60/min, b killed after 600 sends: {len(sent)} of {count} sent, ", end="")
        print(f"{sum(1 for n in sent.values() if n > 1)} twice; per gateway {[len(g.sent) for g in pool]}")
        print(f"  paced time {max(g.last_at for g in pool):.0f} s, wall {wall:.2f} s")
        assert len(sent) == count and set(sent.values()) == {1}


if __name__ == "__main__":
    main()
