"""Benchmark: previewing and queueing a notice for the whole of a large community.

Target: queueing a notice for 100,000 residents takes at most 2 s (the preview is timed too). The community is the
demo one (`kit.demo.generate_demo`), made once in a temporary folder; generating it is not timed. For scale, the run
also times the floor: one raw INSERT ... SELECT of the same rows into the message table with all its indexes (rolled
back), the work no implementation can avoid.

    python -m tests.bench.bench_notice [--residents 100000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from kit import db
from kit.demo import generate_demo
from kit.models import Message
from kit.notices import Audience, preview_notice, send_notice

TARGET_SECONDS = 2.0
BODY = "明天（11月21日）上午9点至11点，在小区北门按楼栋发放口罩，每户5只。请带好身份证，排队时保持一米距离。"


FLOOR_SQL = """
INSERT INTO message (direction, channel, peer, body, language, kind, status, key, resident_id, notice_id, segments,
    priority, attempts, not_before, created_at, updated_at, claimed_by, gateway, error_code, error, intent,
    corrected_intent)
SELECT 'out', 'sms', phone, ?, language, 'notice', 'queued', 'floor:' || id, id, 0, 1, 7, 0, ?, ?, ?, '', '', '', '',
    '', ''
FROM resident WHERE phone IS NOT NULL AND NOT opted_out ORDER BY id
"""


def floor() -> float:
    """Seconds for the database alone to write the rows (then thrown away). The machine's load shows in the wall
    times; compare send_notice with this floor measured in the same run."""
    now = "2026-11-20 01:00:00"
    with db.database.atomic() as transaction:
        started = time.perf_counter()
        db.database.execute_sql(FLOOR_SQL, (BODY, now, now, now))
        seconds = time.perf_counter() - started
        transaction.rollback()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db.connect(Path(folder) / "bench.sqlite3")
        started = time.perf_counter()
        generate_demo(args.residents, seed=7)
        print(f"demo community of {args.residents:,} residents made in {time.perf_counter() - started:.1f} s")

        started, cpu = time.perf_counter(), time.process_time()
        preview = preview_notice(BODY, Audience(), "sms")
        preview_seconds, preview_cpu = time.perf_counter() - started, time.process_time() - cpu

        floor_seconds = floor()

        started, cpu = time.perf_counter(), time.process_time()
        notice = send_notice(BODY, Audience(), channel="sms", actor="bench", confirm=True)
        send_seconds, send_cpu = time.perf_counter() - started, time.process_time() - cpu
        queued = Message.select().where(Message.notice_id == notice.id).count()

        started = time.perf_counter()
        both = send_notice(BODY + " 谢谢配合。", Audience(), channel="both", actor="bench", confirm=True)
        both_seconds = time.perf_counter() - started
        both_queued = Message.select().where(Message.notice_id == both.id).count()
        db.close()

    print(
        f"preview: {preview.recipients:,} recipients ({preview.sms_recipients:,} SMS, {preview.voice_recipients:,}"
        f" voice), {preview.no_phone:,} without a phone, {preview.encoding} {preview.segments_per_message} segments"
        f" each, {preview.total_segments:,} in all, {preview.cost:,.2f} {preview.currency}"
    )
    print(f"preview_notice:             {preview_seconds:6.2f} s (CPU {preview_cpu:.2f} s)")
    print(f"floor (raw INSERT, 1 query): {floor_seconds:5.2f} s")
    verdict = "within" if send_seconds <= TARGET_SECONDS else "OVER"
    print(
        f"send_notice (sms):          {send_seconds:6.2f} s (CPU {send_cpu:.2f} s) for {queued:,} messages"
        f" ({verdict} the 2 s target)"
    )
    print(f"send_notice (sms + voice):  {both_seconds:6.2f} s for {both_queued:,} messages")


if __name__ == "__main__":
    main()
