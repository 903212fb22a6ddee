"""CLI analysis commands give the library's numbers; bad input exits 2 with a message."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from wzgeo.analysis.plotcheck import check_plots
from wzgeo.cli.analysis import load_summary_tables
from wzgeo.cli.entry import main
from wzgeo.geo.zonegeom import load_zone_geometry
from wzgeo.plots.io import read_plots
from wzgeo.store.workspace import load_workspace


@pytest.fixture(scope="module")
def plot_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    zg = load_zone_geometry().to_crs("EPSG:4545")
    c = zg.loc[zg["zone_id"] == "lihe"].geometry.iloc[0].representative_point()
    g = gpd.GeoDataFrame(
        {"plot_id": ["A", "B"]},
        geometry=[
            box(c.x - 100, c.y - 100, c.x + 100, c.y + 100),
            box(c.x + 3000, c.y + 3000, c.x + 3100, c.y + 3100),
        ],
        crs="EPSG:4545",
    ).to_crs("EPSG:4326")
    path = tmp_path_factory.mktemp("plots") / "plots.geojson"
    g.to_file(path)
    return path


def test_check_plot_json_equals_library(
    plot_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-plot", str(plot_file), "--project", "NM-BM-02", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    # the CLI checks against the workspace: shipped data (+ saved work, none here) and the
    # imported land layers (none here: the land findings are unknown)
    from wzgeo.analysis.landuse import LandLayers

    ws = load_workspace()
    lib = check_plots(
        read_plots(plot_file).plots,
        project_id="NM-BM-02",
        zones_geo=ws.zones_geo,
        zones=ws.zones,
        projects=ws.projects,
        rules=ws.rules,
        fit=ws.fit,
        sectors=ws.sectors,
        land_layers=LandLayers(),
    ).to_dict()
    assert cli["plots"] == json.loads(json.dumps(lib["plots"]))
    assert cli["indicators"] == json.loads(json.dumps(lib["indicators"]))
    a = cli["plots"][0]
    assert a["zone_id"] == "lihe"
    assert a["fit_grade"] == "primary"
    assert a["area_m2"] == pytest.approx(40_000, rel=1e-6)


def test_check_plot_text(plot_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-plot", str(plot_file), "--sector", "nm_building"]) == 0
    out = capsys.readouterr().out
    assert "lihe" in out and "primary" in out and "示意" in out
    # each plot's report is led by its answer, in Chinese then English (40,000 m² = 60 亩)
    lines = out.splitlines()
    first = lines.index("地块 A（60.0 亩）位于李河中小企业集聚区内（100 %），产业适配：主导产业。")
    assert lines[first + 1].startswith("Plot A (60.0 mu) lies in Lihe SME Cluster (100 %)")
    assert any(line.startswith("地块 B（15.0 亩）不在任何已定位园区内；") for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sector", "steel"], "unknown sector"),
        (["--project", "XX-99"], "unknown project id"),
    ],
    ids=["sector", "project"],
)
def test_check_plot_bad_input_exits_2(
    plot_file: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-plot", str(plot_file), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_check_plot_missing_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-plot", str(tmp_path / "none.geojson")]) == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".parquet", ".gpkg"])
def test_check_plots_layer(plot_file: Path, tmp_path: Path, suffix: str) -> None:
    src = tmp_path / "parcels.parquet"
    gpd.read_file(plot_file).to_parquet(src)
    out = tmp_path / f"out{suffix}"
    assert main(["check-plots", str(src), "--out", str(out), "--sector", "nm_building"]) == 0
    res = gpd.read_parquet(out) if suffix == ".parquet" else gpd.read_file(out)
    assert list(res["zone_id"].fillna("")) == ["lihe", ""]
    assert list(res["fit_grade"]) == list(
        check_plots(gpd.read_parquet(src), sector_id="nm_building").table["fit_grade"]
    )
    assert res.crs is not None


def test_check_plots_bad_output_and_no_crs(
    plot_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-plots", str(plot_file), "--out", str(tmp_path / "x.shp")]) == 2
    nocrs = tmp_path / "nocrs.parquet"
    gpd.read_file(plot_file).set_crs(None, allow_override=True).to_parquet(nocrs)
    assert main(["check-plots", str(nocrs), "--out", str(tmp_path / "o.parquet")]) == 2
    assert "--crs" in capsys.readouterr().err


@pytest.fixture(scope="module")
def library_tables() -> dict[str, pd.DataFrame]:
    return load_summary_tables()


def test_summary_csv_equals_library(
    tmp_path: Path, library_tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["summary", "--format", "csv", "--out", str(tmp_path / "s.csv")]) == 0
    for name in ("district", "zones", "sectors"):
        cli = pd.read_csv(tmp_path / f"s_{name}.csv")
        lib = library_tables[name]
        num = [c for c in lib.columns if pd.api.types.is_float_dtype(lib[c])]
        pd.testing.assert_frame_equal(
            cli[num].reset_index(drop=True), lib[num].reset_index(drop=True), check_dtype=False
        )


def test_summary_csv_set_is_all_or_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failure while writing the third table leaves the earlier set as it was."""
    out = str(tmp_path / "s.csv")
    assert main(["summary", "--format", "csv", "--out", out, "--headers", "ids"]) == 0
    before = {p.name: p.read_bytes() for p in tmp_path.glob("s_*.csv")}
    assert len(before) >= 3
    real = pd.DataFrame.to_csv
    calls: list[int] = []

    def failing(self: pd.DataFrame, *args: object, **kwargs: object) -> object:
        if args and isinstance(args[0], Path):  # a table written to a file
            calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(pd.DataFrame, "to_csv", failing)
    # other headers, so a replaced file would differ
    rc = main(["summary", "--format", "csv", "--out", out, "--headers", "zh", "--overwrite"])
    assert rc == 2 and "No space left" in capsys.readouterr().err
    after = {p.name: p.read_bytes() for p in tmp_path.glob("s_*.csv")}
    assert after == before  # no table replaced, none half written
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_summary_xlsx_and_md(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x = tmp_path / "s.xlsx"
    assert main(["summary", "--format", "xlsx", "--out", str(x)]) == 0
    sheets = pd.read_excel(x, sheet_name=None)
    assert {"district", "zones", "sectors", "locations"} <= set(sheets)
    assert len(sheets["zones"]) == 13
    assert main(["summary", "--format", "md"]) == 0
    assert "## zones" in capsys.readouterr().out
    assert main(["summary", "--format", "xlsx"]) == 2


def test_summary_with_assignments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = tmp_path / "a.csv"
    a.write_text("project_id,zone_id\nNM-BM-01,jiulong_b\n", encoding="utf-8")
    assert main(["summary", "--format", "csv", "--assignments", str(a)]) == 0
    out = capsys.readouterr().out
    assert "NM-BM-01,,jiulong_b,assigned" in out
    a.write_text("project_id,zone_id\nNM-BM-01,mars\n", encoding="utf-8")
    assert main(["summary", "--assignments", str(a)]) == 2


@pytest.mark.parametrize("crs", ["EPSG:4545", "EPSG:4326"])
@pytest.mark.parametrize("flags", [[], ["--assume-valid"]], ids=["validate", "assume-valid"])
def test_check_plots_bulk_layer_equals_library(tmp_path: Path, crs: str, flags: list[str]) -> None:
    """Enough parcels for the WKB fast path; a bow-tie; numbers equal check_plots on the frame."""
    import numpy as np
    import shapely
    from shapely.geometry import Polygon

    zg = load_zone_geometry().to_crs("EPSG:4545")
    b = zg.loc[zg["zone_id"] == "lihe"].geometry.iloc[0].bounds
    rng = np.random.default_rng(5)
    x = rng.uniform(b[0] - 500, b[2] + 500, 400)
    y = rng.uniform(b[1] - 500, b[3] + 500, 400)
    geoms = list(shapely.box(x, y, x + 80, y + 60))
    if not flags:
        geoms[7] = Polygon(
            [(x[7], y[7]), (x[7] + 50, y[7] + 50), (x[7] + 50, y[7]), (x[7], y[7] + 50)]
        )
    layer = gpd.GeoDataFrame(
        {"plot_id": [f"L{i}" for i in range(400)]}, geometry=geoms, crs="EPSG:4545"
    ).to_crs(crs)
    src = tmp_path / "layer.parquet"
    layer.to_parquet(src)
    out = tmp_path / "out.parquet"
    assert (
        main(["check-plots", str(src), "--out", str(out), "--sector", "nm_building", *flags]) == 0
    )
    res = gpd.read_parquet(out)
    lib = check_plots(layer, sector_id="nm_building", validate=not flags).table
    assert res.crs == layer.crs
    assert list(res["plot_id"]) == list(lib["plot_id"])
    assert res["zone_id"].fillna("").tolist() == lib["zone_id"].fillna("").tolist()
    assert (res["zone_id"].notna()).sum() > 20
    np.testing.assert_allclose(res["area_m2"], lib["area_m2"], rtol=1e-9)
    np.testing.assert_allclose(res["zone_share_pct"], lib["zone_share_pct"], rtol=1e-9)
    assert res["geometry_repaired"].tolist() == lib["geometry_repaired"].tolist()
    assert res["geometry_repaired"].sum() == (0 if flags else 1)
    # no plot_id column: the row numbers are the ids, as for the GeoDataFrame
    bare = tmp_path / "bare.parquet"
    layer.drop(columns="plot_id").to_parquet(bare)
    assert main(["check-plots", str(bare), "--out", str(out), *flags]) == 0
    np.testing.assert_allclose(gpd.read_parquet(out)["area_m2"], lib["area_m2"], rtol=1e-9)


def test_check_plot_uses_official_boundary_from_the_store(
    plot_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from wzgeo.store.core import open_store

    store_file = tmp_path / "store.sqlite"
    monkeypatch.setenv("WZGEO_STORE", str(store_file))
    plot_a = read_plots(plot_file).plots.geometry.iloc[0]
    # an official 李河 boundary that covers only half of plot A
    half = box(*plot_a.bounds[:3], (plot_a.bounds[1] + plot_a.bounds[3]) / 2)
    open_store(store_file).set_zone_boundary("lihe", half, source="t.geojson", by="t", why="t")
    assert main(["check-plot", str(plot_file), "--sector", "nm_building", "--json"]) == 0
    a = json.loads(capsys.readouterr().out)["plots"][0]
    assert a["zone_geometry_quality"] == "official"
    assert a["zone_share_pct"] == pytest.approx(50, abs=0.5)
    assert main(["check-plot", str(plot_file), "--json", "--no-store"]) == 0
    b = json.loads(capsys.readouterr().out)["plots"][0]
    assert b["zone_geometry_quality"] == "schematic" and b["zone_share_pct"] == 100


def test_summary_reads_the_stores_assignments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from wzgeo.store.core import open_store

    store_file = tmp_path / "store.sqlite"
    monkeypatch.setenv("WZGEO_STORE", str(store_file))
    open_store(store_file).assign("EI-03", "longsha", by="t", why="t")
    out = tmp_path / "s.xlsx"
    assert main(["summary", "--format", "xlsx", "--out", str(out), "--headers", "zh"]) == 0
    loc = pd.read_excel(out, sheet_name="locations").set_index("项目编号")
    assert loc.loc["EI-03", "园区编号"] == "longsha"
    assert loc.loc["EI-03", "位置依据"] == "assigned"
    capsys.readouterr()
    assert main(["summary", "--format", "csv", "--no-store"]) == 0
    rows = [r for r in capsys.readouterr().out.splitlines() if r.startswith("EI-03,")]
    assert rows and all(",longsha," not in r and ",assigned," not in r for r in rows)


# ---------------------------------------------------------------------------------------
# issue 13 (regressions): repaired flag, --datum, what the text output says
# ---------------------------------------------------------------------------------------

_GK = (536_364.0, 3_409_971.0)  # easting, northing in EPSG:4545 near 高峰园


def test_check_plot_json_flags_a_plot_repaired_on_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a 100 m square whose last edge overshoots the first: a tiny loop, repaired on import
    e, n = _GK
    ring = [(e, n), (e + 100, n), (e + 100, n + 100), (e, n + 100), (e + 1, n - 1), (e, n)]
    path = tmp_path / "loop.csv"
    path.write_text("X,Y\n" + "\n".join(f"{y},{x}" for x, y in ring) + "\n", encoding="utf-8")
    assert main(["check-plot", str(path), "--json", "--no-store"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["plots"][0]["geometry_repaired"] is True
    assert any("repaired" in w for w in report["import_warnings"])
    # check-plots says the same for the same parcel
    layer = tmp_path / "loop.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.Polygon(ring)], crs=4545).to_file(layer)
    out = tmp_path / "out.parquet"
    assert main(["check-plots", str(layer), "--out", str(out), "--no-store"]) == 0
    bulk = gpd.read_parquet(out)
    assert bool(bulk["geometry_repaired"].iloc[0]) is True
    assert bulk["area_m2"].iloc[0] == pytest.approx(report["plots"][0]["area_m2"], rel=1e-9)


def _lonlat_square(tmp_path: Path) -> Path:
    path = tmp_path / "gaode.csv"
    lon, lat, d = 108.38, 30.81, 0.001
    pts = [(lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d)]
    path.write_text("lon,lat\n" + "\n".join(f"{x},{y}" for x, y in pts) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("given", ["gcj02", "GCJ-02"])
def test_check_plot_datum_gcj02_shifts_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], given: str
) -> None:
    path = _lonlat_square(tmp_path)
    assert main(["check-plot", str(path), "--json", "--no-store", "--datum", given]) == 0
    shifted = json.loads(capsys.readouterr().out)
    assert "GCJ-02" in shifted["crs_reason_en"] and shifted["datum"] == "gcj02"
    # the same shift as import-plots --datum, and near Wanzhou GCJ-02 is about +0.0046° lon
    # and −0.0023° lat off WGS84 (DOMAIN.md): back-shifted, the plot moves by about that
    out = tmp_path / "plots.geojson"
    assert main(["import-plots", str(path), "--datum", given, "--out", str(out)]) == 0
    capsys.readouterr()
    c = gpd.read_file(out).geometry.iloc[0].centroid
    assert c.x == pytest.approx(108.3805 - 0.0046, abs=0.0008)
    assert c.y == pytest.approx(30.8105 + 0.0023, abs=0.0008)


def test_check_plot_lonlat_inference_warns_of_gcj02(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-plot", str(_lonlat_square(tmp_path)), "--no-store"]) == 0
    out = capsys.readouterr().out
    assert "GCJ-02" in out and "--datum gcj02" in out


def test_check_plot_text_shows_small_areas_and_swapped_axes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a 1 m square with X = northing first (swapped); 1 m² = 0.0015 亩 = 0.0001 公顷
    e, n = _GK
    path = tmp_path / "one.csv"
    path.write_text(f"X,Y\n{n},{e}\n{n},{e + 1}\n{n + 1},{e + 1}\n{n + 1},{e}\n", encoding="utf-8")
    assert main(["check-plot", str(path), "--no-store"]) == 0
    out = capsys.readouterr().out
    assert "0.00150 亩" in out and "0.000100 公顷" in out
    assert "0.00 亩" not in out
    assert "X/Y 已交换" in out and "X/Y swapped" in out
    # the GK inference says that Beijing 1954 / Xian 1980 look the same, and how to declare
    assert "北京54" in out and "--crs 2381" in out and "--crs 2433" in out


def test_check_plot_refuses_a_bowtie_with_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    e, n = _GK
    path = tmp_path / "bow.csv"
    path.write_text(
        f"X,Y\n{n},{e}\n{n + 100},{e + 100}\n{n},{e + 100}\n{n + 100},{e}\n", encoding="utf-8"
    )
    assert main(["check-plot", str(path), "--no-store"]) == 2
    err = capsys.readouterr().err
    assert "%" not in err and "X=3410021.00, Y=536414.00" in err


@pytest.mark.parametrize("suffix", [".pdf", ".docx"])  # HTML: tests/reports
def test_check_plot_report_has_the_json_reports_numbers(
    plot_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    """``check-plot --report``: the document and ``--json`` give the same numbers."""
    import io
    import re

    from docx import Document
    from pypdf import PdfReader

    out = tmp_path / f"report{suffix}"
    args = ["check-plot", str(plot_file), "--project", "NM-BM-02"]
    assert main([*args, "--json", "--report", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)  # stdout stays pure JSON
    data = out.read_bytes()
    if suffix == ".pdf":
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    elif suffix == ".docx":
        doc = Document(io.BytesIO(data))
        text = "\n".join(
            [p.text for p in doc.paragraphs]
            + [c.text for t in doc.tables for r in t.rows for c in r.cells]
        )
    else:
        text = data.decode("utf-8")
    flat = re.sub(r"\s+", "", text)
    for plot in report["plots"]:
        assert re.sub(r"\s+", "", plot["answer_zh"]) in flat
        assert f"{plot['area_m2']:,.2f}" in text and f"{plot['area_mu']:,.2f}" in text
        assert f"{plot['area_ha']:,.4f}" in text
        for z in plot["zones"]:
            assert f"{z['share_pct']:,.2f}" in text
    for ind in report["indicators"]:
        assert ind["name_zh"] in flat  # a long name may wrap inside its table cell
        if ind["value"] is not None:
            assert f"{ind['value']:,.2f}" in flat.replace(" ", "")
    # no red-line or land-use layer imported: the report says so instead of empty tables
    assert "未导入红线图层" in text and "三区三线" not in text and "用地分类适配" not in text
    # 40 000 m² = 60 亩 = 4 公顷 (200 m × 200 m, by hand)
    assert "40,000.00" in text and "60.00" in text and "4.0000" in text
    # an existing report is not replaced without --overwrite (refused before any work)
    assert main([*args, "--report", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert out.read_bytes() == data


def test_check_plot_report_refuses_other_formats(
    plot_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-plot", str(plot_file), "--report", str(tmp_path / "r.odt")]) == 2
    assert ".pdf, .docx or .html" in capsys.readouterr().err
    assert main(["check-plot", str(plot_file), "--report", str(plot_file), "--overwrite"]) == 2
