"""Soak test (issue 14): 50 hostile files uploaded in a row to a running app.

The app is started as the README does (``streamlit run app.py``, here on 127.0.0.1 and a
free port) and driven by Debian chromium through the plot-check page's upload. After each
file the page must show a bilingual error naming it, the server must answer its health
check within 1 s, and at the end its memory (RSS) must be below 1.5 times what it was
before the first upload, with no reading process left behind.

The numbers of a run are printed (``-s`` shows them) and recorded in
/work/notes/issue-14-files.md and bench/RESULTS.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests._browser import browser, free_port, save_screenshot
from tests.plots import _hostile as h

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
N_UPLOADS = 50
TIMEOUT_MS = 60_000


def _hostile_files() -> list[tuple[str, bytes]]:
    """50 hostile files: the heavier kinds once, the others cycled."""
    heavy = [
        ("many.txt", h.bubiao_plots(20_001)),  # over the plot limit (3.5 MB)
        ("many.geojson", h.geojson_features(20_001)),  # over the plot limit (2.5 MB)
        ("name.geojson", h.geojson_long_name(12_000_000)),  # a 12 MB string
    ]
    light = [
        ("bomb.xlsx", h.xlsx_shared_string(20_000_000)),  # 20 KB → 20 MB string
        ("wide.xlsx", h.xlsx_wide_row()),  # one row 16,384 cells wide
        ("view.gpkg", h.gpkg_recursive_view()),  # endless recursive query
        ("side.gpkg", h.gpkg_attributes_view()),
        ("plain.gpkg", h.sqlite_not_gpkg()),
        ("deep.geojson", h.geojson_deep(5_000)),  # RecursionError before
        ("members.zip", h.zip_members(20_000)),  # error listed every name before
        ("several.zip", h.zip_members(300, suffix=".shp")),
        ("laughs.kml", h.kml_entities(10_000)),
        ("bomb.kmz", h.kmz_bomb(20_000_000)),
        ("wide.csv", h.csv_wide(600)),
        ("truncated.zip", h.zip_members(10)[:-30]),
    ]
    files = [light[i % len(light)] for i in range(N_UPLOADS - len(heavy))]
    for position, item in zip((1, 17, 33), heavy, strict=True):
        files.insert(position, item)
    return files


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def _descendants(pid: int) -> list[int]:
    """Processes below ``pid`` (children, grandchildren ...), from /proc."""
    parent: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        found += kids
        frontier += kids
    return found


def _health_s(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
        assert r.status == 200
    return time.perf_counter() - start


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_fifty_hostile_uploads_leave_the_server_up_and_its_memory_back(tmp_path: Path) -> None:
    files = _hostile_files()
    assert len(files) == N_UPLOADS
    paths = []
    for i, (name, data) in enumerate(files):
        path = tmp_path / f"{i:02d}-{name}"
        path.write_bytes(data)
        paths.append(path)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=REPO,
        env={**os.environ, "WZGEO_PARSE_WALL_S": "30"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    started = time.monotonic()
    try:
        while True:
            assert server.poll() is None, "streamlit exited early"
            try:
                _health_s(url)
                break
            except OSError:
                assert time.monotonic() - started < 120, "streamlit did not start"
                time.sleep(0.1)
        with browser() as b:
            page = b.new_page(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
            page.goto(url + "/plot-check", timeout=TIMEOUT_MS)
            page.wait_for_selector('input[type="file"]', state="attached", timeout=TIMEOUT_MS)
            time.sleep(1.0)  # the page's first run finished; its caches are warm
            rss_start = _rss_kb(server.pid)
            rss_peak, worst_health, times = rss_start, 0.0, {}
            for path in paths:
                t0 = time.perf_counter()
                page.set_input_files('input[type="file"]', str(path))
                alert = page.locator('[data-testid="stAlertContentError"]', has_text=path.name)
                try:
                    alert.first.wait_for(timeout=TIMEOUT_MS)
                except Exception:
                    save_screenshot(page, f"soak-{path.stem}")
                    raise
                times[path.name] = time.perf_counter() - t0
                text = alert.first.inner_text()
                assert "Traceback" not in text and "File " in text and "文件" in text, text
                assert server.poll() is None, f"the server died after {path.name}"
                health = _health_s(url)
                assert health < 1.0, (path.name, health)
                worst_health = max(worst_health, health)
                rss_peak = max(rss_peak, _rss_kb(server.pid))
            assert not page.get_by_text("Traceback").count()
            page.close()
        time.sleep(2.0)  # the session's last upload is released with the page
        rss_end = _rss_kb(server.pid)
        helpers = _descendants(server.pid)  # the zygote only: no reading process left
        slowest = sorted(times, key=times.__getitem__)[-3:]
        print(
            f"\nsoak: {N_UPLOADS} uploads in {sum(times.values()):.1f} s (median "
            f"{sorted(times.values())[len(times) // 2]:.2f} s, slowest "
            f"{', '.join(f'{n} {times[n]:.1f} s' for n in slowest)}); health worst "
            f"{worst_health * 1000:.0f} ms; server RSS {rss_start / 1024:.0f} MB at start, "
            f"{rss_peak / 1024:.0f} MB peak, {rss_end / 1024:.0f} MB at end "
            f"({rss_end / rss_start:.2f}x); processes below the server: {len(helpers)}"
        )
        assert rss_end < 1.5 * rss_start, (rss_start, rss_peak, rss_end)
        assert len(helpers) <= 1, helpers
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.seek(0)
        tail = log.read()[-4000:].decode("utf-8", "replace")
        log.close()
        assert "Traceback" not in tail, tail
