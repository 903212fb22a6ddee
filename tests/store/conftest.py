"""Store fixtures: the two backends (SQLite file, PostgreSQL/PostGIS database).

``store_location`` is parametrized over both; the PostgreSQL one is a fresh database on a
throw-away server (tests/_postgres.py) started once per session on 127.0.0.1 and stopped at
the end. Without PostgreSQL + PostGIS installed the PostgreSQL cases are skipped, *unless*
``WZGEO_REQUIRE_POSTGRES=1`` (set by scripts/test.sh after installing them), where a missing
or failing server is an error.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._postgres import Postgres, find_postgres, start_postgres

_COUNTER = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    """A throw-away PostgreSQL + PostGIS server for the session."""
    bindir, why = find_postgres()
    required = os.environ.get("WZGEO_REQUIRE_POSTGRES") == "1"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        why = "psycopg is not installed (pip install 'wzgeo[test]')"
        bindir = None
    if bindir is None:
        if required:
            pytest.fail(f"WZGEO_REQUIRE_POSTGRES=1 but {why}")
        pytest.skip(why)
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()
        server.passfile.unlink(missing_ok=True)


@pytest.fixture
def pg_dsn(postgres_server: Postgres, monkeypatch: pytest.MonkeyPatch) -> str:
    """URI of a new empty database (PGPASSFILE set for this test and its child processes)."""
    monkeypatch.setenv("PGPASSFILE", str(postgres_server.passfile))
    return postgres_server.create_database(f"t{os.getpid()}_{next(_COUNTER)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a new store goes: a SQLite file path or a PostgreSQL URI (as a string)."""
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite")
    return str(request.getfixturevalue("pg_dsn"))


@pytest.fixture(autouse=True)
def _close_pooled_connections() -> Iterator[None]:
    """Close the store's idle PostgreSQL connections after each test (no leaks between tests)."""
    yield
    import sys

    pg = sys.modules.get("wzgeo.store._pg")
    if pg is not None:
        pg.close_idle()
