"""Plot check page with a large upload, in a real browser: how long a widget change takes.

Starts ``streamlit run app.py`` (its own empty store), opens 地块核查 in Debian chromium at
1400×900 (offline: every request leaving the app is aborted), uploads a 部标 TXT of N square
plots around 高峰园 and waits for the answer. Then, repeatedly, it changes widgets and times
each change from the click until the script run is over and the page shows the new state
(the answer in the new language, or the new sector's fit):

- ``lang``: 中文 → English and back (the check is neither re-read nor re-run);
- ``sector (cached)``: back to a sector already checked (no re-check);
- ``sector (new)``: a sector not checked before (the plots are checked again, not re-read).

Usage (from the repository root)::

    python bench/bench_plot_check.py              # 10,000 plots, 5 rounds
    python bench/bench_plot_check.py --plots 2000 --rounds 3

Prints one line per timing and a summary table (median / max seconds) for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests._browser import browser, streamlit_server  # noqa: E402
from tests._plotcheck_helpers import bubiao_txt  # noqa: E402

TIMEOUT_MS = 300_000
MAIN = '[data-testid="stMain"]'


_WATCH = """() => {
  if (window.__runs !== undefined) return;
  window.__runs = 0;
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.target.getAttribute('data-test-script-state') === 'running') window.__runs++;
    }
  }).observe(document.body, {
    attributes: true, subtree: true, attributeFilter: ['data-test-script-state'],
  });
}"""
_IDLE = "() => document.querySelector('[data-test-script-state]')"
_IDLE += ".getAttribute('data-test-script-state') !== 'running'"


def _settled(page: Any) -> None:
    """Wait until no script run is going on."""
    page.wait_for_function(_IDLE, timeout=TIMEOUT_MS)


def _timed(page: Any, action: Any, done_text: str) -> float:
    """Seconds from ``action`` until a script run it started is over and ``done_text`` shows.

    A MutationObserver on the app's script state (anywhere in the page, should the element
    be replaced) counts the runs, so a run faster than the polling is not missed.
    """
    page.evaluate(_WATCH)
    runs = page.evaluate("() => window.__runs")
    t0 = time.perf_counter()
    action()
    page.wait_for_function(f"() => window.__runs > {runs}", timeout=TIMEOUT_MS)
    _settled(page)
    page.locator('[data-testid="stMarkdown"]', has_text=done_text).first.wait_for(
        timeout=TIMEOUT_MS
    )
    return time.perf_counter() - t0


def _switch(page: Any, lang: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_text(
        "English" if lang == "en" else "中文", exact=True
    ).click()


def _sector(page: Any, label: str, option: str) -> None:
    page.locator(MAIN).get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plots", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="wzgeo-bench-plotcheck-"))
    txt = tmp / f"plots_{args.plots}.txt"
    txt.write_bytes(bubiao_txt(name="地块", side_m=50.0, n=args.plots))
    print(f"{args.plots:,} plots, {txt.stat().st_size / 1e6:.1f} MB TXT", flush=True)
    env = {"WZGEO_STORE": str(tmp / "store.sqlite")}
    timings: dict[str, list[float]] = {"lang": [], "sector (cached)": [], "sector (new)": []}
    with streamlit_server(REPO / "app.py", env=env, timeout_s=120) as url, browser() as b:
        context = b.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        host = url.split("//", 1)[1]
        context.route(
            "**/*",
            lambda r: (
                r.continue_()
                if r.request.url.startswith(("data:", "blob:"))
                or r.request.url.split("//", 1)[-1].startswith(host)
                else r.abort()
            ),
        )
        page = context.new_page()
        page.goto(url + "/plot-check")
        page.wait_for_selector('input[type="file"]', state="attached", timeout=TIMEOUT_MS)
        _settled(page)
        first = _timed(
            page,
            lambda: page.set_input_files('input[type="file"]', str(txt)),
            f"共 {args.plots:,} 个地块",
        )
        print(f"upload → answer (read + check, once): {first:.2f} s", flush=True)
        sectors = ["新材料", "食品", "汽车", "电子信息", "化工", "医药", "服装", "消费品"]
        for i in range(args.rounds):
            t = _timed(page, lambda: _switch(page, "en"), f"{args.plots:,} plots")
            timings["lang"].append(t)
            t2 = _timed(page, lambda: _switch(page, "zh"), f"共 {args.plots:,} 个地块")
            timings["lang"].append(t2)
            new = sectors[(i % (len(sectors) - 1)) + 1]
            t3 = _timed(page, lambda n=new: _sector(page, "产业", n), f"共 {args.plots:,} 个地块")
            timings["sector (new)"].append(t3)
            t4 = _timed(page, lambda: _sector(page, "产业", "新材料"), f"共 {args.plots:,} 个地块")
            timings["sector (cached)"].append(t4)
            print(
                f"round {i + 1}: lang {t:.2f} / {t2:.2f} s, new sector ({new}) {t3:.2f} s, "
                f"cached sector {t4:.2f} s",
                flush=True,
            )
        errors = page.locator('[data-testid="stException"]').count()
        context.close()
    print()
    print(f"| widget change ({args.plots:,} plots) | n | median s | max s |")
    print("|---|---:|---:|---:|")
    for name, values in timings.items():
        print(f"| {name} | {len(values)} | {statistics.median(values):.2f} | {max(values):.2f} |")
    print(f"\nexception boxes: {errors}; load average: {os.getloadavg()[0]:.1f}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
