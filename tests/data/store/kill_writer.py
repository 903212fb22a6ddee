"""Child process for tests/test_store_kill.py: write to the store in a loop until killed.

Usage: python kill_writer.py STORE ACK_LOG SEED

After each write returns (its COMMIT done), one line ``change_id entity_type entity_id
version`` is appended to ACK_LOG; the parent checks every acknowledged change is in the store.
"""

from __future__ import annotations

import random
import sys

from wzgeo.store.core import DOCUMENTED_SECTOR_IDS, DOCUMENTED_ZONE_IDS, IdCatalog, open_store

PROJECTS = [f"AU-{i:02d}" for i in range(1, 13)] + [f"EI-{i:02d}" for i in range(1, 11)]
ZONES = sorted(DOCUMENTED_ZONE_IDS)


def main() -> None:
    store_path, ack_path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(seed)
    store = open_store(store_path, ids=IdCatalog(DOCUMENTED_ZONE_IDS, None, DOCUMENTED_SECTOR_IDS))
    with open(ack_path, "a", encoding="utf-8") as ack:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        i = 0
        while True:
            i += 1
            kind = i % 3
            why = f"seed {seed} write {i}"
            if kind == 0:
                x, y = 108.2 + rng.random() * 0.3, 30.6 + rng.random() * 0.3
                ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
                report = {"write": i, "notes": ["检查" * 50] * 20, "area_mu": rng.random() * 100}
                change = store.save_plot(
                    f"plot-{rng.randrange(8)}",
                    {"type": "Polygon", "coordinates": [ring]},
                    report,
                    by="killer",
                    why=why,
                )
            elif kind == 1:
                change = store.assign(rng.choice(PROJECTS), rng.choice(ZONES), by="killer", why=why)
            else:
                change = store.set_land_rule(
                    f"rule-{rng.randrange(5)}",
                    {"far_min": rng.random(), "note": "x" * rng.randrange(2000)},
                    by="killer",
                    why=why,
                )
            ack.write(
                f"{change.change_id} {change.entity_type} {change.entity_id} {change.version}\n"
            )
            ack.flush()


if __name__ == "__main__":
    main()
