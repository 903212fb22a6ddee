"""Crash safety: a writer process SIGKILLed at random moments never leaves a broken store.

Each round starts ``tests/data/store/kill_writer.py`` (a loop of store writes; after every
returned write it appends the change to an acknowledgement log), waits until it is writing,
sleeps a random 10–300 ms and kills it with SIGKILL. Afterwards the store must pass SQLite's
``integrity_check``, every change row must parse and the derived state must equal a replay of
the log (0 half-written records), and every acknowledged change must be present.

This simulates a crashed or killed process, not a power cut (the OS page cache survives a
SIGKILL); ``synchronous=FULL`` is what covers the power-cut case.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wzgeo.store.core import DOCUMENTED_SECTOR_IDS, DOCUMENTED_ZONE_IDS, IdCatalog, open_store

WRITER = Path(__file__).resolve().parents[1] / "data" / "store" / "kill_writer.py"
ROUNDS = 20
IDS = IdCatalog(DOCUMENTED_ZONE_IDS, None, DOCUMENTED_SECTOR_IDS)

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")


def _acknowledged(ack: Path) -> list[tuple[int, str, str, int]]:
    """Complete lines of the acknowledgement log (a line cut by the kill is ignored)."""
    text = ack.read_text(encoding="utf-8")
    out = []
    for line in text.split("\n")[:-1]:  # the part after the last newline may be cut
        change_id, etype, eid, version = line.split(" ")
        out.append((int(change_id), etype, eid, int(version)))
    return out


def test_sigkill_during_writes_leaves_consistent_store(tmp_path: Path) -> None:
    store_path = tmp_path / "store.sqlite"
    ack = tmp_path / "ack.log"
    ack.touch()
    open_store(store_path, ids=IDS)
    rng = random.Random(20261126)
    delays_ms = [rng.randint(10, 300) for _ in range(ROUNDS)]
    started = time.monotonic()
    for round_no, delay in enumerate(delays_ms):
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(store_path), str(ack), str(round_no)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        try:
            assert proc.stdout is not None
            ready, _, _ = select.select([proc.stdout], [], [], 60)  # bounded wait
            assert ready, "writer did not start within 60 s"
            line = proc.stdout.readline()  # the writer is ready (or died)
            assert line == "ready\n", proc.stderr.read() if proc.stderr else line
            time.sleep(delay / 1000)
            assert proc.poll() is None, "writer stopped by itself: " + (
                proc.stderr.read() if proc.stderr else ""
            )
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=10)
            if proc.stdout:
                proc.stdout.close()
            if proc.stderr:
                proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL
        assert time.monotonic() - started < 120, "kill test is too slow"

    store = open_store(store_path, ids=IDS)
    check = store.verify()
    acknowledged = _acknowledged(ack)
    con = sqlite3.connect(store_path)
    rows = {
        r[0]: r[1:]
        for r in con.execute("SELECT change_id, entity_type, entity_id, version FROM changes")
    }
    bad_payloads = 0
    for (payload,) in con.execute("SELECT payload FROM changes"):
        try:
            json.loads(payload)
        except ValueError:
            bad_payloads += 1
    con.close()
    missing = [a for a in acknowledged if rows.get(a[0]) != a[1:]]
    summary = {
        "rounds": ROUNDS,
        "seconds": round(time.monotonic() - started, 1),
        "acknowledged": len(acknowledged),
        "rows": len(rows),
        "committed_not_yet_acknowledged": len(rows) - len(acknowledged),
        "missing_acknowledged": len(missing),
        "bad_payloads": bad_payloads,
        "integrity": check.integrity,
        "problems": len(check.problems),
    }
    print(json.dumps(summary))
    assert check.integrity == "ok"
    assert check.problems == ()  # derived state equals the replayed log: 0 half-written
    assert bad_payloads == 0
    assert missing == []
    assert len(acknowledged) >= ROUNDS  # the writers really wrote before being killed
    # the store is still writable after all the kills
    store.assign("AU-01", "gaofeng", by="after", why="store still works")
    assert store.verify().ok
