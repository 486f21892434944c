"""Numbered migrations on SQLite and PostgreSQL: applied once, in order, all or nothing, and never twice at once."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from pathlib import Path

import peewee
import psycopg
import pytest

import kit.migrations
from kit import db, models, volunteer_models
from kit.errors import SchemaTooNew
from kit.migrations import LATEST, Migration, SchemaVersion, apply_pending, current_version, known_migrations

pytestmark = pytest.mark.each_database  # the tests that take `database` run on SQLite and PostgreSQL


def all_models() -> list[type[peewee.Model]]:
    """Every table model in kit.models and kit.volunteer_models (the registry and whatever later migrations added)."""
    return [
        value
        for module in (models, volunteer_models)
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, models.BaseModel)
        and value is not models.BaseModel
        and value.__module__ == module.__name__
    ]


Snapshot = tuple[list[tuple[str, ...]], dict[str, list[tuple[object, ...]]]]


def snapshot(target: Path | str) -> Snapshot:
    """The schema and every row of a database, read on a connection of its own (not Linli's)."""
    if str(target).startswith("postgresql://"):
        return postgres_snapshot(str(target))
    with sqlite3.connect(target) as conn:
        schema = sorted(conn.execute("SELECT type, name, COALESCE(sql, '') FROM sqlite_master").fetchall())
        tables = [name for kind, name, _ in schema if kind == "table" and not name.startswith("sqlite_")]
        rows = {table: sorted(conn.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr) for table in tables}
    return schema, rows


def postgres_snapshot(url: str) -> Snapshot:
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, COALESCE(column_default, '') FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        ).fetchall()
        indexes = conn.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        schema = sorted([*columns, *indexes.fetchall()])
        tables = sorted({table for table, *_ in columns})
        rows = {table: sorted(conn.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr) for table in tables}
    return schema, rows


def recorded(database: peewee.Database) -> list[tuple[int, str]]:
    with database.bind_ctx([SchemaVersion]):
        return list(
            SchemaVersion.select(SchemaVersion.version, SchemaVersion.name).order_by(SchemaVersion.version).tuples()
        )


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    migrations = known_migrations()
    assert [m.version for m in migrations] == list(range(1, LATEST + 1))
    assert LATEST >= 1
    assert migrations[0].name == "registry"


def test_an_empty_file_is_brought_to_the_latest_schema(database: Path) -> None:
    handle = db.database.obj
    assert current_version(handle) == LATEST
    assert recorded(handle) == [(m.version, m.name) for m in known_migrations()]
    with handle.bind_ctx([SchemaVersion]):
        assert all(isinstance(row.applied_at, datetime) for row in SchemaVersion.select())
    tables = set(handle.get_tables())
    for model in all_models():
        assert model._meta.table_name in tables, model.__name__


def test_every_model_matches_the_table_its_migrations_made(database: Path) -> None:
    """kit.models and the frozen copies in the migrations must be changed together."""
    handle = db.database.obj
    for model in all_models():
        columns = {column.name for column in handle.get_columns(model._meta.table_name)}
        assert columns == set(model._meta.columns), model.__name__


def test_applying_twice_does_nothing(database: Path) -> None:
    handle = db.database.obj
    before = snapshot(database)
    assert apply_pending(handle) == []
    assert apply_pending(handle) == []
    assert snapshot(database) == before
    assert current_version(handle) == LATEST


def test_connecting_again_does_not_migrate_again(database: Path) -> None:
    db.close()
    before = snapshot(database)
    db.connect(database)
    assert snapshot(database) == before


def test_a_fresh_database_records_each_migration_as_it_is_applied() -> None:
    memory = peewee.SqliteDatabase(":memory:")
    assert current_version(memory) == 0
    assert apply_pending(memory) == list(range(1, LATEST + 1))
    assert recorded(memory) == [(m.version, m.name) for m in known_migrations()]
    memory.close()


def test_only_the_missing_migrations_are_applied(tmp_path: Path) -> None:
    target = peewee.SqliteDatabase(str(tmp_path / "old.sqlite3"))
    first = known_migrations()[0]
    with target.bind_ctx([SchemaVersion]):
        target.create_tables([SchemaVersion])
        first.migrate(target)
        SchemaVersion.create(version=1, name=first.name, applied_at=datetime(2026, 1, 1))
    assert current_version(target) == 1
    assert apply_pending(target) == list(range(2, LATEST + 1))
    assert current_version(target) == LATEST
    with target.bind_ctx([SchemaVersion]):
        assert SchemaVersion.get_by_id(1).applied_at == datetime(2026, 1, 1)  # the old record is kept
    target.close()


def test_a_database_from_a_newer_linli_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite3"
    db.connect(path)
    with db.database.obj.bind_ctx([SchemaVersion]):
        SchemaVersion.create(version=LATEST + 1, name="from_the_future", applied_at=datetime(2027, 1, 1))
    db.close()
    before = snapshot(path)
    try:
        with pytest.raises(SchemaTooNew) as caught:
            db.connect(path)
    finally:
        db.close()
    assert caught.value.message == (
        f"This database has schema version {LATEST + 1}, but this Linli knows only up to {LATEST}. "
        "Upgrade Linli (pip install -U linli) before opening it; nothing was changed."
    )
    assert snapshot(path) == before


def test_a_failing_migration_leaves_no_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(database: peewee.Database) -> None:
        database.execute_sql("CREATE TABLE half_done (id INTEGER PRIMARY KEY)")
        raise RuntimeError("boom")

    real = known_migrations()
    monkeypatch.setattr(kit.migrations, "known_migrations", lambda: [*real, Migration(len(real) + 1, "broken", broken)])
    target = peewee.SqliteDatabase(str(tmp_path / "broken.sqlite3"))
    with pytest.raises(RuntimeError, match="boom"):
        apply_pending(target)
    assert current_version(target) == LATEST  # the good ones before it stay applied
    assert "half_done" not in target.get_tables()
    assert len(recorded(target)) == LATEST
    target.close()


def test_two_processes_opening_a_new_postgresql_database_migrate_it_once(postgres_url: str) -> None:
    start = threading.Barrier(2, timeout=10)
    applied: list[list[int]] = []
    errors: list[BaseException] = []

    def open_and_migrate() -> None:
        handle = db.open_postgresql(postgres_url)
        try:
            start.wait()
            applied.append(apply_pending(handle))
        except BaseException as error:
            errors.append(error)
        finally:
            handle.close()

    threads = [threading.Thread(target=open_and_migrate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(version for versions in applied for version in versions) == list(range(1, LATEST + 1))  # once each
    handle = db.open_postgresql(postgres_url)
    assert recorded(handle) == [(m.version, m.name) for m in known_migrations()]
    handle.close()


def test_a_postgresql_database_from_a_newer_linli_is_refused(postgres_url: str) -> None:
    db.connect(postgres_url)
    with db.database.obj.bind_ctx([SchemaVersion]):
        SchemaVersion.create(version=LATEST + 1, name="from_the_future", applied_at=datetime(2027, 1, 1))
    db.close()
    before = snapshot(postgres_url)
    try:
        with pytest.raises(SchemaTooNew):
            db.connect(postgres_url)
    finally:
        db.close()
    assert snapshot(postgres_url) == before


@pytest.mark.parametrize(
    ("lookup", "index"),
    [
        ("provider_id = 'SM1'", "message_provider_id"),
        ("task_id = 3", "message_task_id"),
        ("volunteer_id = 2", "message_volunteer_id"),
        ("notice_id = 5", "message_notice_id"),
        ("needs_reading_since IS NOT NULL", "message_needs_reading_since"),
    ],
)
def test_a_lookup_on_a_sparse_message_column_uses_its_partial_index(database: Path, lookup: str, index: str) -> None:
    if str(database).startswith("postgresql://"):
        with psycopg.connect(str(database)) as pg:
            found = pg.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", (index,)).fetchone()
        assert found is not None and found[0].endswith("IS NOT NULL)")
        return
    with sqlite3.connect(database) as conn:
        (definition,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (index,)).fetchone()
        plan = " ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN SELECT id FROM message WHERE {lookup}"))
    assert definition.endswith("IS NOT NULL")
    assert f"USING INDEX {index}" in plan or f"USING COVERING INDEX {index}" in plan
