"""Shared fixtures: a fresh database per test, a fixed clock (2026-11-20 09:00 in Shanghai), errors in English.

Tests marked `each_database` (the storage, import, outbox, dispatcher and check-in modules) run twice, on SQLite
and on a real PostgreSQL server (tests/postgres.py); every other test stays on SQLite alone, so the suite stays fast.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import settings

from kit import clock, db, operators, template_mode, ui_words
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
def reader_language(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test starts with errors and help read in English (kit.errors, linli.cli.help_words); the CLI and the
    terminal UI switch to the community's language when they find it, as they do for a volunteer. The user's own
    data folder (where a database made by `linli init` would speak its language) is never looked at."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.getbasetemp() / "user-data"))
    ui_words.use_language("en")
    yield
    ui_words.use_language("en")


@pytest.fixture(autouse=True)
def cheap_pin_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """PINs hashed at 1/8 of the real scrypt cost (kit.operators.SCRYPT_N, about 0.1 s a check): the tests check what
    is done with the cost, stored beside each hash, and a sign-in test would otherwise spend most of its time
    hashing."""
    monkeypatch.setattr(operators, "SCRYPT_N", 2**12)


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


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database with every migration applied, made once per test process: each test's database is
    a copy of it (migrating a new file takes about 30 ms, copying one under 2 ms; the migrations' own tests make
    their databases themselves)."""
    path = tmp_path_factory.mktemp("template") / "linli.sqlite3"
    db.connect(path)
    db.close()
    return path


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
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), target)
        target.chmod(0o600)  # as Linli makes its files
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
