"""Benchmark: the reply parser on long, hostile replies (a provider may deliver thousands of characters).

For each kind of reply, the time to parse 10,000 characters (target: under 50 ms) and how that time grows from
5,000 to 40,000 characters (8 for a linear parser, 64 for a quadratic one). The best of a few runs, in CPU time of
this process. Printed, never asserted (tests/sms/test_parser_linear.py guards the growth).

    python -m tests.bench.bench_parser [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

from sms.parser import parse_reply

# (name, a unit repeated to the wanted length)
REPLIES = [
    ("plain letters", "a"),
    ("words", "help me fever "),
    ("numbers", "38 "),
    ("labelled numbers", "room 38 "),
    ("temperatures", "38.5度 "),
    ("chinese numerals", "三十八度五 "),
    ("negations", "不"),
    ("chinese keywords", "求助买药发烧咳嗽不好，"),
    ("punctuation after help", "help" + "!" * 5000 + "a"),
    ("digits and dots", "3."),
]


def reply_of(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def best_of(text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        parse_reply(text, "zh")
        best = min(best, time.process_time() - started)
    return best


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--repeat", type=int, default=3)
    args = options.parse_args()
    parse_reply("warm up")
    print(f"{'reply':26} {'10,000 chars':>13} {'growth 5k->40k':>15}")
    for name, unit in REPLIES:
        at_10k = best_of(reply_of(unit, 10_000), args.repeat)
        growth = best_of(reply_of(unit, 40_000), args.repeat) / max(best_of(reply_of(unit, 5_000), args.repeat), 1e-9)
        print(f"{name:26} {at_10k * 1000:10.1f} ms {growth:15.1f}")


if __name__ == "__main__":
    main()
