"""The done-means of durable sending: a 2,000-recipient broadcast whose dispatcher is killed (SIGKILL) again and
again still reaches every recipient exactly once.

A separate process dispatches through TwilioSmsGateway to the fake Twilio server. The test kills it at seeded
random moments (after a random number of messages reached the fake) and once while the fake holds back its answer
to a message it has taken, so the killed dispatcher never learns the sid: only reconciliation (find_sent) can
settle that row without sending it twice. Runs on the system clock, as the worker does.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit import db, outbox
from kit.community import init_community
from kit.models import Message, MessageEvent
from tests.fakes.twilio_server import FakeTwilio, read_journal

RECIPIENTS = 2000
REPO = Path(__file__).resolve().parents[2]
BODY = "【幸福里社区】通知：明天（周六）8:00-12:00 3号楼停水，请提前储水。需要帮助请回复3。"

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL")


class Worker:
    """One dispatcher process; a watcher thread wakes the test's waits on the fake when it ends."""

    def __init__(self, database: Path, fake: FakeTwilio, logs: Path, run: int) -> None:
        self.out = (logs / f"worker{run}.out").open("w")
        self.err = (logs / f"worker{run}.err").open("w")
        command = [sys.executable, "-m", "tests.sms.crash_worker", str(database), fake.url]
        command += [fake.account_sid, fake.auth_token, fake.number]
        self.process = subprocess.Popen(command, cwd=REPO, stdout=self.out, stderr=self.err)
        self.fake = fake
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        self.process.wait()
        self.fake.notify()

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.running:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)  # reaped: its claims now belong to a dead process
        self.out.close()
        self.err.close()

    def finish(self) -> dict[str, int]:
        code = self.process.wait(60)
        self.out.close()
        self.err.close()
        errors = Path(self.err.name).read_text()
        assert code == 0, errors
        return dict(json.loads(Path(self.out.name).read_text().strip().splitlines()[-1]))


def unfinished() -> int:
    return int(Message.select().where((Message.direction == "out") & Message.status.in_(["queued", "sending"])).count())


@pytest.fixture
def live_database(tmp_path: Path) -> Iterator[Path]:
    """A database on the system clock (the worker processes run on it too)."""
    path = tmp_path / "linli.sqlite3"
    db.connect(path)
    yield path
    db.close()


def test_a_killed_broadcast_reaches_everybody_exactly_once(tmp_path: Path, live_database: Path) -> None:
    rng = random.Random(20261120)
    init_community("幸福里社区", "CN", "Asia/Shanghai", ["zh"], actor="test")
    peers = [f"+86139{i:08d}" for i in range(RECIPIENTS)]
    with db.transaction():
        queued = outbox.queue_many([outbox.Draft(peer=p, body=BODY, kind="notice", key=f"n1:{p}") for p in peers])
    assert queued == RECIPIENTS

    journal = tmp_path / "fake.jsonl"
    with FakeTwilio(journal=journal) as fake:
        run = 0

        # 1. Kill while the fake holds back its answer to a message it has taken (sent, but never recorded).
        fake.hold(rng.randint(100, 300))
        worker = Worker(live_database, fake, tmp_path, run)
        assert fake.held.wait(60), "the worker never reached the held message"
        worker.kill()
        fake.release()
        held_sid = fake.held_sid
        kills = [("held after accepting", fake.created)]

        # 2. Kill at random moments, in random phases: right after the fake took a message (before the worker
        #    hears back), while the fake holds a request it has not taken yet, and while a new worker is still
        #    reconciling the rows the last one left 'sending'.
        modes = ["accepted", "accepted", "before accepting", "reconciling"]
        modes.append(rng.choice(modes))
        rng.shuffle(modes)
        for mode in modes:
            run += 1
            if mode == "before accepting":
                fake.hold(rng.randint(40, 300), before_accepting=True)
                worker = Worker(live_database, fake, tmp_path, run)
                assert fake.held.wait(60), "the worker never reached the held request"
                worker.kill()
                fake.release()
            else:
                counter = "created" if mode == "accepted" else "listed"
                target = getattr(fake, counter) + (rng.randint(40, 400) if mode == "accepted" else rng.randint(1, 8))
                worker = Worker(live_database, fake, tmp_path, run)

                def reached(w: Worker = worker, c: str = counter, t: int = target) -> bool:
                    return bool(getattr(fake, c) >= t or not w.running)

                fake.wait_for(reached, 60)
                worker.kill()
            kills.append((mode, fake.created))

        # 3. Let it run to the end (more than once only if a run leaves work, which it should not).
        reports = []
        while unfinished() and run < 10:
            run += 1
            reports.append(Worker(live_database, fake, tmp_path, run).finish())

        sent = fake.sent()

    assert unfinished() == 0
    assert all(count < RECIPIENTS for _, count in kills), f"kills did not land mid-broadcast: {kills}"

    # Exactly one message per recipient reached the provider, and the journal (another view) agrees.
    per_peer = Counter(m["to"] for m in sent)
    assert len(sent) == RECIPIENTS
    assert set(per_peer) == set(peers)
    assert max(per_peer.values()) == 1
    assert len(read_journal(journal)) == RECIPIENTS

    # Every outbox row is 'sent' with the sid the provider gave its recipient.
    sid_of = {m["to"]: m["sid"] for m in sent}
    rows = list(Message.select(Message.peer, Message.status, Message.provider_id).where(Message.direction == "out"))
    assert Counter(r.status for r in rows) == {"sent": RECIPIENTS}
    assert all(r.provider_id == sid_of[r.peer] for r in rows)

    # The held message was settled by asking the provider, not by sending it again.
    held = Message.get(Message.provider_id == held_sid)
    event = MessageEvent.get((MessageEvent.message == held.id) & (MessageEvent.status == "sent"))
    assert event.detail == "reconciled"
    reconciled = MessageEvent.select().where(MessageEvent.detail == "reconciled").count()
    assert reconciled >= 1
    print(f"\nkills after {kills} messages; {reconciled} reconciled as sent; final runs: {reports}")
