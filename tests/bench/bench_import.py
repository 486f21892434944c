"""Benchmark: importing residents from a GB18030 CSV, against the physical limit measured in the same run.

The limit is the work no importer can avoid: parsing every phone number with phonenumbers (parse, validity check,
E.164 format) plus one raw sqlite3 executemany of the same rows into a WAL database. Target: Linli's importer runs
at >= 0.5x the limit's rate.

    python -m tests.bench.bench_import [--rows 50000]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

import phonenumbers

from kit import db
from kit.community import init_community
from kit.importer import import_residents


def make_csv(path: Path, rows: int) -> list[tuple[str, ...]]:
    header = ("姓名", "手机号码", "网格", "楼栋", "单元", "房号", "标签", "出生年份")
    body: list[tuple[str, ...]] = [
        (
            f"居民{i}",
            f"138 {i // 10000:04d} {i % 10000:04d}",
            f"第{i % 25 + 1}网格",
            str(i % 60 + 1),
            str(i % 4 + 1),
            str(101 + i % 1200),
            "独居老人" if i % 9 == 0 else ("慢性病、高龄" if i % 13 == 0 else ""),
            str(1930 + i % 85),
        )
        for i in range(rows)
    ]
    text = "\r\n".join(",".join(row) for row in [header, *body]) + "\r\n"
    path.write_bytes(text.encode("gb18030"))
    return body


def limit_rate(body: list[tuple[str, ...]], folder: Path) -> float:
    started = time.perf_counter()
    phones = []
    for row in body:
        number = phonenumbers.parse(row[1], "CN")
        phonenumbers.is_valid_number(number)
        phones.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    connection = sqlite3.connect(folder / "limit.sqlite3")
    connection.execute("PRAGMA journal_mode=wal")
    connection.execute("PRAGMA synchronous=normal")
    connection.execute(
        "CREATE TABLE resident (id INTEGER PRIMARY KEY, name TEXT, phone TEXT UNIQUE, grid TEXT, building TEXT, "
        "unit TEXT, room TEXT, tags TEXT, birth_year INTEGER)"
    )
    with connection:
        connection.executemany(
            "INSERT INTO resident (name, phone, grid, building, unit, room, tags, birth_year) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(r[0], p, r[2], r[3], r[4], r[5], r[6], int(r[7])) for r, p in zip(body, phones)],
        )
    connection.close()
    return len(body) / (time.perf_counter() - started)


def linli_rate(csv_path: Path, folder: Path, rows: int) -> float:
    db.connect(folder / "linli.sqlite3")
    init_community("Bench", "CN", "Asia/Shanghai")
    started = time.perf_counter()
    result = import_residents(csv_path)
    elapsed = time.perf_counter() - started
    assert result.imported == rows, result.rejected[:3]
    db.close()
    return rows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "residents.csv"
        body = make_csv(csv_path, args.rows)
        limit = limit_rate(body, folder)
        linli = linli_rate(csv_path, folder, args.rows)
    print(f"rows                      {args.rows}")
    print(f"limit (parse + executemany) {limit:10,.0f} rows/s")
    print(f"linli import residents    {linli:10,.0f} rows/s")
    print(f"ratio                     {linli / limit:10.2f}  (target >= 0.50)")


if __name__ == "__main__":
    main()
