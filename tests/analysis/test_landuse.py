"""Tests for land use and red lines in the plot check (wzgeo.analysis.landuse).

Every layer is fictional (示例（虚构）) and read from a real file in its format; reference
areas are computed from the same lon/lat vertices with plain pyproj + shapely
(tests/_landuse_helpers.ref_area_m2), never with wzgeo.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from tests._landuse_helpers import (
    X0,
    Y0,
    cell,
    grid_layer,
    polygon_layer,
    ref_area_m2,
    to_lonlat,
    union_area_m2,
    write_gdb_zip,
    write_geojson,
    write_gpkg,
    write_shp_zip,
)
from wzgeo.analysis import landuse as lu
from wzgeo.analysis.plotcheck import check_plots
from wzgeo.errors import DataFileError, InputFileError
from wzgeo.geo.units import M2_PER_MU
from wzgeo.plots.layers import read_layer

# an irregular plot over cells (0..2, 0..1) of the grid, given in lon/lat
PLOT_M = Polygon(
    [(X0 + 30, Y0 + 20), (X0 + 260, Y0 + 35), (X0 + 240, Y0 + 170), (X0 + 60, Y0 + 150)]
)
PLOT_LL = to_lonlat(PLOT_M)


def _plots(*geoms_ll: Polygon) -> gpd.GeoDataFrame:
    ids = [f"P{i}" for i in range(len(geoms_ll))]
    return gpd.GeoDataFrame({"plot_id": ids}, geometry=list(geoms_ll), crs=4326)


def _layers(**kinds: lu.LandLayer) -> lu.LandLayers:
    return lu.LandLayers(dict(kinds))


def _reference_shares(layer_ll: gpd.GeoDataFrame, field: str, to_2023: dict[str, str]) -> dict:
    total = ref_area_m2(PLOT_LL)
    out: dict[str, float] = {}
    for code, g in zip(layer_ll[field], layer_ll.geometry, strict=True):
        a = ref_area_m2(PLOT_LL, g)
        if a > 0:
            key = to_2023.get(code)
            out[key] = out.get(key, 0.0) + a
    return {k: (v, 100.0 * v / total) for k, v in out.items()}


def _assert_composition(check, ref):
    got = check.land_use.set_index("code", drop=False)
    assert len(got) == len(ref)
    for code, (area, share) in ref.items():
        row = got.loc[code] if code is not None else got.loc[got["code"].isna()].iloc[0]
        assert abs(row["area_m2"] - area) < 1.0
        assert abs(row["share_pct"] - share) < 0.1
        assert abs(row["area_mu"] - area / (10000 / 15)) < 0.01


# ----------------------------------------------------------------- three code systems


def test_ydyh2023_gpkg_composition_and_class(tmp_path):
    codes = [["100101", "100102", "100103"], ["100103", "100102", "0103"]]
    gdf = grid_layer(codes)
    layer = lu.prepare_landuse(read_layer(write_gpkg(gdf, tmp_path / "yd.gpkg")).frame, name="t")
    assert layer.report is not None
    assert layer.report.code_field == "YDYHFLDM"
    assert layer.report.recognised == {"ydyh2023": 6}
    plot_in = to_lonlat(box(X0 + 110, Y0 + 10, X0 + 190, Y0 + 90))  # wholly in 100102
    res = check_plots(
        _plots(PLOT_LL, plot_in), sector_id="food", land_layers=_layers(landuse=layer)
    )
    p0 = res.land_use.loc[res.land_use["plot_id"] == "P0"]
    ref = _reference_shares(gdf, "YDYHFLDM", {c: c for line in codes for c in line})
    _assert_composition(type("C", (), {"land_use": p0})(), ref)
    t = res.table.set_index("plot_id")
    # P0 includes 一类 (below 二类 needed by food) and 旱地 (non-industrial) → fail
    assert t.loc["P0", "land_class_status"] == "fail"
    assert t.loc["P0", "land_class_found"] == "non_industrial"
    # P1 is wholly 二类 = food's class → pass; for electronics (一类) 二类 also passes
    assert t.loc["P1", "land_class_status"] == "pass"
    assert t.loc["P1", "landuse_main_code"] == "100102"
    assert abs(t.loc["P1", "landuse_main_share_pct"] - 100.0) < 0.1
    chem = check_plots(_plots(plot_in), sector_id="chemicals", land_layers=_layers(landuse=layer))
    assert chem.table["land_class_status"].iloc[0] == "fail"  # 二类 < 三类
    assert chem.table["land_class_required"].iloc[0] == 3
    elec = check_plots(_plots(plot_in), sector_id="electronics", land_layers=_layers(landuse=layer))
    assert elec.table["land_class_status"].iloc[0] == "pass"  # 二类 ≥ 一类
    none = check_plots(_plots(plot_in), sector_id="lighting", land_layers=_layers(landuse=layer))
    assert none.table["land_class_status"].iloc[0] == "unknown"  # no class known for the sector


def test_sandiao_gbk_shapefile_maps_and_reports_unknown(tmp_path):
    codes = [["0601", "0601", "1001"], ["0103", "0602", "05H1"]]
    gdf = grid_layer(codes, field="DLBM")
    src = tmp_path / "s"
    src.mkdir()
    z = write_shp_zip(gdf, tmp_path / "dltb.zip", encoding="GBK", cpg=False, folder=src)
    layer = lu.prepare_landuse(read_layer(z).frame, name="dltb")
    rep = layer.report
    assert rep is not None and rep.system == "sandiao"
    assert rep.recognised == {"sandiao": 5}
    assert rep.unknown == {"05H1": 1}  # one-to-many in the guide: not guessed
    assert any("05H1 ×1" in line for line in rep.lines())
    res = check_plots(_plots(PLOT_LL), sector_id="food", land_layers=_layers(landuse=layer))
    # 三调 1001 is 铁路用地 → 2023 1201, never 工业用地
    to_2023 = {"0601": "1001", "1001": "1201", "0103": "0103", "0602": "1002", "05H1": None}
    ref = _reference_shares(gdf, "DLBM", to_2023)
    _assert_composition(res, ref)
    assert "1201" in set(res.land_use["code"].dropna())
    assert res.table["land_class_status"].iloc[0] == "fail"  # 旱地, 采矿, 铁路 are not industrial


def test_gb50137_filegdb_planned_indicators(tmp_path):
    codes = [["M1", "M2", "M3"], ["M3", "M2", "M3"]]
    rjl = [0.5, 0.5, 0.5, 0.5, 0.5, 2.0]
    gdf = grid_layer(codes, field="YDDM", RJL=rjl, LDL=[0.15] * 6)
    z = write_gdb_zip(gdf, tmp_path / "kg.zip", folder=tmp_path)
    layer = lu.prepare_landuse(read_layer(z).frame, name="kg")
    assert layer.report is not None and layer.report.recognised == {"gb50137": 6}
    inner = to_lonlat(box(X0 + 210, Y0 + 110, X0 + 290, Y0 + 190))  # cell (2,1): M3, RJL 2.0
    low = to_lonlat(box(X0 + 10, Y0 + 110, X0 + 90, Y0 + 190))  # cell (0,1): M3, RJL 0.5
    res = check_plots(_plots(inner, low), sector_id="food", land_layers=_layers(landuse=layer))
    t = res.table.set_index("plot_id")
    assert t.loc["P0", "landuse_main_code"] == "100103"
    assert t.loc["P0", "planned_far_max"] == 2.0
    assert t.loc["P0", "planned_green_min_pct"] == pytest.approx(15.0)
    # food (13/14/15) needs 容积率 ≥ 1.0: a ceiling of 2.0 passes, 0.5 fails
    assert t.loc["P0", "planned_far_status"] == "pass"
    assert t.loc["P1", "planned_far_status"] == "fail"
    # 三类 land tolerates a 二类 project
    assert t.loc["P0", "land_class_status"] == "pass"


def test_chinese_field_names_and_numeric_codes():
    frame = pd.DataFrame(
        {"用地代码": ["M2", "100101", None, "X7"], "容积率上限": ["≤1.5", 2, 0, "-"]}
    )
    code, _raw, rep = lu.recognise_codes(frame)
    assert rep.code_field == "用地代码"
    assert list(code.astype(object).where(code.notna(), None)) == ["100102", "100101", None, None]
    assert rep.unknown == {"X7": 1}
    assert rep.n_blank == 1
    assert rep.recognised == {"gb50137": 1, "ydyh2023": 1}
    # a numeric DLBM column that lost its leading zero
    code, _raw, rep = lu.recognise_codes(pd.DataFrame({"DLBM": [601, 103.0]}))
    assert list(code) == ["1001", "0103"]


def test_layer_without_code_field_refused_naming_fields():
    with pytest.raises(InputFileError, match="YDYHFLDM") as e:
        lu.recognise_codes(pd.DataFrame({"NAME": ["a"], "AREA": [1.0]}))
    for name in ("YDYHFLDM", "DLBM", "YDDM", "用地代码", "地类编码"):
        assert name in e.value.zh and name in e.value.en
    assert "NAME" in e.value.en and "Rename" in e.value.en


# ----------------------------------------------------------------- red lines


def test_red_lines_overlaps_to_one_square_metre(tmp_path):
    # two overlapping farmland polygons (counted once), an eco red line away from the plot,
    # a development boundary covering part of it; GeoJSON and GeoPackage files
    farm_m = [
        box(X0 + 200, Y0 + 100, X0 + 300, Y0 + 200),
        box(X0 + 150, Y0 + 120, X0 + 250, Y0 + 220),
    ]
    farm = polygon_layer(farm_m)
    eco = polygon_layer([box(X0 + 1000, Y0, X0 + 1100, Y0 + 100)])
    dev = polygon_layer([box(X0, Y0, X0 + 200, Y0 + 300)])
    layers = _layers(
        basic_farmland=lu.prepare_redline(
            read_layer(write_geojson(farm, tmp_path / "f.geojson")).frame,
            "basic_farmland",
            name="f",
        ),
        eco_redline=lu.prepare_redline(
            read_layer(write_gpkg(eco, tmp_path / "e.gpkg")).frame, "eco_redline", name="e"
        ),
        dev_boundary=lu.prepare_redline(
            read_layer(write_gpkg(dev, tmp_path / "d.gpkg")).frame, "dev_boundary", name="d"
        ),
    )
    res = check_plots(_plots(PLOT_LL), land_layers=layers)
    c = res.constraints.set_index("kind")
    ref_farm = union_area_m2(list(farm.geometry), PLOT_LL)
    assert ref_farm > 100  # the test means something
    assert abs(c.loc["basic_farmland", "overlap_m2"] - ref_farm) < 1.0
    assert abs(c.loc["basic_farmland", "overlap_mu"] - ref_farm / M2_PER_MU) < 0.002
    assert c.loc["basic_farmland", "status"] == "fail"
    assert c.loc["eco_redline", "overlap_m2"] == 0.0
    assert c.loc["eco_redline", "status"] == "pass"
    ref_in = ref_area_m2(PLOT_LL, dev.geometry.iloc[0])
    ref_out = ref_area_m2(PLOT_LL) - ref_in
    assert ref_out > 100
    assert abs(c.loc["dev_boundary", "outside_m2"] - ref_out) < 1.0
    assert c.loc["dev_boundary", "status"] == "fail"
    # the most serious finding leads the answer sentence
    zh, en = res.answers(lang="zh")[0], res.answers(lang="en")[0]
    head = zh.split("：", 1)[1]
    assert head.startswith(f"占用永久基本农田 {ref_farm / M2_PER_MU:.1f} 亩")
    assert f"{ref_out / M2_PER_MU:.1f} 亩在城镇开发边界外" in head
    assert head.index("永久基本农田") < head.index("城镇开发边界")
    assert f"takes {ref_farm / M2_PER_MU:.1f} mu of permanent basic farmland" in en
    d = res.to_dict()["plots"][0]
    assert d["answer_zh"] == zh
    kinds = {x["kind"]: x for x in d["constraints"]}
    assert kinds["basic_farmland"]["status"] == "fail"
    assert "outside_m2" in kinds["dev_boundary"] and "outside_m2" not in kinds["eco_redline"]


def test_inside_dev_boundary_passes_and_missing_layers_unknown():
    dev = lu.prepare_redline(
        polygon_layer([box(X0 - 10, Y0 - 10, X0 + 400, Y0 + 400)]), "dev_boundary", name="d"
    )
    res = check_plots(_plots(PLOT_LL), land_layers=_layers(dev_boundary=dev))
    c = res.constraints.set_index("kind")
    assert c.loc["dev_boundary", "status"] == "pass"
    assert c.loc["dev_boundary", "outside_m2"] < 0.01
    assert c.loc["basic_farmland", "status"] == "unknown"
    assert np.isnan(c.loc["eco_redline", "overlap_m2"])
    assert res.table["land_class_status"].iloc[0] == "unknown"
    # without land layers the report is unchanged (no land keys)
    plain = check_plots(_plots(PLOT_LL)).to_dict()["plots"][0]
    assert "constraints" not in plain and "land_use" not in plain


def test_touching_farmland_is_not_an_overlap():
    farm = lu.prepare_redline(
        gpd.GeoDataFrame(geometry=[cell(5, 5)], crs=4545), "basic_farmland", name="f"
    )
    plot = to_lonlat(cell(4, 5))
    res = check_plots(_plots(plot), land_layers=_layers(basic_farmland=farm))
    assert res.table["basic_farmland_status"].iloc[0] == "pass"


# ----------------------------------------------------------------- tables


def test_shipped_tables_consistent():
    codes = lu.load_landuse_codes()
    assert {"100101", "100102", "100103", "1001", "1101", "0701", "1401"} <= set(codes["code"])
    colours = lu.code_colours(codes)
    assert colours["1001"] == "#bb9674"  # 187,150,116
    assert colours["100102"] == "#bb9674"  # inherits 工业用地
    assert colours["0101"] == "#f5f8dc"  # 耕地 245,248,220
    assert colours["1201"] == "#b7b7b7"  # inherits 12 交通运输用地 183,183,183 (附录B)
    assert "10" not in colours and "1003" not in colours  # none known: not invented
    assert lu.code_names("zh", codes)["100101"] == "一类工业用地"
    assert lu.code_names("en")["0103"] == "Dry land"
    gb = lu.load_mapping("gb50137").set_index("from_code")["to_code"]
    assert gb["M1"] == "100101" and gb["W3"] == "110103"
    sd = lu.load_mapping("sandiao").set_index("from_code")["to_code"]
    assert sd["0601"] == "1001" and sd["1001"] == "1201"
    assert sd["1203"] == "2303" and sd["0204"] == "0205"  # 田坎, 其他园地 (2023 numbering)
    assert "05H1" not in sd.index
    cls = lu.load_landclass()
    from wzgeo.plan.data import load_sectors

    assert set(cls["sector_id"]) == set(load_sectors()["sector_id"])
    assert lu.required_class("electronics", cls) == 1
    assert lu.required_class("chemicals", cls) == 3
    assert lu.required_class("lighting", cls) is None


def test_broken_code_table_refused(tmp_path):
    p = tmp_path / "codes.csv"
    p.write_text(
        "code,level,parent,name_zh,name_en,color_rgb,color_source,source,checked\n"
        '10,1,,工矿用地,x,"300,0,0",,s,brief\n',
        encoding="utf-8",
    )
    with pytest.raises(DataFileError, match="R,G,B"):
        lu.load_landuse_codes(p)


def test_code_table_complete_sourced_and_consistent():
    """Every parent exists, levels match the code length, colours are R,G,B, sources named,
    mapping targets exist; a few rows against the guide as written here by hand."""
    import re

    codes = lu.load_landuse_codes()
    by = codes.set_index("code")
    assert len(codes) == len(by) == 175  # 24 一级 + 111 二级 + 40 三级 (source's extraction)
    assert (codes["level"].astype(int) == codes["code"].str.len() // 2).all()
    level1 = codes.loc[codes["level"] == "1", "code"].tolist()
    assert level1 == [f"{i:02d}" for i in range(1, 25)]
    for r in codes.itertuples():
        if r.level == "1":
            assert r.parent == ""
        else:
            assert r.parent == r.code[:-2] and r.parent in by.index, r.code
        assert r.name_zh and r.name_en, r.code
        assert r.checked in ("source", "brief", "unchecked"), r.code
        assert r.checked != "source" or "tinsei0321/emotion_map" in r.source, r.code
        if r.color_rgb:
            assert re.fullmatch(r"\d{1,3},\d{1,3},\d{1,3}", r.color_rgb), r.code
            assert all(0 <= int(x) <= 255 for x in r.color_rgb.split(",")), r.code
            assert "附录B" in r.color_source and "landuse_colors.js" in r.color_source, r.code
        else:
            assert r.color_source == "", r.code
    expected = {  # 《用地用海分类指南》(2023) as read in the cited source
        "1802": "增养殖用海",
        "2203": "海洋保护修复及海岸防护工程用海",
        "24": "其他海域",
        "2302": "后备耕地",
        "2303": "田坎",
        "0204": "油料园地",
        "0205": "其他园地",
        "0602": "设施农用地",
        "060203": "水产养殖设施建设用地",
        "1306": "通信用地",
        "1506": "殡葬用地",
        "0507": "红树林地",
        "100103": "三类工业用地",
    }
    assert {c: by.loc[c, "name_zh"] for c in expected} == expected
    colours = {"18": "148,213,235", "16": "255,255,255", "0804": "255,133,201",
               "1001": "187,150,116", "11": "135,97,211", "17": "51,142,192"}  # fmt: skip
    assert {c: by.loc[c, "color_rgb"] for c in colours} == colours
    for system in ("gb50137", "sandiao"):
        m = lu.load_mapping(system)
        assert m["to_code"].isin(by.index).all()
        # a same-name mapping really has the same name on both sides
        same = m.loc[m["basis"] == "same_name"]
        assert (same["from_name_zh"] == same["to_name_zh"]).all()
        assert (same["to_name_zh"] == by.loc[same["to_code"], "name_zh"].to_numpy()).all()


def test_no_project_notes_cited_as_a_source():
    from wzgeo.paths import geodata_dir

    for name in ("landuse_codes.csv", "landuse_map_gb50137.csv", "landuse_map_sandiao.csv",
                 "sector_landclass.csv"):  # fmt: skip
        text = (geodata_dir() / name).read_text(encoding="utf-8")
        assert "DOMAIN" not in text and "议题 #12" not in text, name
    cls = lu.load_landclass()
    gbj = cls.loc[cls["basis"] == "gbj_example", "source"]
    assert gbj.str.contains("GBJ 137-90").all() and gbj.str.contains("p719.cn").all()
    assert cls.loc[cls["basis"] != "gbj_example", "source"].str.contains("project assumption").all()
