"""Tests for wzgeo.app.server and the app's start-up path (app.py as the server, first run).

The start-up time itself is measured by ``bench/bench_app.py`` (not a timed test); these
tests check the mechanisms it relies on, each of which can silently regress:
the server import stays light, the warm-up fills the caches a session reads, and the first
run neither solves the siting ILP nor loads Streamlit's emoji catalogue.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wzgeo.analysis import sitingcache
from wzgeo.app import server as appserver
from wzgeo.app import state as appstate
from wzgeo.paths import geodata_dir
from wzgeo.plan import data as plandata

REPO = Path(__file__).resolve().parents[2]
ALERTS = {"error", "warning", "info", "success", "toast"}


def _run(code: str, **env: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, **env},
    ).stdout


def test_app_py_outside_a_session_is_a_light_streamlit_server() -> None:
    """``streamlit run app.py`` imports app.py to find ``app``: that must be an st.App and
    must not import the data stack (which would delay the server's first answer)."""
    out = _run(
        "import runpy, sys, json\n"
        "ns = runpy.run_path('app.py')\n"
        "print(json.dumps([type(ns.get('app')).__name__, str(ns['app'].script_path),"
        " sorted(m for m in ('pandas', 'geopandas', 'folium', 'scipy') if m in sys.modules)]))"
    )
    kind, script, heavy = json.loads(out.strip().splitlines()[-1])
    assert kind == "App"
    assert Path(script) == REPO / "app.py"
    assert heavy == []


def test_warm_up_fills_the_caches_a_session_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    st.cache_data.clear()  # what earlier tests cached must not count
    st.cache_resource.clear()
    seconds = appserver.warm_up()
    assert seconds > 0

    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("recomputed: the warm-up did not fill this cache")

    for name in ("load_projects", "load_zones", "load_indicators", "load_targets"):
        monkeypatch.setattr(plandata, name, boom)
    monkeypatch.setattr(sitingcache, "suggest_locations", boom)
    data_dir = str(geodata_dir())
    revision = appstate.store_revision()
    tables = appstate.plan_tables()
    assert tables.projects is not None and len(tables.projects) == 135
    located = appstate._locations(data_dir, (), revision)
    assert located is not None and set(located["location_label"]) == {"plan", "suggested"}
    assert appstate.geometry().district is not None


def test_warm_up_with_a_broken_fit_table_still_warms_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken sector_fit.csv: no suggestions (the page says why), but the plan tables and
    the plan locations are still warmed."""
    import shutil

    import streamlit as st

    from wzgeo.analysis import balance

    copy = tmp_path / "geodata"
    shutil.copytree(geodata_dir(), copy)
    (copy / "sector_fit.csv").write_text("not,a\nfit table\n", encoding="utf-8")
    monkeypatch.setenv("WZGEO_GEODATA", str(copy))
    st.cache_data.clear()
    st.cache_resource.clear()
    appserver.warm_up()

    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("recomputed: the warm-up did not fill this cache")

    monkeypatch.setattr(balance, "locate_projects", boom)
    monkeypatch.setattr(plandata, "load_projects", boom)
    located = appstate._locations(str(copy), (), appstate.store_revision())
    assert located is not None and "suggested" not in set(located["location_label"])
    assert appstate.plan_tables().projects is not None


def test_warm_up_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken data folder: the warm-up logs and returns; the page reports the error."""
    monkeypatch.setenv("WZGEO_GEODATA", str(tmp_path / "no_such_folder"))

    def broken() -> None:
        raise RuntimeError("disk on fire")

    assert appserver.warm_up() >= 0
    monkeypatch.setattr(appstate, "warm_caches", broken)
    assert appserver.warm_up() >= 0


def _alert_calls_without_icon(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ALERTS
            and not (
                isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"log", "logger", "logging", "warnings"}
            )
            and not any(k.arg == "icon" for k in node.keywords)
        ):
            bad.append(f"{path.name}:{node.lineno}")
    return bad


def test_every_alert_names_its_icon() -> None:
    """``st.warning("中文…")`` without ``icon=`` makes Streamlit load its emoji catalogue
    (≈ 0.17 s) to look for a leading emoji; every alert passes a Material icon instead."""
    files = [REPO / "app.py", *sorted((REPO / "wzgeo").rglob("*.py"))]
    bad = [where for f in files for where in _alert_calls_without_icon(f)]
    assert bad == []


def test_the_check_finds_an_alert_without_icon(tmp_path: Path) -> None:
    f = tmp_path / "probe.py"
    f.write_text(
        "import streamlit as st\nst.warning('注意')\nst.info('好', icon='x')\nlog.info('x')\n",
        encoding="utf-8",
    )
    assert _alert_calls_without_icon(f) == ["probe.py:2"]


def test_first_run_loads_no_emoji_catalogue_and_solves_nothing() -> None:
    """A session's first run (the map page) in a fresh process: no emoji catalogue, and the
    shipped siting read from geodata/plan/siting.json instead of importing scipy.optimize."""
    out = _run(
        "import sys, json\n"
        "from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('app.py', default_timeout=120)\n"
        "at.query_params['basemap'] = 'none'\n"
        "at.run()\n"
        "print(json.dumps([len(at.exception), 'streamlit.emojis' in sys.modules,"
        " 'scipy.optimize' in sys.modules, len(at.title)]))"
    )
    n_exc, emojis, scipy_opt, n_title = json.loads(out.strip().splitlines()[-1])
    assert (n_exc, n_title) == (0, 1)
    assert emojis is False
    stored = sitingcache.read_siting()
    if stored is not None and stored[0]["versions"] == sitingcache.library_versions():
        assert scipy_opt is False


def test_warm_up_starts_the_file_reader_after_a_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader's helper process starts after the warm-up, not during the first paint."""
    import threading

    from wzgeo.plots import io as plotio

    started = threading.Event()
    monkeypatch.setattr(plotio, "start_reader", started.set)
    monkeypatch.setattr(appserver, "READER_DELAY_S", 0.3)
    appserver.warm_up()
    assert not started.is_set()  # not yet: it waits READER_DELAY_S
    assert started.wait(5.0)
