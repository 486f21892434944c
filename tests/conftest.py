"""Shared fixtures: a fresh database per test, a fixed clock (2026-11-20 09:00 in Shanghai), errors in English.

Tests marked `each_database` (the storage, import, outbox, dispatcher and check-in modules) run twice, on SQLite
and on a real PostgreSQL server (tests/postgres.py); every other test stays on SQLite alone, so the suite stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import settings

from kit import clock, db, template_mode, ui_words
from kit.community import init_community
from kit.models import Community
from tests.cli_run import Run, linli_runner
from tests.postgres import migrated_postgres_url, postgres_server, postgres_url

__all__ = ["migrated_postgres_url", "postgres_server", "postgres_url"]  # fixtures, shared from tests/postgres.py

# Property tests draw the same examples on every run (a failure is reproducible, never a surprise in CI) and have
# no per-example deadline (a loaded 2-core machine is slow, not wrong).
settings.register_profile("linli", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("linli")

# 09:00 in Asia/Shanghai on a Friday.
START = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def reader_language() -> Iterator[None]:
    """Each test starts with errors read in English (kit.errors); the CLI and the terminal UI switch to the
    community's language when they open it, as they do for a volunteer."""
    ui_words.use_language("en")
    yield
    ui_words.use_language("en")


@pytest.fixture
def fixed_clock() -> Iterator[clock.FixedClock]:
    fixed = clock.FixedClock(START)
    previous = clock.use(fixed)
    yield fixed
    clock.use(previous)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "each_database: run the test on SQLite and on PostgreSQL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("each_database") and "database_backend" in metafunc.fixturenames:
        metafunc.parametrize("database_backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def database_backend(request: pytest.FixtureRequest) -> str:
    """The backend `database` opens: sqlite, or each of sqlite and postgresql for tests marked each_database."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def database(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    fixed_clock: clock.FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    database_backend: str,
) -> Iterator[Path | str]:
    """An empty, migrated database (no community yet): a file path, or a PostgreSQL URL for the postgresql
    backend."""
    target: Path | str
    if database_backend == "postgresql":
        target = request.getfixturevalue("migrated_postgres_url")
    else:
        target = tmp_path / "linli.sqlite3"
    monkeypatch.setenv("LINLI_DB", str(target))
    monkeypatch.delenv("LINLI_CONFIG", raising=False)
    template_mode.use_settings(None)  # template-only mode follows the configuration each test gives
    db.connect(target)
    yield target
    db.close()


@pytest.fixture
def community(database: Path) -> Community:
    """A database with the community set up: region CN, Asia/Shanghai, Chinese then English."""
    return init_community("幸福里社区", "CN", "Asia/Shanghai", ["zh", "en"], actor="test")


@pytest.fixture
def run() -> Run:
    """`linli ...` as the console script runs it (a test module may give its own)."""
    return linli_runner()
