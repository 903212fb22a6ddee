"""Basemap tile sources from ``basemaps.toml`` (wzgeo.maps.basemaps) and their use by the map."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.maps.test_webmap import sample_frames
from wzgeo.errors import WzgeoError
from wzgeo.maps import basemaps
from wzgeo.maps.webmap import build_map

WMTS = (
    "https://gis.example.local/wmts?layer=img&TileMatrix={TileMatrix}&TileRow={TileRow}"
    "&TileCol={TileCol}"
)
CONFIG = f'''
default = "office"

[[source]]
id = "office"
name_zh = "单位影像底图"
name_en = "Office imagery"
kind = "wmts"
url = "{WMTS}"
crs = "cgcs2000"
attribution = "© 万州区<规划>局"
max_zoom = 17

[[source]]
id = "shifted"
name_zh = "某商业底图"
kind = "xyz"
url = "https://t{{s}}.example.local/{{z}}/{{x}}/{{y}}.png"
crs = "gcj02"
subdomains = "12"

[[source]]
id = "osm"
'''


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "basemaps.toml"
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("WZGEO_BASEMAPS", str(path))
    return path


def test_builtin_sources_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WZGEO_BASEMAPS", str(tmp_path / "absent.toml"))
    cfg = basemaps.load_basemaps()
    assert cfg.ids() == ("osm", "gaode", "tianditu", "none")
    assert cfg.default == "osm"
    # Gaode over https (the issue saw http: mixed content on an https site)
    assert cfg.sources["gaode"].url.startswith("https://") and cfg.sources["gaode"].gcj02


def test_file_sources_wmts_converted_and_default(config: Path) -> None:
    cfg = basemaps.load_basemaps()
    assert cfg.ids() == ("office", "shifted", "osm", "none")
    assert cfg.default == "office"
    office = cfg.sources["office"]
    assert office.url == (
        "https://gis.example.local/wmts?layer=img&TileMatrix={z}&TileRow={y}&TileCol={x}"
    )
    assert (office.crs, office.max_zoom, office.name("en")) == ("cgcs2000", 17, "Office imagery")
    assert cfg.sources["shifted"].name("en") == "某商业底图"  # no English name: the Chinese one
    assert cfg.sources["osm"] == basemaps.BUILTIN["osm"]


def test_map_uses_the_configured_source(config: Path) -> None:
    html = build_map(**sample_frames(), basemap="office").get_root().render()  # type: ignore[arg-type]
    url = "https://gis.example.local/wmts?layer=img&TileMatrix={z}&TileRow={y}&TileCol={x}"
    assert url.replace("&", "\\u0026") in html
    assert '"maxZoom": 17' in html
    # the attribution is escaped (then JSON-encoded by folium)
    assert "\\u0026lt;\\u89c4\\u5212\\u0026gt;" in html and "<规划>" not in html
    m = build_map(**sample_frames(), basemap="office")  # type: ignore[arg-type]
    assert not m.notes.gcj02  # type: ignore[attr-defined]


def _zone_lon(m: object) -> float:
    html = m.get_root().render()  # type: ignore[attr-defined]
    coords = re.findall(r'"coordinates": (\[\[\[.*?\]\]\])', html)
    return float(json.loads(coords[0])[0][0][0])


def test_a_gcj02_source_shifts_the_data(config: Path) -> None:
    plain = build_map(**sample_frames(), basemap="office")  # type: ignore[arg-type]
    shifted = build_map(**sample_frames(), basemap="shifted")  # type: ignore[arg-type]
    assert shifted.notes.gcj02  # type: ignore[attr-defined]
    # GCJ-02 near Wanzhou moves points east by roughly 0.004–0.006° (about 400–600 m)
    assert 0.003 < _zone_lon(shifted) - _zone_lon(plain) < 0.008


def test_offline_means_no_basemap_by_default(tmp_path: Path) -> None:
    path = tmp_path / "b.toml"
    path.write_text(CONFIG.replace('default = "office"', "offline = true"), encoding="utf-8")
    assert basemaps.load_basemaps(path).default == "none"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (('crs = "cgcs2000"', 'crs = "bd09"'), "bd09"),
        (('kind = "wmts"', 'kind = "tms"'), "tms"),
        (("https://gis.example.local/wmts", "ftp://gis.example.local/wmts"), "https://"),
        (("{TileCol}", "{col}"), "TileCol"),
        (('subdomains = "12"', ""), "subdomains"),
        (('default = "office"', 'default = "nothere"'), "nothere"),
        (("max_zoom = 17", "max_zoom = 40"), "max_zoom"),
        (('id = "shifted"', 'id = "office"'), "twice"),
        (('[[source]]\nid = "osm"', "[[source"), "TOML"),
    ],
    ids=["crs", "kind", "scheme", "placeholder", "subdomains", "default", "zoom", "dup", "toml"],
)
def test_bad_file_gives_a_bilingual_message(
    tmp_path: Path, change: tuple[str, str], match: str
) -> None:
    assert change[0] in CONFIG
    path = tmp_path / "bad.toml"
    path.write_text(CONFIG.replace(*change), encoding="utf-8")
    with pytest.raises(WzgeoError, match=match) as info:
        basemaps.load_basemaps(path)
    assert "底图配置" in info.value.zh and "basemap configuration" in info.value.en


def test_app_offers_the_configured_basemaps(config: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    radio = at.radio(key="map_basemap")
    assert radio.options == ["单位影像底图", "某商业底图", "OpenStreetMap 地图", "无底图"]
    assert radio.value == "office"  # the configured default
    assert at.query_params["basemap"] in (["office"], "office")


def test_cli_exports_with_a_configured_basemap(config: Path, tmp_path: Path) -> None:
    from wzgeo.cli.entry import main

    out = tmp_path / "map.html"
    assert main(["export-map", "--out", str(out), "--basemap", "office"]) == 0
    assert "gis.example.local/wmts" in out.read_text(encoding="utf-8")
    assert main(["export-map", "--out", str(tmp_path / "x.html"), "--basemap", "nothere"]) == 2
