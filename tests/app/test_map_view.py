"""Tests for wzgeo.app.pages._map_view: the map page's map, drawn once per view and shared.

The arguments kept per view must be exactly what ``st_folium`` sends for the same map (the
iframe, its key and what it draws do not change), and the server's warm-up must leave the
first view a new session opens drawn, so that session does not draw it again.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import streamlit_folium as sf
from streamlit.testing.v1 import AppTest

from tests.maps.test_webmap import sample_frames
from wzgeo.app.pages import _map_view
from wzgeo.maps import webmap

REPO = Path(__file__).resolve().parents[2]
_RANDOM_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(autouse=True)
def _own_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WZGEO_STORE", str(tmp_path / "store.sqlite"))


def _recorder(calls: list[dict[str, Any]]) -> Any:
    def component(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return kwargs.get("default")

    return component


def _same(value: Any) -> Any:
    """``value`` with folium's random element ids replaced (two builds of one map differ
    only there)."""
    if isinstance(value, str):
        return _RANDOM_ID.sub("ID", value)
    if isinstance(value, list):
        return [_same(v) for v in value]
    if isinstance(value, dict):
        return {k: _same(v) for k, v in value.items()}
    return value


def _count_builds(monkeypatch: pytest.MonkeyPatch, setting: str) -> list[str]:
    """From now on, the ``setting`` of every ``build_map_parts`` call, in a list."""
    original = webmap.build_map_parts
    built: list[str] = []

    def counted(**kwargs: Any) -> Any:
        built.append(str(kwargs.get(setting)))
        return original(**kwargs)

    monkeypatch.setattr(webmap, "build_map_parts", counted)
    return built


def test_kept_arguments_are_st_folium_own(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(sf, "_component_func", _recorder(calls))
    frames = sample_frames()

    kept = _map_view._component_args(webmap.build_map_parts(**frames, basemap="none"), [])
    assert calls == []  # diverted into the cache, not sent

    parts = webmap.build_map_parts(**frames, basemap="none")
    sf.st_folium(
        parts.base,
        key="main_map",
        height=_map_view.MAP_HEIGHT_PX,
        use_container_width=True,
        returned_objects=["last_object_clicked_tooltip"],
        feature_group_to_add=list(parts.layers),
        layer_control=parts.layer_control,
    )
    assert len(calls) == 1
    direct = dict(calls[0])
    assert callable(direct.pop("on_change"))
    assert set(kept) == set(direct)
    assert _same(kept) == _same(direct)
    # the iframe's key is the hash of the base map's script: equal without normalising
    assert kept["key"] == direct["key"]
    assert "markerClusterGroup" in kept["feature_group"]


def test_show_sends_the_kept_arguments_with_a_fresh_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(sf, "_component_func", _recorder(calls))
    parts = webmap.build_map_parts(**sample_frames(), basemap="none")
    rendered = _map_view.RenderedMap(
        notes=None, intensity=None, component=_map_view._component_args(parts, [])
    )
    _map_view.show(rendered)
    _map_view.show(rendered)
    assert len(calls) == 2
    first, second = calls
    assert first["script"] == rendered.component["script"]
    assert callable(first["on_change"])
    # each call gets its own copy of the default value (a session may change what it gets)
    assert first["default"] == rendered.component["default"]
    assert first["default"] is not second["default"]
    assert first["default"] is not rendered.component["default"]


def test_the_warm_up_draws_the_first_view_a_session_opens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After the warm-up (outside a session) a new session's map page, opened without
    settings but ``basemap=none``, finds its map drawn: it neither builds nor renders it."""
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()
    assert _map_view.warm_default_views(("none",)) == 1

    built = _count_builds(monkeypatch, "style")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params["basemap"] = "none"
    at.run()
    assert not at.exception
    assert [e for e in at.get("component_instance") if "st_folium" in str(e.proto)]
    assert built == []  # the warm-up's view was used

    # another view (the other zone style) is drawn for its session, once, then kept
    for _ in range(2):
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
        at.query_params["basemap"] = "none"
        at.query_params["style"] = "sector"
        at.run()
        assert not at.exception
    assert built == ["sector"]


def test_the_warm_up_leaves_the_drawing_to_a_session_already_running() -> None:
    """A browser that connected during the warm-up: its session draws the view it asks for,
    the warm-up draws none (two draws at once would each take twice as long)."""
    import threading

    release = threading.Event()
    script = threading.Thread(target=release.wait, name="ScriptRunner.scriptThread")
    script.start()
    try:
        assert _map_view.warm_default_views(("none",)) == 0
    finally:
        release.set()
        script.join()
    assert _map_view.warm_default_views(("none",)) == 1


def _sample_kwargs(**changes: Any) -> dict[str, Any]:
    frames = sample_frames()
    kwargs: dict[str, Any] = {
        **frames,
        "zones_all": frames["zones"],
        "intensity": None,
        "lang": "zh",
        "highlight": None,
        "style": "level",
        "target_yi_per_km2": 50,
        "basemap": "none",
        "tianditu_key": None,
    }
    return {**kwargs, **changes}


def test_a_view_kept_on_disk_is_read_back_not_drawn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After a restart (an empty memory cache) the same view is read from disk, equal to the
    one drawn; a changed input is drawn anew."""
    monkeypatch.setenv("WZGEO_CACHE_DIR", str(tmp_path / "views"))
    drawn = _map_view._draw_kept(_sample_kwargs())
    assert len(list((tmp_path / "views").glob("*.view.pickle"))) == 1

    built = _count_builds(monkeypatch, "lang")
    again = _map_view._draw_kept(_sample_kwargs())
    assert built == []
    assert again.component == drawn.component  # what st_folium sends, to the byte
    assert again.intensity is not None and again.intensity.equals(drawn.intensity)
    assert list(again.notes.zones_not_located["zone_id"]) == ["jiulong_a"]

    english = _map_view._draw_kept(_sample_kwargs(lang="en"))
    assert built == ["en"]
    assert english.component["feature_group"] != drawn.component["feature_group"]
    renamed = _sample_kwargs()
    renamed["zones"].loc[0, "name_zh"] = "高峰园（已改名）"
    assert "高峰园（已改名）" in _map_view._draw_kept(renamed).component["feature_group"]
    assert built == ["en", "zh"]


def test_a_tianditu_key_is_never_written_to_disk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WZGEO_CACHE_DIR", str(tmp_path / "views"))
    _map_view._draw_kept(_sample_kwargs(basemap="tianditu", tianditu_key="0123456789abcdef" * 2))
    views = tmp_path / "views"
    assert not views.exists() or not any(views.iterdir())
