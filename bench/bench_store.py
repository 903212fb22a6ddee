"""Benchmark the saved-work store under 8 concurrent writer processes, SQLite and PostgreSQL.

Not a test: run by hand (about a minute per backend)::

    python bench/bench_store.py                      # both backends, 8 writers × 150 writes
    python bench/bench_store.py --writers 8 --ops 300 --backends postgresql

Each writer is its own process (``open_store`` on the same SQLite file, or on the same
PostgreSQL database of a throw-away server started like the tests do: initdb in a temporary
folder, 127.0.0.1, a free port, password from a PGPASSFILE). The writers wait for a common
start, then each makes ``--ops`` writes, one in three of each kind:

- **counter**: read-modify-write of one of 4 shared ``land_rule`` rows (``n`` + 1) with
  ``expected_version`` = the version read; on a ``ConflictError`` the writer reads again and
  retries (conflicts are counted) — a lost update would leave ``n`` below the number of
  acknowledged increments;
- **plot**: ``save_plot`` of one of 50 shared plot ids (a 5-vertex polygon and a report);
- **assign**: ``assign`` of one of 22 projects to a zone.

After every returned write the writer appends ``change_id entity_type entity_id version`` to
its acknowledgement file. Afterwards the store's log is read back and compared:

- **lost** = acknowledged changes missing from the log (or with another entity / version);
- **duplicated** = change ids acknowledged twice, log rows not acknowledged by anyone, or an
  ``(entity, version)`` pair twice in the log;
- **counter check**: each counter's final ``n`` equals its version and the number of
  acknowledged increments; ``Store.verify()`` must pass (derived state = replay of the log).

Throughput = acknowledged writes / (last writer's end − first writer's start), the writers'
own clocks around their loops (process start-up and imports not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROJECTS = [f"AU-{i:02d}" for i in range(1, 13)] + [f"EI-{i:02d}" for i in range(1, 11)]


def _ids():  # type: ignore[no-untyped-def]
    from wzgeo.store.core import DOCUMENTED_SECTOR_IDS, DOCUMENTED_ZONE_IDS, IdCatalog

    return IdCatalog(DOCUMENTED_ZONE_IDS, None, DOCUMENTED_SECTOR_IDS)


def writer(location: str, ack_path: str, n_ops: int, seed: int, go: str) -> None:
    """One writer process (see the module docstring)."""
    from wzgeo.store.core import DOCUMENTED_ZONE_IDS, ConflictError, open_store

    zones = sorted(DOCUMENTED_ZONE_IDS)
    rng = random.Random(seed)
    store = open_store(location, ids=_ids())
    store.counts()  # connected and warm before the clock
    while not Path(go).exists():
        time.sleep(0.005)
    conflicts = 0
    t0 = time.time()
    with open(ack_path, "w", encoding="utf-8") as ack:
        for i in range(n_ops):
            kind = i % 3
            why = f"writer {seed} op {i}"
            if kind == 0:
                rule = f"counter-{rng.randrange(4)}"
                while True:
                    st = store.state("land_rule", rule)
                    n = int(st.value["values"]["n"]) if st.value else 0
                    try:
                        change = store.set_land_rule(
                            rule, {"n": n + 1}, by=f"w{seed}", why=why, expected_version=st.version
                        )
                        break
                    except ConflictError:
                        conflicts += 1
            elif kind == 1:
                x, y = 108.2 + rng.random() * 0.3, 30.6 + rng.random() * 0.3
                ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
                change = store.save_plot(
                    f"plot-{rng.randrange(50)}",
                    {"type": "Polygon", "coordinates": [ring]},
                    {"writer": seed, "op": i},
                    by=f"w{seed}",
                    why=why,
                )
            else:
                change = store.assign(
                    rng.choice(PROJECTS), rng.choice(zones), by=f"w{seed}", why=why
                )
            ack.write(
                f"{change.change_id} {change.entity_type} {change.entity_id} {change.version}\n"
            )
    t1 = time.time()
    print(json.dumps({"start": t0, "end": t1, "conflicts": conflicts}))


def run(location: str, *, writers: int, ops: int, tmp: Path) -> dict[str, object]:
    """Run the writers against ``location`` and check the log; the numbers."""
    from wzgeo.store.core import open_store

    open_store(location, ids=_ids())  # created before the writers start
    go = tmp / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = []
    acks = []
    for w in range(writers):
        ack = tmp / f"ack{w}.txt"
        acks.append(ack)
        cmd = [sys.executable, __file__, "--writer", location, str(ack), str(ops), str(w), str(go)]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env))
    time.sleep(3.0)  # let every writer import and connect
    go.touch()
    outs = []
    for p in procs:
        out, _ = p.communicate(timeout=900)
        if p.returncode != 0:
            raise SystemExit(f"writer failed ({p.returncode})")
        outs.append(json.loads(out.strip().splitlines()[-1]))
    go.unlink()
    acked: list[tuple[int, str, str, int]] = []
    for ack in acks:
        for line in ack.read_text(encoding="utf-8").splitlines():
            c, t, i, v = line.split(" ")
            acked.append((int(c), t, i, int(v)))
    store = open_store(location, ids=_ids())
    hist = store.history()
    log = {
        int(c): (t, i, int(v))
        for c, t, i, v in zip(
            hist["change_id"], hist["entity_type"], hist["entity_id"], hist["version"], strict=True
        )
    }
    lost = sum(1 for c, t, i, v in acked if log.get(c) != (t, i, v))
    id_counts = Counter(c for c, *_ in acked)
    pair_counts = Counter(zip(hist["entity_type"], hist["entity_id"], hist["version"], strict=True))
    duplicated = (
        sum(n - 1 for n in id_counts.values() if n > 1)
        + len(set(log) - set(id_counts))
        + sum(n - 1 for n in pair_counts.values() if n > 1)
    )
    increments = Counter(i for _c, t, i, _v in acked if t == "land_rule")
    counters_ok = all(
        (st := store.state("land_rule", rule)).value is not None
        and int(st.value["values"]["n"]) == st.version == n
        for rule, n in increments.items()
    )
    seconds = max(o["end"] for o in outs) - min(o["start"] for o in outs)
    return {
        "writers": writers,
        "writes": len(acked),
        "seconds": round(seconds, 2),
        "writes_per_s": round(len(acked) / seconds, 1),
        "conflicts_retried": sum(o["conflicts"] for o in outs),
        "log_rows": len(log),
        "lost": lost,
        "duplicated": duplicated,
        "counters_ok": counters_ok,
        "verify_ok": store.verify().ok,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--ops", type=int, default=150, help="writes per writer")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--writer", nargs=5, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        location, ack, n, seed, go = args.writer
        writer(location, ack, int(n), int(seed), go)
        return 0
    sys.path.insert(0, str(REPO))
    rows = []
    for backend in args.backends:
        with tempfile.TemporaryDirectory() as tmp:
            if backend == "sqlite":
                res = run(str(Path(tmp) / "store.sqlite"), writers=args.writers, ops=args.ops,
                          tmp=Path(tmp))  # fmt: skip
            else:
                from tests._postgres import running_postgres

                with running_postgres() as pg:
                    os.environ["PGPASSFILE"] = str(pg.passfile)
                    dsn = pg.create_database("bench")
                    res = run(dsn, writers=args.writers, ops=args.ops, tmp=Path(tmp))
                    from wzgeo.store import _pg

                    _pg.close_idle()
        res = {"backend": backend, **res}
        print(json.dumps(res), flush=True)
        rows.append(res)
    print("| backend | writers | writes | s | writes/s | conflicts retried | lost | duplicated "
          "| counters = increments | verify |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        print(
            f"| {r['backend']} | {r['writers']} | {r['writes']} | {r['seconds']} | "
            f"{r['writes_per_s']} | {r['conflicts_retried']} | {r['lost']} | {r['duplicated']} | "
            f"{'yes' if r['counters_ok'] else 'NO'} | {'ok' if r['verify_ok'] else 'FAILED'} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
