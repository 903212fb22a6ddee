"""Land layers on the web map: cutting them to a plot's neighbourhood, the red-line legends."""

from __future__ import annotations

import folium
import geopandas as gpd
import pytest
from shapely.geometry import box

from wzgeo.maps.landlayers import clip_layers, land_groups, redline_legend_html

X, Y = 600_000.0, 3_400_000.0  # EPSG:4545 metres, inside zone 36


def _layers() -> dict[str, gpd.GeoDataFrame]:
    lu = gpd.GeoDataFrame(
        {"code": ["100101", "0103", "100102"]},
        geometry=[
            box(X, Y, X + 1000, Y + 1000),  # around the plot, cut
            box(X + 5000, Y, X + 6000, Y + 1000),  # 4 km away from the plot's box: dropped
            box(X - 400, Y - 400, X - 100, Y - 100),  # wholly inside the box: kept whole
        ],
        crs=4545,
    )
    farm = gpd.GeoDataFrame(geometry=[box(X + 9000, Y, X + 9500, Y + 500)], crs=4545)
    return {"landuse": lu, "basic_farmland": farm}


def test_clip_layers_cuts_to_the_bounds_plus_margin() -> None:
    plot = (X + 100, Y + 100, X + 300, Y + 200)
    out = clip_layers(_layers(), plot, margin_m=500)
    # the farmland is 8.7 km away: left out altogether
    assert set(out) == {"landuse"}
    lu = out["landuse"].set_index("code")
    assert sorted(lu.index) == ["100101", "100102"]
    assert out["landuse"].crs.to_epsg() == 4545
    # reference: the box is x from X-400 to X+800, y from Y-400 to Y+700 (plain shapely)
    window = box(X - 400, Y - 400, X + 800, Y + 700)
    expected = box(X, Y, X + 1000, Y + 1000).intersection(window).area
    assert lu.loc["100101", "geometry"].area == pytest.approx(expected, abs=1e-6)
    assert expected == pytest.approx(800 * 700)
    assert lu.loc["100102", "geometry"].area == pytest.approx(300 * 300, abs=1e-6)


def test_clip_layers_reprojects_and_keeps_nothing_far_away() -> None:
    layers = {k: v.to_crs(4326) for k, v in _layers().items()}
    out = clip_layers(layers, (X + 100, Y + 100, X + 300, Y + 200), margin_m=500)
    area = out["landuse"].set_index("code").loc["100101", "geometry"].area
    assert area == pytest.approx(800 * 700, rel=1e-4)  # reprojection round trip
    assert clip_layers(layers, (X + 50_000, Y, X + 50_100, Y + 100), margin_m=100) == {}


@pytest.mark.parametrize(
    ("kind", "lang", "name", "border"),
    [
        ("basic_farmland", "zh", "永久基本农田", "2px solid #b3a100"),
        ("eco_redline", "en", "Ecological protection red line", "2px solid #e60000"),
        ("dev_boundary", "zh", "城镇开发边界", "2px dashed #9c27b0"),
    ],
)
def test_redline_legend_shows_the_symbol_drawn(
    kind: str, lang: str, name: str, border: str
) -> None:
    html = redline_legend_html(kind, lang)
    assert name in html and border in html
    assert ("background:transparent" in html) == (kind == "dev_boundary")


def test_each_red_line_group_carries_its_legend() -> None:
    groups = land_groups(_layers(), colours={"100101": "#bb9674"}, names={}, lang="en")
    m = folium.Map(location=[30.7, 108.4], zoom_start=12)
    for g in groups:
        g.add_to(m)
    page = m.get_root().render()
    assert "Permanent basic farmland" in page  # the legend row and the layer's name
    assert "wz-box wz-legend wz-land-legend" in page
    assert page.count("wz-redline") == 1


def test_clip_layers_leaves_out_a_layer_with_too_many_features_there() -> None:
    plot = (X + 100, Y + 100, X + 300, Y + 200)
    assert set(clip_layers(_layers(), plot, margin_m=500, limit=2)) == {"landuse"}
    assert clip_layers(_layers(), plot, margin_m=500, limit=1) == {}  # 2 land-use features


def test_tile_urls_replace_the_vectors_and_keep_the_legends() -> None:
    lu_url = "../../wzgeo-tiles/TOKEN1/{z}/{x}/{y}.png"
    farm_url = "../../wzgeo-tiles/TOKEN2/{z}/{x}/{y}.png"
    groups = land_groups(
        _layers(),
        colours={"100101": "#bb9674", "0103": "#f5f8dc"},
        names={"100101": "一类工业用地", "0103": "旱地"},
        tile_urls={"landuse": lu_url, "basic_farmland": farm_url},
    )
    m = folium.Map(location=[30.7, 108.4], zoom_start=10, tiles=None)
    for g in groups:
        g.add_to(m)
    html = m.get_root().render()
    assert lu_url in html and farm_url in html
    assert '"../../wzgeo-tiles/TOKEN1/info"' in html  # feature info on click: land use only
    assert "TOKEN2/info" not in html
    assert "FeatureCollection" not in html  # no GeoJSON of either layer
    assert "100101 一类工业用地" in html and "0103 旱地" in html  # the land-use legend
    assert "100102" in html  # a class without a name or colour is still listed
    assert "永久基本农田" in html  # its legend
