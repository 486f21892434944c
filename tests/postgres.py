"""A real PostgreSQL server for the tests, started from Debian's binaries in a temporary folder.

Fixtures (wired through tests/conftest.py):

- `postgres_server` (session): the running server of this test process; `.url(name)` is the URL of a database on
  it, `.create(name, template=...)` and `.drop(name)` make and remove one.
- `postgres_url`: the URL of a fresh, empty database (`postgresql://postgres@127.0.0.1:PORT/NAME`), dropped after
  the test. Nothing is migrated in it: `kit.db.connect(postgres_url)` applies the migrations as on any new server.
- `database` (tests/conftest.py) runs on PostgreSQL too for tests marked `each_database`: it then yields the URL of
  a database migrated to the latest schema, with no rows (`migrated_postgres_url`).

Decisions:
- One server per test process (per pytest-xdist worker), started on first use: no lock files to share between
  workers, and a crash in one worker cannot take the other's databases with it. `initdb` costs about a second.
  The server is stopped at the end of the session; one whose test run was killed first is stopped by the next
  run (its folder names the process it belonged to).
- `postgres_url` is a new database copied from the empty `template0`. `database` reuses one migrated database
  per server and empties it before each test (DELETE, sequences restarted): several times faster than copying a
  template (CREATE DATABASE waits for a checkpoint) or TRUNCATE, so the PostgreSQL half of the suite stays cheap.
- PostgreSQL refuses to run as root, so under root (CI) the server runs as the `postgres` user that Debian's
  package creates, in a folder it owns. Trust authentication on 127.0.0.1 only, no Unix socket, fsync off: it is
  a throwaway server on loopback.
- A missing PostgreSQL fails the tests with the command that installs it; it never skips them, or CI would pass
  without ever testing PostgreSQL.
- The C locale sorts text by bytes, as SQLite does, so ordered results agree between the two backends.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

INSTALL_HINT = "run tests/system-packages.sh (it installs Debian's postgresql package) and try again"
FOLDER_PREFIX = "linli-postgres-"
OWNER = "owner.pid"  # in each server's folder: the test process that stops it
SERVER_USER = "postgres"
MIGRATED_TEMPLATE = "linli_migrated"
REUSED = "linli_emptied"  # the migrated database that `database` empties again before each test


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be started here; the message says why and what to do."""


def find_binaries() -> Path:
    """The folder holding initdb and pg_ctl: the newest of Debian's /usr/lib/postgresql/*/bin, else the PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name or 0))
    for folder in reversed(candidates):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    raise PostgresUnavailable(f"PostgreSQL's initdb and pg_ctl were not found; {INSTALL_HINT}.")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A PostgreSQL server of our own in `folder`, listening on 127.0.0.1:`port`."""

    binaries: Path
    folder: Path
    port: int
    run_as: str | None  # the user the server runs as when we are root

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, name: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *command: str) -> None:
        kwargs: dict[str, Any] = {}
        if self.run_as is not None:
            kwargs.update(user=self.run_as, group=pwd.getpwnam(self.run_as).pw_gid, extra_groups=[])
        done = subprocess.run(
            [str(self.binaries / command[0]), *command[1:]],
            cwd=self.folder,
            capture_output=True,
            text=True,
            env={**os.environ, "LC_ALL": "C", "PGTZ": "UTC"},
            check=False,
            **kwargs,
        )
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PostgresUnavailable(
                f"{command[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}\n{tail}"
            )

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "-N")
        (self.data / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\n")
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": "''",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "100",
            "timezone": "'UTC'",
        }
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.folder / "server.log"))

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (pg_ctl signals the postmaster whose PID is in the data folder)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-m", mode, "-w", "-D", str(self.data))

    def admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url("postgres"), autocommit=True)

    def create(self, name: str, template: str = "template0") -> str:
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def empty(self, name: str) -> None:
        """Delete every row of database `name` but the schema's version, after closing other connections to it
        (a test's threads may have left theirs open); its id sequences start again from 1."""
        with psycopg.connect(self.url(name), autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            tables = conn.execute(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' AND tablename <> %s",
                ("schema_version",),
            ).fetchall()
            sequences = conn.execute("SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = 'public'")
            # DELETE with foreign-key checks off: a few rows each, several times faster than TRUNCATE.
            script = [
                "BEGIN",
                "SET LOCAL session_replication_role = replica",
                *(f"DELETE FROM {table}" for (table,) in tables),
                *(f"ALTER SEQUENCE {sequence} RESTART" for (sequence,) in sequences.fetchall()),
                "COMMIT",
            ]
            conn.execute("; ".join(script))

    def drop(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _server_user() -> str | None:
    """None when we may run the server ourselves; under root, the unprivileged user to run it as."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"Running as root, the test server must run as the '{SERVER_USER}' user, which does not exist; "
            f"{INSTALL_HINT}."
        ) from None
    return SERVER_USER


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # somebody else's process
    return True


def stop_orphans(binaries: Path, run_as: str | None) -> None:
    """Stop and remove the servers of earlier test runs that were killed before they could stop them (the process
    named in their folder is gone), so killed runs do not leave servers behind for good."""
    for owner in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*/{OWNER}"):
        try:
            pid = int(owner.read_text())
        except (OSError, ValueError):
            continue  # being set up right now, or not ours to read
        if _alive(pid):
            continue
        try:
            PostgresServer(binaries, owner.parent, 0, run_as).stop(mode="immediate")
        except PostgresUnavailable:
            continue  # not ours to stop: leave it
        shutil.rmtree(owner.parent, ignore_errors=True)


def start_server() -> PostgresServer:
    """initdb and start a server in a new temporary folder; tried on a few ports in case one is taken meanwhile."""
    binaries = find_binaries()
    run_as = _server_user()
    stop_orphans(binaries, run_as)
    folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
    (folder / OWNER).write_text(str(os.getpid()))
    if run_as is not None:
        account = pwd.getpwnam(run_as)
        os.chown(folder, account.pw_uid, account.pw_gid)
    server = PostgresServer(binaries, folder, free_port(), run_as)
    for attempt in range(3):
        try:
            server.start()
            return server
        except PostgresUnavailable:
            shutil.rmtree(server.data, ignore_errors=True)
            if attempt == 2:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            server.port = free_port()
    raise AssertionError("unreachable")


def migrate_template(server: PostgresServer) -> None:
    """The template of the database that `database` empties: every migration applied, no rows."""
    from kit.db import open_postgresql
    from kit.migrations import apply_pending

    server.create(MIGRATED_TEMPLATE)
    handle = open_postgresql(server.url(MIGRATED_TEMPLATE))
    try:
        apply_pending(handle)
    finally:
        handle.close()


# ----------------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = start_server()
    except PostgresUnavailable as error:
        pytest.fail(f"Cannot start a PostgreSQL server for the tests: {error}", pytrace=False)
    try:
        migrate_template(server)
        server.create(REUSED, template=MIGRATED_TEMPLATE)
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


_names = itertools.count(1)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL database (no tables); dropped after the test."""
    name = f"linli_{os.getpid()}_{next(_names)}"
    url = postgres_server.create(name)
    yield url
    postgres_server.drop(name)


@pytest.fixture
def migrated_postgres_url(postgres_server: PostgresServer) -> str:
    """A PostgreSQL database with every migration applied and no rows (ids start at 1 again)."""
    postgres_server.empty(REUSED)
    return postgres_server.url(REUSED)
