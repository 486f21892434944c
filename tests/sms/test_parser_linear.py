"""The reply parser takes time in proportion to the reply's length, whatever the reply.

Not a timed assert: the time to parse 40,000 characters is compared with the time for 5,000 of the same kind.
A linear parser grows 8 times, a quadratic one 64 times; the bound (24) leaves room for a busy machine. CPU time
of this process, the best of three runs. `tests/bench/bench_parser.py` prints the figures.
"""

from __future__ import annotations

import time

import pytest

from sms.parser import parse_reply
from tests.bench.bench_parser import REPLIES, reply_of

SHORT, LONG = 5_000, 40_000
LINEAR, BOUND = LONG / SHORT, 24.0


def cpu_seconds(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        parse_reply(text, "zh")
        best = min(best, time.process_time() - started)
    return max(best, 1e-6)


@pytest.mark.parametrize(("name", "unit"), REPLIES, ids=[name for name, _ in REPLIES])
def test_parsing_time_grows_linearly_with_the_reply(name: str, unit: str) -> None:
    parse_reply(reply_of(unit, 100), "zh")  # tables loaded and cached
    growth = cpu_seconds(reply_of(unit, LONG)) / cpu_seconds(reply_of(unit, SHORT))
    assert growth < BOUND, f"{name}: {LONG:,} characters took {growth:.0f}x the time of {SHORT:,} (linear: {LINEAR:g}x)"


def test_a_long_reply_is_still_read() -> None:
    long_help = "求助 买药" + "，" * 9_000 + "谢谢"
    assert parse_reply(long_help).kind == "help"
    assert parse_reply("room 38 " * 1_250 + "38.6").temperature_c == 38.6
    assert parse_reply("ok " + "!" * 9_990).kind == "well"
