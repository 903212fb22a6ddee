"""The plot check page's land tables (wzgeo.app.pages._land_layers), headless: red lines,
land class and land-use composition in words in each language, with the numbers of a
fictional layer measured independently (shapely boxes in EPSG:4545)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import box
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[2]
PAGE = "wzgeo/app/pages/plot_check.py"
M2_PER_MU = 10000 / 15
_CJK = re.compile(r"[\u3400-\u9fff]")
RAW = ("basic_farmland", "eco_redline", "dev_boundary", "non_industrial", "fail", "unknown")


@pytest.fixture()
def plot_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, dict[str, float]]:
    """A store with a land-use layer (100101 | 0103, 200 m cells) and a farmland patch in
    高峰园 (示例（虚构）), and a plot across both cells and the patch; the expected areas."""
    from wzgeo.geo.zonegeom import load_zone_geometry
    from wzgeo.store.layers import layer_store_for

    c = load_zone_geometry().to_crs(4545).set_index("zone_id").loc["gaofeng", "geometry"]
    x, y = c.centroid.x, c.centroid.y
    store = tmp_path / "store.sqlite"
    monkeypatch.setenv("WZGEO_STORE", str(store))
    cells = [box(x, y, x + 200, y + 200), box(x + 200, y, x + 400, y + 200)]
    lu = gpd.GeoDataFrame({"YDYHFLDM": ["100101", "0103"]}, geometry=cells, crs=4545)
    lu.to_file(tmp_path / "lu.gpkg", driver="GPKG")
    farm_box = box(x + 150, y + 50, x + 300, y + 150)
    gpd.GeoDataFrame(geometry=[farm_box], crs=4545).to_file(tmp_path / "farm.gpkg")
    ls = layer_store_for(store)
    ls.import_layer("landuse", tmp_path / "lu.gpkg", by="t", why="示例（虚构）")
    ls.import_layer("basic_farmland", tmp_path / "farm.gpkg", by="t", why="示例（虚构）")
    plot = box(x + 20, y + 20, x + 220, y + 120)
    data = gpd.GeoDataFrame({"name": ["P1"]}, geometry=[plot], crs=4545).to_crs(4326).to_json()
    expected = {
        "farm_m2": plot.intersection(farm_box).area,  # 70 m × 70 m
        "industrial_mu": plot.intersection(cells[0]).area / M2_PER_MU,  # 180 m × 100 m
        "dry_mu": plot.intersection(cells[1]).area / M2_PER_MU,
    }
    return data.encode(), expected


def _checked(data: bytes, *, sector: str | None = None) -> AppTest:
    """The app on the plot-check page with ``data`` uploaded (and ``sector`` chosen first)."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(PAGE).run()
    if sector is not None:
        at.selectbox(key="plot_sector_zh").set_value(sector).run()
    at.file_uploader(key="plot_upload").set_value(("p.geojson", data, "application/json")).run()
    return at


def _tables(at: AppTest) -> list[Any]:
    return [d.value for d in at.dataframe]


def _number(s: str) -> float:
    return float(str(s).replace(",", ""))


def test_land_tables_in_words_in_both_languages(plot_file: tuple[bytes, Any]) -> None:
    data, expected = plot_file
    at = _checked(data, sector="food")
    assert not at.exception, at.exception
    for lang in ("zh", "en"):
        if lang == "en":
            at.sidebar.radio(key="lang").set_value("en").run()
            assert not at.exception, at.exception
        _plots, red, classes, comp = _tables(at)[:4]
        text = "\n".join(t.astype(str).to_string() for t in (red, classes, comp))
        for raw in RAW:
            assert raw not in text, (lang, raw)
        if lang == "zh":
            row = red.set_index("图层类型").loc["永久基本农田"]
            assert row["核查结果"] == "未达标"
            assert _number(row["重叠面积（m²）"]) == pytest.approx(expected["farm_m2"], abs=1)
            assert classes.iloc[0]["现状工业用地类别"] == "非工业用地"
            assert classes.iloc[0]["类别核查说明"] == "含非工业用地 0103 旱地"
            names = comp.set_index("用地用海代码")["用地用海类别"]
            assert names["100101"] == "一类工业用地" and names["0103"] == "旱地"
            mu = comp.set_index("用地用海代码")["面积（亩）"]
        else:
            assert not _CJK.search(text), _CJK.findall(text)
            row = red.set_index("Layer kind").loc["Permanent basic farmland"]
            assert row["Result"] == "Fail"
            assert classes.iloc[0]["Industrial land class found"] == "non-industrial land"
            assert classes.iloc[0]["Industrial land class needed"] == "class 2 industrial land"
            assert classes.iloc[0]["Land class reason"] == "non-industrial land 0103 Dry land"
            names = comp.set_index("Land-use code")["Land-use class"]
            assert names["0103"] == "Dry land"
            mu = comp.set_index("Land-use code")["Area (mu)"]
            assert "Red lines" in [m.value.strip("*") for m in at.markdown]
        assert _number(mu["100101"]) == pytest.approx(expected["industrial_mu"], abs=0.01)
        assert _number(mu["0103"]) == pytest.approx(expected["dry_mu"], abs=0.01)


def test_a_crowded_neighbourhood_is_said_not_drawn(
    plot_file: tuple[bytes, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from wzgeo.maps import landtiles

    monkeypatch.setattr(landtiles, "TILE_MIN_FEATURES", 1)  # the test layer has 2 features
    at = _checked(plot_file[0])
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert any("用地用海（土地利用）图斑过多" in c for c in captions), captions
    # the farmland (one feature) is still drawn on the result map
    html = next(h.proto.srcdoc for h in at.get("iframe") if "永久基本农田" in h.proto.srcdoc)
    assert "#bb9674" not in html


def test_layers_for_the_plot_check_carry_the_edited_land_classes(tmp_path: Path) -> None:
    """What the plot-check page passes to the check: the store's land-class edits."""
    from wzgeo.app.pages import _land_layers
    from wzgeo.store.core import open_store

    store = open_store(tmp_path / "store.sqlite")
    table = _land_layers.land_layers(store).landclass
    assert table is not None and table.set_index("sector_id").loc["food", "required_class"] == "2"
    store.set_sector_landclass("food", 1, by="a", why="只做包装")
    table = _land_layers.land_layers(store).landclass
    assert table is not None
    row = table.set_index("sector_id").loc["food"]
    assert (row["required_class"], row["class_source"], row["edited_why"]) == (
        "1", "user edit", "只做包装"
    )  # fmt: skip


def test_nothing_of_the_land_layers_without_an_import(
    plot_file: tuple[bytes, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WZGEO_STORE", str(tmp_path / "empty" / "store.sqlite"))
    (tmp_path / "empty").mkdir()
    at = _checked(plot_file[0])
    assert not at.exception, at.exception
    assert not any("三区三线" in c.value for c in at.caption)
    maps = [h.proto.srcdoc for h in at.get("iframe")]
    assert maps and all("wz-land-legend" not in m and "#bb9674" not in m for m in maps)
    assert len(at.dataframe) == 1  # the plot table only: no red-line or composition tables


def test_a_land_class_edit_reaches_the_plot_check_page(plot_file: tuple[bytes, Any]) -> None:
    """The class needed follows the saved-work edit at the next rerun (no stale cache)."""
    import os

    from wzgeo.store.core import open_store

    data, _expected = plot_file
    at = _checked(data, sector="food")
    at.sidebar.radio(key="lang").set_value("en").run()
    assert not at.exception, at.exception
    needed = "Industrial land class needed"
    assert _tables(at)[2].iloc[0][needed] == "class 2 industrial land"  # shipped: food 二类
    open_store(os.environ["WZGEO_STORE"]).set_sector_landclass("food", 3, by="t", why="环评")
    at.run()
    assert not at.exception, at.exception
    assert _tables(at)[2].iloc[0][needed] == "class 3 industrial land"
