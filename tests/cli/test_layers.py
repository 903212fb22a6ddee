"""CLI: wzgeo layers import|list|history|remove|revert|demo and the plot check's land findings."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from tests._landuse_helpers import (
    X0,
    Y0,
    grid_layer,
    polygon_layer,
    ref_area_m2,
    to_lonlat,
    write_gpkg,
    write_shp_zip,
)
from wzgeo.cli.entry import main


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WZGEO_STORE", str(tmp_path / "store.sqlite"))
    monkeypatch.setenv("WZGEO_USERS", str(tmp_path / "users.toml"))
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _plot_file(tmp_path: Path, geom_m) -> Path:
    p = tmp_path / "plot.geojson"
    gpd.GeoDataFrame({"plot_id": ["A"]}, geometry=[to_lonlat(geom_m)], crs=4326).to_file(p)
    return p


def test_import_list_check_remove_revert(env: Path, capsys) -> None:
    src = env / "s"
    src.mkdir()
    codes = [["0601", "0601"], ["0103", "05H1"]]
    z = write_shp_zip(
        grid_layer(codes, field="DLBM"), env / "dltb.zip", encoding="GBK", cpg=False, folder=src
    )
    code, out, err = run(capsys, "layers", "import", "landuse", str(z), "--by", "alice")
    assert code == 0, err
    assert "05H1 ×1" in out and "features read" in out and "三调" in out
    farm_m = box(X0 + 150, Y0 + 150, X0 + 250, Y0 + 250)
    farm = write_gpkg(polygon_layer([farm_m]), env / "farm.gpkg")
    assert run(capsys, "layers", "import", "basic_farmland", str(farm), "--by", "bob")[0] == 0
    code, out, _ = run(capsys, "layers", "list", "--json")
    listed = {r["kind"]: r for r in json.loads(out)}
    assert set(listed) == {"landuse", "basic_farmland"} and listed["landuse"]["n_features"] == 4

    plot_m = box(X0 + 50, Y0 + 50, X0 + 190, Y0 + 190)
    plot = _plot_file(env, plot_m)
    code, out, err = run(capsys, "check-plot", str(plot), "--sector", "food", "--json")
    assert code == 0, err
    rep = json.loads(out)["plots"][0]
    kinds = {c["kind"]: c for c in rep["constraints"]}
    ref = ref_area_m2(to_lonlat(plot_m), to_lonlat(farm_m))
    assert abs(kinds["basic_farmland"]["overlap_m2"] - ref) < 1.0
    assert kinds["basic_farmland"]["status"] == "fail"
    assert kinds["eco_redline"]["status"] == "unknown"
    assert rep["land_class"]["status"] == "fail"  # 旱地 is part of the plot
    shares = {p["code"]: p["share_pct"] for p in rep["land_use"]}
    assert abs(shares["1001"] - 100 * ref_area_m2(
        to_lonlat(plot_m), to_lonlat(box(X0, Y0, X0 + 200, Y0 + 100))
    ) / ref_area_m2(to_lonlat(plot_m))) < 0.1  # fmt: skip
    code, out, _ = run(capsys, "check-plot", str(plot), "--sector", "food")
    assert "永久基本农田" in out and "不通过 FAIL" in out

    # remove the farmland layer, then revert the removal
    code, out, _ = run(capsys, "layers", "remove", "basic_farmland", "--by", "c", "--why", "错层")
    assert code == 0
    rep = json.loads(run(capsys, "check-plot", str(plot), "--json")[1])["plots"][0]
    assert {c["kind"]: c["status"] for c in rep["constraints"]}["basic_farmland"] == "unknown"
    hist = json.loads(run(capsys, "layers", "history", "--json")[1])
    removal = hist[-1]
    assert removal["op"] == "delete" and removal["why"] == "错层"
    assert (
        run(capsys, "layers", "revert", str(removal["change_id"]), "--by", "c", "--why", "回")[0]
        == 0
    )
    rep = json.loads(run(capsys, "check-plot", str(plot), "--json")[1])["plots"][0]
    assert {c["kind"]: c["status"] for c in rep["constraints"]}["basic_farmland"] == "fail"
    # --no-store ignores the imported layers; --land-layer uses a file for this check only
    rep = json.loads(run(capsys, "check-plot", str(plot), "--json", "--no-store")[1])["plots"][0]
    assert rep["land_class"]["status"] == "unknown"
    code, out, _ = run(
        capsys, "check-plot", str(plot), "--json", "--no-store",
        "--land-layer", f"eco_redline={farm}",
    )  # fmt: skip
    rep = json.loads(out)["plots"][0]
    assert {c["kind"]: c["status"] for c in rep["constraints"]}["eco_redline"] == "fail"


def test_bad_layers_refused_exit_2(env: Path, capsys) -> None:
    nocode = write_gpkg(
        gpd.GeoDataFrame(
            {"NAME": ["x"]}, geometry=[to_lonlat(box(X0, Y0, X0 + 9, Y0 + 9))], crs=4326
        ),
        env / "nocode.gpkg",
    )
    code, _, err = run(capsys, "layers", "import", "landuse", str(nocode), "--by", "a")
    assert code == 2
    assert (
        "YDYHFLDM" in err
        and "DLBM" in err
        and "Fields looked for" in err
        and "Traceback" not in err
    )
    assert run(capsys, "layers", "list")[1].startswith("尚未导入图层")  # nothing recorded
    code, _, err = run(capsys, "layers", "import", "landuse", str(env / "none.gpkg"), "--by", "a")
    assert code == 2 and "not found" in err
    code, _, err = run(capsys, "layers", "remove", "eco_redline", "--by", "a", "--why", "w")
    assert code == 2 and "nothing to remove" in err
    code, _, err = run(capsys, "check-plot", str(nocode), "--land-layer", "roads=x.gpkg")
    assert code == 2 and "unknown layer kind" in err


def test_check_plots_columns(env: Path, capsys) -> None:
    lu = write_gpkg(grid_layer([["100103", "0101"]]), env / "lu.gpkg")
    parcels = gpd.GeoDataFrame(
        {"pid": ["a", "b"]},
        geometry=[
            to_lonlat(box(X0 + 10, Y0 + 10, X0 + 90, Y0 + 90)),
            to_lonlat(box(X0 + 110, Y0 + 10, X0 + 190, Y0 + 90)),
        ],
        crs=4326,
    )
    src = env / "parcels.gpkg"
    parcels.to_file(src)
    out = env / "out.parquet"
    code, _, err = run(
        capsys, "check-plots", str(src), "--out", str(out), "--sector", "chemicals",
        "--land-layer", f"landuse={lu}",
    )  # fmt: skip
    assert code == 0, err
    res = pd.read_parquet(out)
    assert list(res["landuse_main_code"]) == ["100103", "0101"]
    assert list(res["land_class_status"]) == ["pass", "fail"]
    assert list(res["basic_farmland_status"]) == ["unknown", "unknown"]
    assert "dev_boundary_outside_m2" in res.columns
    # without any layer the output has no land columns (as for partitioned datasets)
    out2 = env / "out2.parquet"
    assert run(capsys, "check-plots", str(src), "--out", str(out2))[0] == 0
    assert "land_class_status" not in pd.read_parquet(out2).columns


def test_demo_layers_are_labelled_and_never_default(env: Path, capsys) -> None:
    assert json.loads(run(capsys, "layers", "list", "--json")[1]) == []
    code, _out, err = run(capsys, "layers", "demo", "--by", "teacher")
    assert code == 0, err
    listed = json.loads(run(capsys, "layers", "list", "--json")[1])
    assert len(listed) == 4
    assert all("示例（虚构）" in r["name"] and r["fictional"] for r in listed)
