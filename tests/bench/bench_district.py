"""Benchmark: a district of 50 communities with a year of daily pushes, on PostgreSQL.

Loads 50 communities x 365 days (10 grids each, every figure) through the service the server uses
(`kit.district.parse_push` + `store_push`), pushes a sample over HTTP to a real district server on loopback, then
times what the district reads. Targets: `district status` for one day < 200 ms, the 14-day trend < 500 ms, one
push (one community's day) < 10 kB.

    python -m tests.bench.bench_district [--url postgresql://...] [--communities 50] [--days 365]

Without --url a throwaway PostgreSQL server is started as the tests do (tests/postgres.py); --url sqlite:PATH
runs the same on a SQLite file.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Any

from kit import clock, db
from kit.config import DistrictSettings
from kit.district import add_community, parse_push, store_push
from kit.district_view import district_status, district_trend
from kit.figures import FIGURES, DayFigures, GridFigures
from linli.district.server import ENDPOINT, DistrictServer

END = date(2026, 11, 20)
GRIDS = 10
HTTP_SAMPLE = 200
SILENT = 5  # communities that have not reported on the last day


def day_payload(community: str, day: date, rng: random.Random) -> dict[str, Any]:
    """One community's day as `linli report push` sends it: every figure of every grid, realistic sizes."""
    grids = []
    for number in range(1, GRIDS + 1):
        residents = rng.randint(250, 1200)
        asked = residents - rng.randint(0, 40)
        answered = asked - rng.randint(0, 120)
        figures = dict.fromkeys(FIGURES, 0)
        figures.update(
            residents=residents,
            asked=asked,
            answered=answered,
            silent=asked - answered,
            well=answered - rng.randint(0, 30),
            unwell=rng.randint(0, 30),
            fever=rng.randint(0, 12),
            help=rng.randint(0, 9),
            unreachable=rng.randint(0, 25),
            monitored=rng.randint(0, 80),
            red=rng.randint(0, 6),
            yellow=rng.randint(0, 20),
            tasks_new=rng.randint(0, 15),
            tasks_open=rng.randint(0, 30),
            tasks_done=rng.randint(0, 15),
        )
        grids.append(GridFigures(f"第{number}网格", figures))
    as_of = datetime.combine(day, datetime.min.time()) + timedelta(hours=13)
    return DayFigures(community, day, as_of, grids).as_dict()


def wire_bytes(payload: dict[str, Any]) -> bytes:
    """The request body exactly as linli.district_push sends it."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def timed(run: Callable[[], object], times: int) -> list[float]:
    """Milliseconds of each of `times` runs."""
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def describe(name: str, spent: list[float], target: float) -> str:
    p95 = sorted(spent)[max(0, int(len(spent) * 0.95) - 1)]
    verdict = "ok" if statistics.median(spent) < target else "OVER"
    return (
        f"{name:<28} first {spent[0]:7.1f} ms  median {statistics.median(spent):7.1f} ms  p95 {p95:7.1f} ms"
        f"  (target < {target:.0f} ms: {verdict})"
    )


@contextmanager
def database_url(url: str | None) -> Iterator[str]:
    if url:
        yield url.removeprefix("sqlite:")
        return
    from tests.postgres import start_server

    server = start_server()
    try:
        yield server.create("linli_bench_district")
    finally:
        server.stop()


def load(communities: int, days: int, rng: random.Random) -> tuple[list[Any], float]:
    """Every community's every day through the service; returns the communities and ms per push."""
    rows = [add_community(f"第{number}社区", actor="bench")[0] for number in range(1, communities + 1)]
    started = time.perf_counter()
    for offset in range(days - 1, -1, -1):
        day = END - timedelta(days=offset)
        for number, community in enumerate(rows):
            if offset == 0 and number >= communities - SILENT:
                continue  # these have not reported on the last day: status then says since when
            store_push(community, parse_push(day_payload(community.name, day, rng), max_age_days=days + 30))
    spent = (time.perf_counter() - started) * 1000
    return rows, spent / (communities * days - SILENT)


def http_pushes(token: str, rng: random.Random) -> list[float]:
    """Re-pushes of recent days by one community over HTTP to a district server on loopback (ms each)."""
    with DistrictServer(DistrictSettings(max_age_days=400)) as server:
        spent = []
        for number in range(HTTP_SAMPLE):
            raw = wire_bytes(day_payload("第1社区", END - timedelta(days=number % 30), rng))
            request = urllib.request.Request(
                server.url + ENDPOINT, data=raw, method="POST", headers={"Authorization": f"Bearer {token}"}
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
            spent.append((time.perf_counter() - started) * 1000)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="postgresql://... (default: a throwaway server), or sqlite:PATH")
    parser.add_argument("--communities", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    options = parser.parse_args()
    rng = random.Random(20261120)
    clock.use(clock.FixedClock(datetime(2026, 11, 20, 14, 0, tzinfo=timezone.utc)))
    with database_url(options.url) as target:
        db.connect(target)
        print(f"database: {'PostgreSQL' if db.database.obj.__class__.__name__.startswith('Postgres') else 'SQLite'}")
        size = len(wire_bytes(day_payload("第1社区", END, rng)))
        print(f"one push (one community's day, {GRIDS} grids, every figure): {size:,} bytes (target < 10,240)")
        _, per_push = load(options.communities, options.days, rng)
        pushes = f"{options.communities * options.days:,} pushes ({options.communities} x {options.days} days)"
        print(f"loaded {pushes} through the service: {per_push:.2f} ms each")
        _, token = add_community("第1社区（HTTP）", actor="bench")
        print(describe("push over HTTP (loopback)", http_pushes(token, rng), 100))
        db.close()
        db.connect(target)  # a fresh connection: the first timing below is a cold read
        print(describe("district status (one day)", timed(lambda: district_status(END), 30), 200))
        print(describe("14-day trend", timed(lambda: district_trend(END, 14), 30), 500))
        both = timed(lambda: (district_status(END), district_trend(END)), 10)
        print(describe("status + trend (the screen)", both, 700))
        reported = sum(community.reported for community in district_status(END).communities)
        print(f"communities reported on {END}: {reported} (and {SILENT} not)")
        db.close()


if __name__ == "__main__":
    main()
