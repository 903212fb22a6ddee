"""Tests for wzgeo.maps.webmap: render the map to HTML and assert on its content."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from wzgeo.errors import CRSError, WzgeoError
from wzgeo.maps.offline import external_asset_urls
from wzgeo.maps.webmap import (
    build_map,
    build_map_parts,
    export_map_html,
    filter_projects,
    intensity_bins,
)

HOSTILE = "<img src=x onerror=alert(1)> `${alert(2)}`"
GAOFENG_BOX = (108.32, 30.70, 108.36, 30.73)
WUQIAO_BOX = (108.44, 30.77, 108.47, 30.79)


def sample_frames() -> dict[str, object]:
    """Tiny inputs: a schematic zone, an official one (hostile name), one not located."""
    district = gpd.GeoDataFrame(
        {"name": ["万州区"]}, geometry=[box(107.9, 30.4, 108.9, 31.1)], crs=4326
    )
    zones_geo = gpd.GeoDataFrame(
        {
            "zone_id": ["gaofeng", "wuqiao", "jiulong_a"],
            "geometry_quality": ["schematic", "official", "not_located"],
            "area_km2_measured": [11.7, 1.3, None],
        },
        geometry=[box(*GAOFENG_BOX), box(*WUQIAO_BOX), None],
        crs=4326,
    )
    zones = pd.DataFrame(
        {
            "zone_id": ["gaofeng", "wuqiao", "jiulong_a"],
            "name_zh": ["高峰园", HOSTILE, "九龙园A区"],
            "name_en": ["Gaofeng", "Wuqiao", "Jiulong A"],
            "level": ["national_etdz", "national_etdz", "national_etdz"],
            "planned_land_km2": [11.7, 1.3, 6.2],
            "sector_ids": ["nm_copper;auto", "electronics", "food"],
        }
    )
    projects = pd.DataFrame(
        {
            "project_id": ["NM-CU-01", "AU-01", "EI-01", "FP-FD-01", "EQ-01"],
            "sector_id": ["nm_copper", "auto", "electronics", "food", "equipment"],
            "name_zh": ["铜箔项目", HOSTILE, "芯片封装", "食品加工", "智能装备"],
            "output_yi": [30.0, 5.0, 1.0, 2.0, None],
            "land_mu": [200.0, 50.0, None, 10.0, 5.0],
            "floor_m2": [None, None, 5000.0, None, None],
            "stage": ["signed", "planning", "operating", "building", "tracking"],
            "zone_id": ["gaofeng", "gaofeng", "wuqiao", "jiulong_a", None],
            "location_label": ["plan", "suggested", "assigned", "plan", None],
        }
    )
    intensity = pd.DataFrame(
        {"zone_id": ["gaofeng", "wuqiao"], "intensity_yi_per_km2": [30.0, 80.0]}
    )
    return {
        "district": district,
        "zones_geo": zones_geo,
        "zones": zones,
        "projects": projects,
        "intensity": intensity,
    }


@pytest.fixture
def frames() -> dict[str, object]:
    return sample_frames()


def render(**kwargs: object) -> tuple[object, str]:
    m = build_map(**kwargs)  # type: ignore[arg-type]
    return m, m.get_root().render()


def zone_features(m: object) -> dict[str, dict[str, object]]:
    """zone_id -> GeoJSON feature of the zone layers drawn (first layer per zone)."""
    found: dict[str, dict[str, object]] = {}

    def walk(el: object) -> None:
        data = getattr(el, "data", None)
        if isinstance(data, dict):
            for feat in data.get("features", [data]):
                zid = feat.get("properties", {}).get("zone_id")
                if zid and zid not in found:
                    found[zid] = feat
        for child in getattr(el, "_children", {}).values():
            walk(child)

    walk(m)
    return found


_PROJECT_LAYER = re.compile(
    r"var (project_markers_\w+) = L\.geoJSON\((\{.*?\}), \{pointToLayer:.*?"
    r"(\w+)\.(addLayers|addTo)\(",
)


def project_layers(html: str) -> list[tuple[bool, list[dict[str, object]]]]:
    """(clustered, features) of every project marker layer in the rendered page."""
    found = []
    for _name, data, _target, how in _PROJECT_LAYER.findall(html):
        found.append((how == "addLayers", json.loads(data)["features"]))
    return found


def project_points(html: str) -> dict[str, dict[str, object]]:
    """project_id -> properties and [lon, lat] of every drawn project."""
    return {
        f["properties"]["project_id"]: {**f["properties"], "lonlat": f["geometry"]["coordinates"]}
        for _, feats in project_layers(html)
        for f in feats
    }


def test_layers_legend_and_target(frames: dict[str, object]) -> None:
    _, html = render(**frames, basemap="none")
    for name in ("万州区界", "园区（按园区级别）", "地均产出 (亿元/km²)", "重点项目"):
        assert json.dumps(name) in html, name  # layer-control entry (tojson, ASCII-escaped)
    assert "L.control.layers" in html
    # the legend marks the target, the class boundaries diverge around it
    assert "目标: 50 亿元/km²" in html
    assert "50 – 62.5" in html and "40 – 50" in html
    _, html70 = render(**frames, basemap="none", target_yi_per_km2=70)
    assert "目标: 70 亿元/km²" in html70 and "56 – 70" in html70
    assert "目标: 50" not in html70


def test_schematic_dashed_and_bannered(frames: dict[str, object]) -> None:
    m, html = render(**frames, basemap="none")
    styles = re.findall(r"return (\{[^{}]*\"className\": \"wz-zone[^{}]*\});", html)
    by_quality = {json.loads(s)["className"].split()[-1]: json.loads(s) for s in styles}
    assert by_quality["wz-q-schematic"]["dashArray"] == "8 6"
    assert by_quality["wz-q-official"]["dashArray"] is None
    assert "虚线：示意位置，非官方边界" in html  # legend note
    assert "园区边界为示意图" in html  # banner
    assert m.notes.schematic  # type: ignore[attr-defined]


def test_no_schematic_no_banner(frames: dict[str, object]) -> None:
    zg = frames["zones_geo"].copy()  # type: ignore[attr-defined]
    zg["geometry_quality"] = ["official", "official", "not_located"]
    m, html = render(**{**frames, "zones_geo": zg}, basemap="none")
    assert "园区边界为示意图" not in html
    assert not m.notes.schematic  # type: ignore[attr-defined]


def test_not_located_and_unplaced_listed_not_drawn(frames: dict[str, object]) -> None:
    m, html = render(**frames, basemap="none")
    notes = m.notes  # type: ignore[attr-defined]
    assert notes.zones_not_located["zone_id"].tolist() == ["jiulong_a"]
    assert set(notes.projects_unplaced["project_id"]) == {"FP-FD-01", "EQ-01"}
    reasons = dict(
        zip(notes.projects_unplaced["project_id"], notes.projects_unplaced["reason"], strict=True)
    )
    assert reasons == {"FP-FD-01": "zone_not_located", "EQ-01": "no_zone"}
    assert set(zone_features(m)) == {"gaofeng", "wuqiao"}
    assert html.count('class=\\"wz-proj') == 3  # three drawn markers, not five
    assert sorted(project_points(html)) == ["AU-01", "EI-01", "NM-CU-01"]
    assert "位置未知、未绘制的园区" in html and "九龙园A区" in html


def test_project_placed_at_zone_representative_point(frames: dict[str, object]) -> None:
    _, html = render(**frames, basemap="none")
    rp = box(*GAOFENG_BOX).representative_point()
    points = project_points(html)
    assert points["NM-CU-01"]["lonlat"] == points["AU-01"]["lonlat"] == [rp.x, rp.y]  # GeoJSON
    wq = box(*WUQIAO_BOX).representative_point()
    assert points["EI-01"]["lonlat"] == [wq.x, wq.y]
    assert "建议园区（推算）" in html  # AU-01's location label in its popup
    assert "用户指定园区" in html


def test_hostile_names_are_escaped(frames: dict[str, object]) -> None:
    _, html = render(**frames, basemap="none")
    assert "<img src=x" not in html
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html
    # every occurrence sits in a JSON string literal we emit, never in a backtick template
    for line in html.splitlines():
        if "alert(2)" in line:
            assert re.search(r'(bind(Tooltip|Popup)\(|innerHTML=|L\.geoJSON\()[{"]', line), line
    # the project's tooltip/popup HTML, as Leaflet receives it, shows the name as text
    tip = str(project_points(html)["AU-01"]["html"])
    assert "&lt;img src=x onerror=alert(1)&gt; `${alert(2)}`" in tip
    assert "<img" not in tip


def test_only_tile_templates_are_external(frames: dict[str, object]) -> None:
    _, html = render(**frames, basemap="osm")
    assert external_asset_urls(html) == []
    assert "data:text/javascript;base64," in html  # leaflet from the installed package
    tiles = re.findall(r'L\.tileLayer\(\s*"([^"]+)"', html)
    assert tiles == ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"]
    _, html_none = render(**frames, basemap="none")
    assert "L.tileLayer(" not in html_none
    assert external_asset_urls(html_none) == []


def test_gaode_shifts_all_vector_data(frames: dict[str, object]) -> None:
    m_osm, _ = render(**frames, basemap="osm")
    m_gd, html = render(**frames, basemap="gaode")
    a = zone_features(m_osm)["wuqiao"]["geometry"]["coordinates"][0][0]  # type: ignore[index]
    b = zone_features(m_gd)["wuqiao"]["geometry"]["coordinates"][0][0]  # type: ignore[index]
    # DOMAIN.md: near Wanzhou GCJ-02 is about +0.0046° lon, -0.0023° lat
    assert b[0] - a[0] == pytest.approx(0.0046, abs=0.001)
    assert b[1] - a[1] == pytest.approx(-0.0023, abs=0.001)
    assert "autonavi.com" in html
    assert "GCJ-02" in html
    assert m_gd.notes.gcj02  # type: ignore[attr-defined]


def test_tianditu_needs_key(frames: dict[str, object]) -> None:
    m, html = render(**frames, basemap="tianditu")
    assert m.notes.basemap == "none"  # type: ignore[attr-defined]
    assert "tianditu.gov.cn" not in html
    assert any("密钥" in t for _, t in m.notes.texts("zh"))  # type: ignore[attr-defined]
    _, html_k = render(**frames, basemap="tianditu", tianditu_key="abcdef0123456789")
    assert "tianditu.gov.cn/vec_w" in html_k and "tk=abcdef0123456789" in html_k
    with pytest.raises(WzgeoError, match="Tianditu key"):
        build_map(**frames, basemap="tianditu", tianditu_key='x"});alert(1)//')  # type: ignore[arg-type]


def test_sector_style_and_english(frames: dict[str, object]) -> None:
    _, html = render(**frames, basemap="none", style="sector", lang="en")
    assert "Zones (By focus sector)" in html
    assert '"fillColor": "#1f77b4"' in html  # gaofeng: nm_copper -> new materials
    assert "New materials" in html and "target: 50 (100 M CNY/km²)" in html
    assert "园区" not in re.sub(r"\\u[0-9a-f]{4}", "", html.split("<body>")[1].split("九龙")[0])


def test_highlight_project_and_zone(frames: dict[str, object]) -> None:
    _, html = render(**frames, basemap="none", highlight=["EI-01", "gaofeng"])
    assert "wz-proj wz-hl" in html
    assert '"color": "#ff00ff"' in html
    # the highlighted project is in its own layer outside the cluster; the rest are clustered
    layers = {clustered: feats for clustered, feats in project_layers(html)}
    assert [f["properties"]["project_id"] for f in layers[False]] == ["EI-01"]  # type: ignore[index]
    assert layers[False][0]["properties"]["hl"] is True  # type: ignore[index]
    assert 'class="wz-proj wz-hl"' in layers[False][0]["properties"]["icon"]  # type: ignore[index,operator]
    assert sorted(f["properties"]["project_id"] for f in layers[True]) == ["AU-01", "NM-CU-01"]  # type: ignore[index]
    _, plain = render(**frames, basemap="none")
    # no highlight: one clustered layer per zone, each holding only that zone's projects
    per_zone = project_layers(plain)
    assert [c for c, _ in per_zone] == [True, True]
    zones_of = [{f["properties"]["zone_id"] for f in feats} for _, feats in per_zone]  # type: ignore[index]
    assert sorted(map(sorted, zones_of)) == [["gaofeng"], ["wuqiao"]]
    # no spiderfy: a click on a bubble zooms in and lists its projects
    assert plain.count('"spiderfyOnMaxZoom": false') == 2
    assert plain.count(".on('clusterclick',") == 2


def test_one_project_layer_whatever_the_number_of_projects(frames: dict[str, object]) -> None:
    """Rendering cost must not grow with one folium element per project (app round trip)."""
    p = frames["projects"]
    many = pd.concat([p] * 40, ignore_index=True)  # type: ignore[list-item]
    many["project_id"] = [f"P-{i:03d}" for i in range(len(many))]
    _, html = render(**{**frames, "projects": many}, basemap="none")
    assert len(project_points(html)) == 3 * 40
    # one project layer per zone (folium's zones: L.geoJson), not one per project
    assert html.count("L.geoJSON(") == 2
    assert html.count("L.marker(") == 2  # inside each layer's pointToLayer only
    assert "L.divIcon(" in html and "bindTooltip(p.html" in html


def test_inputs_not_mutated(frames: dict[str, object]) -> None:
    copies = {k: v.copy() for k, v in frames.items()}  # type: ignore[attr-defined]
    build_map(**frames, basemap="gaode")  # type: ignore[arg-type]
    for k, v in frames.items():
        pd.testing.assert_frame_equal(v, copies[k])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "exc", "match"),
    [
        ({"style": "colour"}, WzgeoError, "Unknown zone style"),
        ({"basemap": "google"}, WzgeoError, "Unknown basemap"),
        ({"target_yi_per_km2": 0}, WzgeoError, "must be positive"),
        ({"lang": "fr"}, WzgeoError, "Unsupported language"),
    ],
    ids=["style", "basemap", "target", "lang"],
)
def test_bad_options(frames: dict[str, object], change: dict, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        build_map(**{**frames, **change})  # type: ignore[arg-type]


def test_missing_crs_refused(frames: dict[str, object]) -> None:
    d = frames["district"].set_crs(None, allow_override=True)  # type: ignore[attr-defined]
    with pytest.raises(CRSError, match="no CRS"):
        build_map(**{**frames, "district": d})  # type: ignore[arg-type]


def test_other_crs_reprojected(frames: dict[str, object]) -> None:
    zg = frames["zones_geo"].to_crs(4545)  # type: ignore[attr-defined]
    m, _ = render(**{**frames, "zones_geo": zg}, basemap="none")
    xy = zone_features(m)["wuqiao"]["geometry"]["coordinates"][0][0]  # type: ignore[index]
    assert 108.43 < xy[0] < 108.48 and 30.76 < xy[1] < 30.80


def test_projects_optional(frames: dict[str, object]) -> None:
    m, html = render(**{**frames, "projects": None}, basemap="none")
    assert 'class=\\"wz-proj' not in html
    assert set(zone_features(m)) == {"gaofeng", "wuqiao"}


def test_export_map_html(frames: dict[str, object], tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    page = export_map_html(out, **frames, basemap="none")
    data = out.read_bytes()
    assert data.decode("utf-8") == page
    assert len(data) < 2 * 1024 * 1024
    assert "data:text/javascript" not in page  # inlined as <script> blocks
    assert re.search(r"<script>\s*/\* @preserve\s+\* Leaflet 1\.9\.3", page)
    assert "<title>" in page
    assert external_asset_urls(page) == []
    m = build_map(**frames, basemap="none")  # type: ignore[arg-type]
    assert export_map_html(m=m).count("wz-legend") >= 1
    with pytest.raises(WzgeoError, match="either a map"):
        export_map_html(m=m, basemap="none")


def test_filter_projects(frames: dict[str, object]) -> None:
    p = frames["projects"]
    assert filter_projects(p, sector="new_materials")["project_id"].tolist() == ["NM-CU-01"]  # type: ignore[arg-type]
    assert filter_projects(p, sector="food_pharma")["project_id"].tolist() == ["FP-FD-01"]  # type: ignore[arg-type]
    assert filter_projects(p, stage="planning")["project_id"].tolist() == ["AU-01"]  # type: ignore[arg-type]
    assert filter_projects(p, zone="gaofeng")["project_id"].tolist() == ["NM-CU-01", "AU-01"]  # type: ignore[arg-type]
    with pytest.raises(WzgeoError, match="Unknown stage"):
        filter_projects(p, stage="done")  # type: ignore[arg-type]


def test_intensity_bins_diverge_at_target() -> None:
    bins = intensity_bins(70)
    assert [b[0] for b in bins] == [0, 35, 56, 70, 87.5, 140]
    assert bins[2][1] == 70 and bins[3][0] == 70
    assert bins[2][2] != bins[3][2]


def test_nullable_string_dtypes_and_sector_table(frames: dict[str, object]) -> None:
    typed = {k: v.convert_dtypes() for k, v in frames.items()}  # type: ignore[attr-defined]
    sectors = pd.DataFrame(
        {
            "sector_id": ["new_materials", "nm_copper", "auto", "electronics"],
            "parent_id": [pd.NA, "new_materials", pd.NA, pd.NA],
        }
    ).astype("string")
    m, html = render(**typed, sectors=sectors, basemap="none")
    legend = html.split('"wz-box wz-legend"')[1]
    assert "新材料" in legend and "汽车" in legend and "电子信息" in legend
    assert m.notes.projects_unplaced["project_id"].tolist() == ["FP-FD-01", "EQ-01"]  # type: ignore[attr-defined]


def test_cli_export_map(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from wzgeo.cli.entry import main

    out = tmp_path / "m.html"
    rc = main(["export-map", "--out", str(out), "--basemap", "none", "--sector", "new_materials"])
    assert rc == 0, capsys.readouterr()
    page = out.read_text(encoding="utf-8")
    assert out.stat().st_size < 2 * 1024 * 1024
    assert external_asset_urls(page) == []
    assert "L.tileLayer(" not in page
    assert "NM-CU-" in page and "AU-0" not in page  # only the chosen sector's projects
    capsys.readouterr()
    assert main(["export-map", "--out", str(out), "--basemap", "tianditu", "--lang", "en"]) == 0
    assert "needs a key" in capsys.readouterr().out
    assert "tianditu.gov.cn" not in out.read_text(encoding="utf-8")
    assert main(["export-map", "--out", str(out), "--zone", "atlantis"]) == 2
    assert "Unknown zone" in capsys.readouterr().err


def test_zone_without_land_projects_has_no_intensity(frames: dict[str, object]) -> None:
    intensity = pd.DataFrame(
        {"zone_id": ["gaofeng", "wuqiao"], "intensity_yi_per_km2": [0.0, 80.0], "n_land": [0, 3]}
    )
    _, html = render(**{**frames, "intensity": intensity}, basemap="none")
    styles = [
        json.loads(s)
        for s in re.findall(r"return (\{[^{}]*\"className\": \"wz-intensity[^{}]*\});", html)
    ]
    fills = {s["className"].split()[-1]: s["fillColor"] for s in styles}
    assert fills == {"wz-q-schematic": "#ffffff", "wz-q-official": "#67a9cf"}  # 80: 62.5–100
    assert "无数据" in html


def test_view_fits_highlight(frames: dict[str, object]) -> None:
    _, html = render(**frames, basemap="none")
    # the drawn zones' extent (not the district, where zones are specks)
    assert "[[30.7, 108.32], [30.79, 108.47]]" in html
    _, html_hl = render(**frames, basemap="none", highlight="wuqiao")
    bounds = re.search(r"fitBounds\(\s*\[\[([\d.]+), ([\d.]+)\], \[([\d.]+), ([\d.]+)\]\]", html_hl)
    assert bounds is not None
    s, w, n, e = map(float, bounds.groups())
    assert s < 30.77 < 30.79 < n < 30.81 and w < 108.44 < 108.47 < e < 108.49


def test_unexpected_geometry_quality_never_reaches_markup(frames: dict[str, object]) -> None:
    zg = frames["zones_geo"].copy()  # type: ignore[attr-defined]
    zg["geometry_quality"] = ['"></script><script>alert(3)</script>', "official", "not_located"]
    _, html = render(**{**frames, "zones_geo": zg}, basemap="none")
    assert "alert(3)" not in html
    assert "wz-q-unknown" in html


def test_project_own_point_geometry_is_used(frames: dict[str, object]) -> None:
    from shapely.geometry import Point

    p = frames["projects"]
    geo = gpd.GeoDataFrame(
        p,  # type: ignore[arg-type]
        geometry=[Point(108.6, 30.9), None, None, None, None],
        crs=4326,
    )
    m, html = render(**{**frames, "projects": geo}, basemap="none")
    points = project_points(html)
    assert points["NM-CU-01"]["lonlat"] == [108.6, 30.9]  # at its own point
    rp = box(*GAOFENG_BOX).representative_point()
    assert points["AU-01"]["lonlat"] == [rp.x, rp.y]  # at the zone's point
    assert len(m.notes.projects_unplaced) == 2  # type: ignore[attr-defined]


# ---------------------------------------------------------------- build_map_parts (the app)


def _st_folium_strings(parts: object) -> tuple[str, str]:
    """(iframe key, dynamic script) exactly as ``st_folium`` computes them."""
    import streamlit_folium as sf

    base = parts.base  # type: ignore[attr-defined]
    base.get_root().render()
    script = sf._get_map_string(base)
    key = sf.generate_js_hash(script, "main_map", False)
    dynamic = "".join(
        sf._get_feature_group_string(group, map=base, idx=i)
        for i, group in enumerate(parts.layers)  # type: ignore[attr-defined]
    )
    dynamic += sf._get_layer_control_string(parts.layer_control, base)  # type: ignore[attr-defined]
    return key, dynamic


def test_parts_base_is_the_same_whatever_the_filters(frames: dict[str, object]) -> None:
    """The st_folium iframe key depends on the base only: filters do not remount the map."""
    key_all, dyn_all = _st_folium_strings(build_map_parts(**frames, basemap="none"))
    # the same view gives the same layer script: a rerun (e.g. a click) does not redraw them
    assert _st_folium_strings(build_map_parts(**frames, basemap="none")) == (key_all, dyn_all)
    p = frames["projects"]
    changed = {
        **frames,
        "projects": p[p["sector_id"] == "auto"],  # type: ignore[index]
        "intensity": None,
    }
    key_auto, dyn_auto = _st_folium_strings(
        build_map_parts(
            **changed, basemap="none", style="sector", target_yi_per_km2=70, highlight="AU-01"
        )
    )
    assert key_all == key_auto
    assert dyn_all != dyn_auto
    assert "NM-CU-01" in dyn_all and "NM-CU-01" not in dyn_auto and "AU-01" in dyn_auto
    key_osm, _ = _st_folium_strings(build_map_parts(**frames, basemap="osm"))
    assert key_osm != key_all  # a basemap change does rebuild the map


def test_parts_layers_legend_hidden_intensity_and_escaping(frames: dict[str, object]) -> None:
    parts = build_map_parts(**frames, basemap="none", highlight="wuqiao")
    assert parts.base.notes.schematic
    names = [g.layer_name for g in parts.layers]
    assert len(names) == 4 and names[-1] == "wz-overlay"
    assert [g.show for g in parts.layers] == [True, False, True, True]
    assert [g.control for g in parts.layers] == [True, True, True, False]
    _, dynamic = _st_folium_strings(parts)
    # the intensity group (created hidden) is taken off again by the layer control
    assert "map_div.removeLayer(feature_group_feature_group_1);" in dynamic
    assert dynamic.count("map_div.removeLayer(") == 1
    # the legend comes and goes with the overlay group (the app shows the messages beside
    # the map, not in it); the view fits the highlight
    assert dynamic.count("p.on('add',function(){c.addTo(p._map);})") == 1
    assert "wz-banner" not in dynamic
    fit = re.search(r"p\._map\.fitBounds\(\[\[([\d.]+),([\d.]+)\],\[([\d.]+),([\d.]+)\]\]", dynamic)
    assert fit is not None
    s, w, n, e = map(float, fit.groups())
    assert s < 30.77 < 30.79 < n < 30.81 and w < 108.44 < 108.47 < e < 108.49
    # the hostile zone and project names: HTML-escaped, then escaped in the JS literal
    assert "<img" not in dynamic and "\\u0026lt;img" in dynamic
    # every asset is offline (data: URIs), layers included
    from streamlit_folium import st_folium  # noqa: F401  (the module st_folium walks)

    def walk(el: object) -> list[object]:
        out = [el]
        for c in getattr(el, "_children", {}).values():
            out.extend(walk(c))
        return out

    links = [
        url
        for el in walk(parts.base)
        for _, url in [*getattr(el, "default_js", []), *getattr(el, "default_css", [])]
    ]
    assert links and all(u.startswith("data:") for u in links)
    assert any("markercluster" in str(getattr(el, "_name", "")).lower() for el in walk(parts.base))


def test_parts_draw_what_build_map_draws(frames: dict[str, object]) -> None:
    m, html = render(**frames, basemap="none", highlight="EI-01")
    _, dynamic = _st_folium_strings(build_map_parts(**frames, basemap="none", highlight="EI-01"))
    assert project_points(dynamic) == project_points(html)
    assert set(zone_features(m)) == {"gaofeng", "wuqiao"}
    boxes = re.compile(r'd\.innerHTML=("(?:[^"\\]|\\.)*")')
    exported = boxes.findall(html)
    assert len(exported) == 2  # legend and banner
    # the app's legend is the export's without what was not drawn (the page lists it once)
    (legend,) = boxes.findall(dynamic)
    assert legend.startswith('"\\u003cdetails\\u003e')  # folded in the app
    assert (
        legend.replace("details\\u003e", "details open\\u003e", 1)
        == exported[0]
        .split("\\u003ch4\\u003e位置未知")[0]
        .split("\\u003cdetails class='wz-unplaced-box'")[0]
        + '\\u003c/details\\u003e"'
    )


def test_legend_is_compact_and_folds_the_long_list() -> None:
    """The legend must not hide the map: entries side by side, a height cap, the list of
    projects not drawn folded; the layer control uses the legend's small font."""
    from wzgeo.maps._legend import legend_html
    from wzgeo.maps._style import CSS

    unplaced = pd.DataFrame(
        {
            "project_id": [f"AU-{i:02d}" for i in range(1, 16)],
            "name": ["项目"] * 15,
            "reason_text": ["无园区"] * 15,
        }
    )
    html = legend_html(
        style="level",
        used_zone_keys=["national_etdz", "sme_cluster"],
        used_proj_sectors=["new_materials", "auto", "electronics"],
        bins=[(0, 25, "#a"), (25, 40, "#b"), (40, 50, "#c"), (50, 62.5, "#d"), (62.5, 100, "#e"),
              (100, float("inf"), "#f")],
        target=50,
        schematic=True,
        not_located=pd.DataFrame({"zone_id": ["yudong"], "name": ["渝东新区"]}),
        unplaced=unplaced,
        lang="zh",
    )  # fmt: skip
    rows = re.findall(r'<div class="wz-row">(.*?)</div></div>', html)
    assert len(rows) == 4  # zones; classes below and above the target; project sectors
    assert "0 – 25" in rows[1] and "≥ 100" in rows[2] and "汽车" in rows[3]
    assert html.index("0 – 25") < html.index("目标: 50") < html.index("50 – 62.5")
    folded = re.search(r"<details class='wz-unplaced-box'>(.*?)</details>", html)
    assert folded and "(15)" in folded.group(1) and "AU-12" in folded.group(1)
    assert "AU-13" not in html  # the first 12, then "…"
    assert "渝东新区" in html.split("wz-unplaced-box")[0]  # zones not drawn stay visible
    assert re.search(r"\.wz-legend\{[^}]*max-height:\d+vh", CSS)
    assert re.search(r"\.wz-row\{[^}]*flex-wrap:wrap", CSS)
    assert re.search(r"\.leaflet-control-layers\{font:12px", CSS)
