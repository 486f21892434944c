"""Shared fixtures: a fresh database per test and a fixed clock (2026-11-20 09:00 in Shanghai)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kit import clock, db
from kit.community import init_community
from kit.models import Community

# 09:00 in Asia/Shanghai on a Friday.
START = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def fixed_clock() -> Iterator[clock.FixedClock]:
    fixed = clock.FixedClock(START)
    previous = clock.use(fixed)
    yield fixed
    clock.use(previous)


@pytest.fixture
def database(tmp_path: Path, fixed_clock: clock.FixedClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty, migrated database file (no community yet)."""
    path = tmp_path / "linli.sqlite3"
    monkeypatch.setenv("LINLI_DB", str(path))
    monkeypatch.delenv("LINLI_CONFIG", raising=False)
    db.connect(path)
    yield path
    db.close()


@pytest.fixture
def community(database: Path) -> Community:
    """A database with the community set up: region CN, Asia/Shanghai, Chinese then English."""
    return init_community("幸福里社区", "CN", "Asia/Shanghai", ["zh", "en"], actor="test")
