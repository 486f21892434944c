"""Every thread that reads has a SQLite connection of its own, each with a page cache: they stay small, so the
operators' UI with its workers, the dispatcher, the scheduler and the webhook server beside it does not hold the
register once per thread (see kit.db)."""

from __future__ import annotations

import threading
from pathlib import Path

from kit import db

MOST_KB_PER_CONNECTION = 8_000


def cache_kb() -> int:
    """This thread's connection's page cache, in KB (SQLite reports a size in KB as a negative number)."""
    (size,) = db.database.execute_sql("PRAGMA cache_size").fetchone()
    assert size < 0, "the cache is given in KB, whatever the page size"
    return int(-size)


def test_each_threads_connection_keeps_a_small_page_cache(database: Path) -> None:
    sizes = {"main": cache_kb()}

    def read(name: str) -> None:
        sizes[name] = cache_kb()
        db.database.close()

    workers = [threading.Thread(target=read, args=(f"worker {n}",)) for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert set(sizes) == {"main", "worker 0", "worker 1", "worker 2"}
    assert all(0 < kb <= MOST_KB_PER_CONNECTION for kb in sizes.values()), sizes
