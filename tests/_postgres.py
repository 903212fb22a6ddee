"""A throw-away PostgreSQL + PostGIS server for the tests (and the store benchmark).

:func:`start_postgres` runs Debian's ``initdb`` in a temporary folder, starts ``postgres`` on
a free port of 127.0.0.1 (password authentication, scram-sha-256) and writes a ``PGPASSFILE``
for its superuser; :meth:`Postgres.stop` stops it and removes the folder. When the tests run
as root (containers, CI) the server runs as the ``postgres`` system user (PostgreSQL refuses
to run as root).

The binaries come from ``/usr/lib/postgresql/<version>/bin`` (packages ``postgresql`` and
``postgresql-postgis``, which ``scripts/test.sh`` installs when missing).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Postgres", "find_postgres", "start_postgres"]

_USER = "wzgeo_test"


def find_postgres() -> tuple[Path | None, str]:
    """``(bin folder, "")`` of the newest PostgreSQL with PostGIS, or ``(None, why not)``."""
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
        reverse=True,
    )
    if not versions:
        return None, "PostgreSQL is not installed (apt-get install postgresql postgresql-postgis)"
    for initdb in versions:
        version = initdb.parent.parent.name
        if Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists():
            return initdb.parent, ""
    return None, "PostGIS is not installed (apt-get install postgresql-postgis)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Postgres:
    """A running throw-away server."""

    bindir: Path
    folder: Path
    port: int
    passfile: Path
    run_as: list[str]

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://{_USER}@127.0.0.1:{self.port}/postgres"

    def dsn(self, dbname: str) -> str:
        """URI of database ``dbname`` (no password: it is in :attr:`passfile`)."""
        return f"postgresql://{_USER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, dbname: str) -> str:
        """A new empty database (from the template with PostGIS); its URI."""
        import psycopg

        with psycopg.connect(self.admin_dsn, autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{dbname}" TEMPLATE wzgeo_template')
        return self.dsn(dbname)

    def stop(self) -> None:
        subprocess.run(
            [*self.run_as, str(self.bindir / "pg_ctl"), "stop", "-D", str(self.folder / "data"),
             "-m", "immediate", "-w", "-t", "30"],
            check=False, capture_output=True,
        )  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> Postgres:
    """Start a server (see the module's docstring); the caller sets ``PGPASSFILE``.

    Raises
    ------
    RuntimeError
        PostgreSQL/PostGIS missing or the server did not start (with its log).
    """
    bindir, why = find_postgres()
    if bindir is None:
        raise RuntimeError(why)
    folder = Path(tempfile.mkdtemp(prefix="wzgeo-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root: use the postgres system user
        pw = pwd.getpwnam("postgres")
        os.chown(folder, pw.pw_uid, pw.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    password = secrets.token_urlsafe(16)
    pwfile = folder / "pw"
    pwfile.write_text(password + "\n", encoding="utf-8")
    if run_as:
        pw = pwd.getpwnam("postgres")
        os.chown(pwfile, pw.pw_uid, pw.pw_gid)
    pwfile.chmod(0o600)
    port = _free_port()
    data = folder / "data"
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", _USER, "--pwfile", str(pwfile),
         "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8", "--no-sync"],
        check=True, capture_output=True,
    )  # fmt: skip
    pwfile.unlink()
    log = folder / "server.log"
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off "
        "-c max_connections=100 -c shared_buffers=32MB"
    )
    started = subprocess.run(
        [*run_as, str(bindir / "pg_ctl"), "start", "-D", str(data), "-l", str(log), "-w",
         "-t", "60", "-o", options],
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    if started.returncode != 0:
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"postgres did not start: {started.stderr}\n{text[-2000:]}")
    passfile = Path(tempfile.mkstemp(prefix="wzgeo-pgpass-")[1])
    passfile.write_text(f"127.0.0.1:{port}:*:{_USER}:{password}\n", encoding="utf-8")
    passfile.chmod(0o600)
    server = Postgres(bindir, folder, port, passfile, run_as)
    old = os.environ.get("PGPASSFILE")
    os.environ["PGPASSFILE"] = str(passfile)
    try:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(server.admin_dsn, autocommit=True) as con:
                    con.execute("CREATE DATABASE wzgeo_template")
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with psycopg.connect(server.dsn("wzgeo_template"), autocommit=True) as con:
            con.execute("CREATE EXTENSION postgis")
    except BaseException:
        server.stop()
        raise
    finally:
        if old is None:
            os.environ.pop("PGPASSFILE", None)
        else:
            os.environ["PGPASSFILE"] = old
    return server


@contextlib.contextmanager
def running_postgres():  # type: ignore[no-untyped-def]
    """:func:`start_postgres` … :meth:`Postgres.stop`."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()
        server.passfile.unlink(missing_ok=True)
