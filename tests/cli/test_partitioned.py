"""``wzgeo check-plots`` on a partitioned dataset: on a real local dask cluster (scheduler and
two worker processes) the result equals the single-machine check of the same parcels, and
both agree with an independent shapely / pyproj reference."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from wzgeo.cli.entry import main
from wzgeo.geo.zonegeom import load_zone_geometry

pytest.importorskip("distributed", reason="pip install 'wzgeo[scale]'")

_SIZES = (700, 800, 10, 690)  # uneven partitions, one tiny (general path only)
_COMPARED = [
    "plot_id",
    "zone_id",
    "zone_share_pct",
    "in_zones_pct",
    "n_zones",
    "zone_geometry_quality",
    "fit_grade",
    "nearest_fitting_zone_id",
    "distance_to_fitting_zone_m",
    "geometry_repaired",
    "area_m2",
    "area_mu",
]


def _parcels(n: int, seed: int = 3) -> gpd.GeoDataFrame:
    """Boxes, rotated quads, bow-ties (invalid) and polygons with holes around the zones."""
    zg = load_zone_geometry().to_crs("EPSG:4545")
    b = zg.loc[zg["zone_id"] == "gaofeng"].geometry.iloc[0].bounds
    rng = np.random.default_rng(seed)
    x = rng.uniform(b[0] - 800, b[2] + 800, n)
    y = rng.uniform(b[1] - 800, b[3] + 800, n)
    s = rng.uniform(20, 300, n)
    geoms = []
    for i in range(n):
        k = i % 4
        if k == 0:
            g = box(x[i], y[i], x[i] + s[i], y[i] + s[i] * 0.7)
        elif k == 1:
            a = rng.uniform(0, 2 * np.pi)
            g = Polygon(
                [
                    (x[i] + s[i] * np.cos(a + t), y[i] + s[i] * np.sin(a + t))
                    for t in (0, 1.6, 3.2, 4.7)
                ]
            )
        elif k == 2 and i % 40 == 2:  # bow-tie: invalid, repaired by the check
            g = Polygon(
                [(x[i], y[i]), (x[i] + s[i], y[i] + s[i]), (x[i] + s[i], y[i]), (x[i], y[i] + s[i])]
            )
        else:
            g = box(x[i], y[i], x[i] + s[i], y[i] + s[i]).difference(
                box(x[i] + s[i] / 4, y[i] + s[i] / 4, x[i] + s[i] / 2, y[i] + s[i] / 2)
            )
        geoms.append(g)
    return gpd.GeoDataFrame(
        {"plot_id": [f"P{i:05d}" for i in range(n)], "township": rng.integers(0, 5, n)},
        geometry=geoms,
        crs="EPSG:4545",
    ).to_crs("EPSG:4326")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, gpd.GeoDataFrame]:
    """The same parcels as one file and as four partitions (one in a subfolder)."""
    root = tmp_path_factory.mktemp("partitioned")
    layer = _parcels(sum(_SIZES))
    single = root / "all.parquet"
    layer.to_parquet(single)
    parts = root / "parts"
    names = ["a.parquet", "b.parquet", "c.parquet", "north/part.0.parquet"]
    start = 0
    for name, size in zip(names, _SIZES, strict=True):
        (parts / name).parent.mkdir(parents=True, exist_ok=True)
        layer.iloc[start : start + size].to_parquet(parts / name)
        start += size
    return single, parts, layer


def _read_result(out: Path) -> pd.DataFrame:
    files = sorted(p for p in out.rglob("*.parquet"))
    names = [p.relative_to(out).as_posix() for p in files]
    assert names == ["a.parquet", "b.parquet", "c.parquet", "north/part.0.parquet"]
    return pd.concat([gpd.read_parquet(p) for p in files], ignore_index=True)


def _reference(layer: gpd.GeoDataFrame) -> tuple[np.ndarray, dict[tuple[str, str], float]]:
    """Areas (EPSG:4545) and zone shares, with plain shapely and geopandas' to_crs."""
    raw = layer.geometry.to_numpy().copy()
    bad = ~shapely.is_valid(raw)
    raw[bad] = shapely.make_valid(raw[bad], method="structure", keep_collapsed=False)
    gm = gpd.GeoSeries(raw, crs=layer.crs).to_crs("EPSG:4545").to_numpy()
    area = shapely.area(gm)
    zg = load_zone_geometry()
    zg = zg.loc[zg.geometry.notna()].to_crs("EPSG:4545")
    zm = zg.geometry.to_numpy()
    ids = layer["plot_id"].to_numpy()
    pi, zi = shapely.STRtree(zm).query(gm, predicate="intersects")
    inter = shapely.area(shapely.intersection(gm[pi], zm[zi]))
    zone_ids = zg["zone_id"].to_numpy()
    shares = {
        (ids[p], zone_ids[z]): 100.0 * a / area[p]
        for p, z, a in zip(pi, zi, inter, strict=True)
        if a > 0.01
    }
    return area, shares


def test_cluster_result_equals_single_machine(
    dataset: tuple[Path, Path, gpd.GeoDataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    single, parts, layer = dataset
    flags = ["--sector", "nm_building", "--distance"]
    one = tmp_path / "single.parquet"
    assert main(["check-plots", str(single), "--out", str(one), *flags]) == 0
    out = tmp_path / "result"
    capsys.readouterr()
    assert main(["check-plots", str(parts), "--out", str(out), "--workers", "2", *flags]) == 0
    err = capsys.readouterr().err
    assert "2 workers" in err  # a real LocalCluster: scheduler and two worker processes
    for k in range(1, 5):
        assert f"partitions {k}/4" in err
    got = _read_result(out)
    ref = gpd.read_parquet(one)
    assert len(got) == len(ref) == len(layer)
    assert list(got.columns) == list(ref.columns)
    for col in _COMPARED:
        a, b = got[col], ref[col]
        if a.dtype.kind == "f":
            # the bulk engine projects groups of >= 64 lon/lat rings with PROJ's approximate
            # Transverse Mercator where it agrees to 1 µm; the 10-parcel partition is measured
            # with the exact one, so areas may differ in the 11th digit
            np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9, equal_nan=True)
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), col
    assert got.geometry.equals(ref.geometry)
    assert got.crs == layer.crs
    # independent reference: areas in EPSG:4545 and the main zone's share
    area, shares = _reference(layer)
    np.testing.assert_allclose(got["area_m2"].to_numpy(), area, rtol=1e-6)
    inside = got["zone_id"].notna().to_numpy()
    assert 50 < inside.sum() < len(got) - 50
    for pid, zid, share in zip(
        got["plot_id"][inside], got["zone_id"][inside], got["zone_share_pct"][inside], strict=True
    ):
        assert share == pytest.approx(shares[(pid, zid)], rel=1e-6)
        assert share == pytest.approx(max(v for (p, _z), v in shares.items() if p == pid))
    assert {p for p, _z in shares} == set(got["plot_id"][got["n_zones"] > 0])
    assert got["geometry_repaired"].sum() == (~shapely.is_valid(layer.geometry.to_numpy())).sum()
    # the result folder is a partitioned GeoParquet dataset dask-geopandas reads as such
    import dask_geopandas

    with warnings.catch_warnings():
        # dask-geopandas 0.5 calls reset_index(inplace=True), deprecated in pandas 3.1
        warnings.filterwarnings("ignore", "The inplace keyword", category=Warning)
        ddf = dask_geopandas.read_parquet(sorted(str(p) for p in out.rglob("*.parquet")))
        assert ddf.npartitions == 4
        assert len(ddf) == len(layer)
        assert ddf.crs == layer.crs
    marker = json.loads((out / "_wzgeo_check.json").read_text(encoding="utf-8"))
    assert marker["n_plots"] == len(layer)


def test_in_process_and_glob_without_plot_ids(
    dataset: tuple[Path, Path, gpd.GeoDataFrame], tmp_path: Path
) -> None:
    """No cluster: partition by partition here; no plot_id column (row numbers are the ids)."""
    _single, _parts, layer = dataset
    bare = layer.drop(columns="plot_id")
    src = tmp_path / "in"
    src.mkdir()
    bare.iloc[:1000].to_parquet(src / "p1.parquet")
    bare.iloc[1000:].reset_index(drop=True).to_parquet(src / "p2.parquet")
    bare.to_parquet(tmp_path / "whole.parquet")
    whole = tmp_path / "whole.parquet"
    assert main(["check-plots", str(whole), "--out", str(tmp_path / "w.parquet")]) == 0
    out = tmp_path / "out"
    assert main(["check-plots", str(src / "p*.parquet"), "--out", str(out)]) == 0
    got = pd.concat([gpd.read_parquet(out / f"p{i}.parquet") for i in (1, 2)], ignore_index=True)
    ref = gpd.read_parquet(tmp_path / "w.parquet")
    assert "plot_id" not in got.columns and len(got) == len(ref)
    assert got["zone_id"].astype(str).tolist() == ref["zone_id"].astype(str).tolist()
    np.testing.assert_allclose(got["area_m2"], ref["area_m2"], rtol=1e-12)
    # a second run replaces the earlier result without --overwrite
    assert main(["check-plots", str(src), "--out", str(out)]) == 0


def test_failed_partition_is_named_and_nothing_written(
    dataset: tuple[Path, Path, gpd.GeoDataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _single, _parts, layer = dataset
    src = tmp_path / "in"
    src.mkdir()
    layer.iloc[:300].to_parquet(src / "good.parquet")
    broken = layer.iloc[300:400].copy()
    broken.loc[broken.index[5], "geometry"] = None
    broken.to_parquet(src / "wuqiao.parquet")
    out = tmp_path / "out"
    assert main(["check-plots", str(src), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "wuqiao.parquet" in err and "failed" in err and "没有几何" in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in"]  # no staging folder left behind


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--overlaps"], "--overlaps needs the whole layer"),
        (["--worker-memory", "1GB"], "--worker-memory applies only"),
        (["--out", "INPUT/sub"], "must not be, be inside"),
        (["--out", "r.gpkg"], "a partitioned dataset's result is a folder"),
    ],
    ids=["overlaps", "memory-without-workers", "out-inside-input", "out-file"],
)
def test_partitioned_bad_options_exit_2(
    dataset: tuple[Path, Path, gpd.GeoDataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    _single, parts, _layer = dataset
    args = ["check-plots", str(parts), "--out", str(tmp_path / "o")]
    extra = [e.replace("INPUT", str(parts)) for e in extra]
    if extra[0] == "--out":
        args = ["check-plots", str(parts), *extra]
        if not Path(extra[1]).is_absolute():
            args[-1] = str(tmp_path / extra[1])
    else:
        args += extra
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_cluster_options_need_a_dataset(
    dataset: tuple[Path, Path, gpd.GeoDataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    single, _parts, _layer = dataset
    out = tmp_path / "o.parquet"
    assert main(["check-plots", str(single), "--out", str(out), "--workers", "2"]) == 2
    assert "partitioned dataset" in capsys.readouterr().err
    # the environment variable alone does not change the single-file check
    monkeypatch.setenv("WZGEO_DASK_SCHEDULER", "tcp://127.0.0.1:9")
    assert main(["check-plots", str(single), "--out", str(out)]) == 0


@pytest.mark.slow  # starts a local dask cluster (≈ 15 s here)
def test_partitioned_with_land_layers_equals_single_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fictional land-use grid and a farmland patch (示例（虚构）): the partitioned check adds
    the same land columns, with the same values, as the single-file check."""
    import pickle

    from tests._landuse_helpers import (
        X0,
        Y0,
        grid_layer,
        polygon_layer,
        ref_area_m2,
        to_lonlat,
        write_gpkg,
    )
    from wzgeo.analysis.landuse import prepare_landuse
    from wzgeo.cli.layers import LAND_PARCEL_COLUMNS

    monkeypatch.setenv("WZGEO_STORE", str(tmp_path / "store.sqlite"))  # no imported layers
    monkeypatch.setenv("WZGEO_USERS", str(tmp_path / "users.toml"))
    codes = [["100102", "100102", "0103"], ["100102", "100101", "0103"]]
    landuse = write_gpkg(grid_layer(codes), tmp_path / "lu.gpkg")
    farm_m = box(X0 + 250, Y0, X0 + 300, Y0 + 200)
    farm = write_gpkg(polygon_layer([farm_m]), tmp_path / "farm.gpkg")
    plots_m = {
        "A": box(X0 + 10, Y0 + 10, X0 + 90, Y0 + 90),  # 二类
        "B": box(X0 + 110, Y0 + 110, X0 + 190, Y0 + 190),  # 一类: lower than food's 二类
        "C": box(X0 + 210, Y0 + 10, X0 + 290, Y0 + 90),  # 旱地, partly on the farmland
        "D": box(X0 + 50, Y0 + 50, X0 + 150, Y0 + 90),  # two 二类 cells
        "E": box(X0 + 1000, Y0 + 1000, X0 + 1100, Y0 + 1100),  # no land-use layer there
    }
    layer = gpd.GeoDataFrame(
        {"plot_id": list(plots_m)}, geometry=[to_lonlat(g) for g in plots_m.values()], crs=4326
    )
    layer.to_parquet(tmp_path / "all.parquet")
    parts = tmp_path / "parts"
    parts.mkdir()
    layer.iloc[:3].to_parquet(parts / "a.parquet")
    layer.iloc[3:].to_parquet(parts / "b.parquet")
    opts = ["--sector", "food", "--land-layer", f"landuse={landuse}",
            "--land-layer", f"basic_farmland={farm}"]  # fmt: skip
    assert main(["check-plots", str(tmp_path / "all.parquet"), "--out",
                 str(tmp_path / "w.parquet"), *opts]) == 0  # fmt: skip
    assert main(["check-plots", str(parts), "--out", str(tmp_path / "out"), *opts]) == 0
    single = gpd.read_parquet(tmp_path / "w.parquet")
    got = pd.concat(
        [gpd.read_parquet(tmp_path / "out" / n) for n in ("a.parquet", "b.parquet")],
        ignore_index=True,
    )
    land = [c for c in LAND_PARCEL_COLUMNS if c in single.columns]
    assert land == [c for c in LAND_PARCEL_COLUMNS if c in got.columns]
    assert {"landuse_main_code", "land_class_status", "basic_farmland_overlap_m2"} <= set(land)
    pd.testing.assert_frame_equal(
        got[["plot_id", *land]].astype(object).where(got[land].notna(), None),
        single[["plot_id", *land]].astype(object).where(single[land].notna(), None),
    )
    # hand-written expectations (food needs 二类: GBJ 137-90's example, sector_landclass.csv)
    by = got.set_index("plot_id")
    assert by["landuse_main_code"].tolist()[:4] == ["100102", "100101", "0103", "100102"]
    assert by["landuse_main_code"].isna()["E"]
    assert by["land_class_status"].tolist() == ["pass", "fail", "fail", "pass", "unknown"]
    assert by["basic_farmland_status"].tolist() == ["pass", "pass", "fail", "pass", "pass"]
    ref = ref_area_m2(to_lonlat(plots_m["C"]), to_lonlat(farm_m))
    assert abs(ref - 40 * 80) < 5  # the overlap drawn above, 40 m × 80 m
    assert abs(by.loc["C", "basic_farmland_overlap_m2"] - ref) < 1.0
    # on a real local dask cluster the layers travel to the workers: same columns and values
    assert main(["check-plots", str(parts), "--out", str(tmp_path / "cl"), "--workers", "2",
                 *opts]) == 0  # fmt: skip
    cluster = pd.concat(
        [gpd.read_parquet(tmp_path / "cl" / n) for n in ("a.parquet", "b.parquet")],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(
        cluster[["plot_id", *land]].astype(object).where(cluster[land].notna(), None),
        single[["plot_id", *land]].astype(object).where(single[land].notna(), None),
    )
    # the layers travel to dask workers pickled: the prepared layer survives the round trip
    prepared = prepare_landuse(gpd.read_file(landuse), name="lu")
    _ = prepared.tree
    copy = pickle.loads(pickle.dumps(prepared))
    assert list(copy.codes) == list(prepared.codes) and len(copy.tree.geometries) == 6
