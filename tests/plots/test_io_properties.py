"""Property-based tests of the plot import and check (hypothesis), issue 13.

Generated plots — simple and non-convex polygons, holes, multipart plots whose parts are
apart, touch, overlap or nest, self-crossing rings — are written in every supported format
and CRS (lon/lat, CGCS2000, GK zone 36 with and without the zone prefix, UTM, X/Y swapped)
and read back with :func:`wzgeo.plots.io.read_plots`. The properties:

- the single check (``read_plots`` then ``check_plots``, as ``check-plot`` and the app do)
  and the bulk check (``check_plots`` / ``check_plot_layer`` on the plot as the file holds
  it, as ``check-plots`` does) agree on area (1e-9 relative in projected CRSs), zone,
  share and the repaired flag; a refused plot is one the bulk check has to repair;
- a valid plot's area is the one plain pyproj + shapely give (the independent reference);
- writing the imported plot out (GeoJSON, GeoPackage, as ``import-plots --out``) and
  reading it back gives the same geometry;
- no input, however broken, raises anything but a :class:`wzgeo.WzgeoError`.

Run length: the ``default`` profile (50 + 30 + 150 cases, derandomized so CI is
reproducible) runs in the normal test command; ``WZGEO_HYPOTHESIS_PROFILE=long`` runs
thousands of random cases (``python3 -m pytest tests/plots/test_io_properties.py``; about a
second a case on a busy machine; ``WZGEO_HYPOTHESIS_EXAMPLES=300`` sets how many per test).
A failure prints the falsifying example and a ``@reproduce_failure`` blob.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely import affinity

from wzgeo.analysis.plotcheck import check_plot_layer, check_plots
from wzgeo.errors import WzgeoError
from wzgeo.plots.io import read_plots

settings.register_profile(
    "wzgeo-default",
    max_examples=50,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "wzgeo-long",
    max_examples=int(os.environ.get("WZGEO_HYPOTHESIS_EXAMPLES", "1500")),
    derandomize=False,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = os.environ.get("WZGEO_HYPOTHESIS_PROFILE", "default")
if PROFILE not in ("default", "long"):
    raise ValueError(f"WZGEO_HYPOTHESIS_PROFILE must be 'default' or 'long', not {PROFILE!r}")
settings.load_profile(f"wzgeo-{PROFILE}")

# ------------------------------------------------------------------------- the plots


@dataclass(frozen=True)
class Plot:
    """A generated plot: its intended geometry in EPSG:4545 and what kind it is."""

    kind: str
    geom: shapely.Geometry  # EPSG:4545 metres; for ring formats the rings' meaning
    rings: tuple[tuple[int, np.ndarray], ...]  # (part, ring coords) as a ring list holds them


def _star(draw: st.DrawFn, n: int, r_min: float, r_max: float) -> np.ndarray:
    """A star-shaped (simple, possibly non-convex) ring around 0,0, counter-clockwise."""
    jitter = draw(st.lists(st.floats(0, 0.8), min_size=n, max_size=n))
    radii = draw(st.lists(st.floats(r_min, r_max), min_size=n, max_size=n))
    ang = 2 * math.pi * (np.arange(n) + np.asarray(jitter)) / n
    xy = np.column_stack([np.cos(ang), np.sin(ang)]) * np.asarray(radii)[:, None]
    return np.vstack([xy, xy[:1]])


@st.composite
def plots(draw: st.DrawFn) -> Plot:
    kind = draw(
        st.sampled_from(
            [
                "convex",
                "star",
                "holes",
                "apart",
                "touching",
                "overlapping",
                "nested",
                "bowtie",
                "small_loop",
            ]
        )
    )
    if kind == "convex":
        n = draw(st.integers(3, 9))
        ang = np.sort(
            draw(st.lists(st.floats(0, 2 * math.pi), min_size=n, max_size=n, unique=True))
        )
        r = draw(st.floats(20, 400))
        xy = np.column_stack([np.cos(ang), np.sin(ang)]) * r
        g = shapely.convex_hull(shapely.multipoints(xy))
        if g.geom_type != "Polygon" or g.area < 50:
            g = shapely.box(0, 0, r, r)
        ring = np.asarray(g.exterior.coords)
        return Plot(kind, shapely.Polygon(ring), ((0, ring),))
    if kind in ("star", "holes"):
        n = draw(st.integers(4, 12))
        r_min = draw(st.floats(20, 200))
        outer = _star(draw, n, r_min, r_min * draw(st.floats(1.0, 3.0)))
        holes = []
        if kind == "holes":
            k = draw(st.integers(1, 2))
            size = 0.15 * r_min * 0.9 / k  # inside the star's inner disc (gaps < 0.9 pi)
            for j in range(k):
                h = _star(draw, draw(st.integers(4, 7)), size * 0.5, size)
                holes.append(np.add(h[::-1], [(2 * j - (k - 1)) * size * 1.05, 0]))
        poly = shapely.Polygon(outer, holes)
        return Plot(kind, poly, ((0, outer), *((0, h) for h in holes)))
    if kind == "bowtie":
        w, h = draw(st.floats(20, 300)), draw(st.floats(20, 300))
        ring = np.array([[0, 0], [w, h], [w, 0], [0, h], [0, 0]], dtype=float)
        return Plot(kind, shapely.Polygon(ring), ((0, ring),))
    if kind == "small_loop":
        # a square whose last edge overshoots the first a little: a tiny loop (< 1 % area)
        s = draw(st.floats(50, 300))
        d = draw(st.floats(0.05, 0.5))
        ring = np.array([[0, 0], [s, 0], [s, s], [0, s], [d, -d], [0, 0]], dtype=float)
        return Plot(kind, shapely.Polygon(ring), ((0, ring),))
    # two parts
    w, h = draw(st.floats(20, 300)), draw(st.floats(20, 300))
    a = shapely.box(0, 0, w, h)
    if kind == "apart":
        b = affinity.translate(a, w + draw(st.floats(5, 200)), draw(st.floats(-h, h)))
    elif kind == "touching":
        b = shapely.box(w, 0, 2 * w, h)  # the same coordinates on the shared edge
    elif kind == "overlapping":
        b = affinity.translate(a, w * draw(st.floats(0.3, 0.97)), h * draw(st.floats(0.1, 0.9)))
    else:  # nested: a small part inside a large one
        f = draw(st.floats(0.2, 0.6))
        b = shapely.box(w * (1 - f) / 2, h * (1 - f) / 2, w * (1 + f) / 2, h * (1 + f) / 2)
    ra, rb = np.asarray(a.exterior.coords), np.asarray(b.exterior.coords)
    return Plot(kind, shapely.MultiPolygon([a, b]), ((0, ra), (1, rb)))


# ------------------------------------------------------------------------- the files

# projected CRSs where areas must agree to 1e-9; geographic ones to 1e-7
_PROJECTED = {"EPSG:4545", "EPSG:4524", "EPSG:32649"}
FORMATS = {
    # format: the CRSs it is written in
    "geojson": ("EPSG:4326", "EPSG:4545"),
    "gpkg": ("EPSG:4326", "EPSG:4490", "EPSG:4545", "EPSG:4524", "EPSG:32649"),
    "shp": ("EPSG:4490", "EPSG:4545", "EPSG:32649"),
    "kml": ("EPSG:4326",),
    "txt": ("EPSG:4545", "EPSG:4524"),
    "csv": ("EPSG:4326", "EPSG:4545", "EPSG:4524"),
    "xlsx": ("EPSG:4545",),
    "wkt": ("EPSG:4326", "EPSG:4545", "EPSG:4524"),
}
RING_FORMATS = ("txt", "csv", "xlsx")


@lru_cache(maxsize=1)
def _zones() -> gpd.GeoDataFrame:
    from wzgeo.geo.zonegeom import load_zone_geometry

    return load_zone_geometry()


@lru_cache(maxsize=1)
def _centres() -> list[tuple[float, float]]:
    """Places in EPSG:4545: inside zones, on zone edges, and between zones."""
    zg = _zones()
    zm = zg.loc[zg.geometry.notna()].to_crs(4545)
    out = []
    for g in zm.geometry:
        p = g.representative_point()
        out.append((p.x, p.y))
        c = np.asarray(
            g.exterior.coords if g.geom_type == "Polygon" else g.geoms[0].exterior.coords
        )
        out.append(tuple(c[0]))  # on the boundary: plots cross it
    out.append((536_364.0, 3_409_971.0))
    return out


@lru_cache(maxsize=16)
def _to(crs: str) -> Transformer:
    return Transformer.from_crs("EPSG:4545", crs, always_xy=True)


def _digits(crs: str) -> int:
    return 9 if crs in ("EPSG:4326", "EPSG:4490") else 3


def _src(c: np.ndarray, crs: str) -> np.ndarray:
    """EPSG:4545 coordinates in ``crs``, rounded as a file would hold them."""
    x, y = _to(crs).transform(c[:, 0], c[:, 1])
    return np.round(np.column_stack([x, y]), _digits(crs))


@dataclass(frozen=True)
class Case:
    plot: Plot
    fmt: str
    crs: str
    swap: bool
    declare: bool
    data: bytes
    filename: str
    ref: shapely.Geometry  # the plot as the file holds it, in ``crs`` (the bulk input)


def _ref_in(plot: Plot, crs: str) -> shapely.Geometry:
    return shapely.transform(plot.geom, lambda c: _src(c, crs))


def _write_gdal(geom: shapely.Geometry, crs: str, fmt: str) -> bytes:
    gdf = gpd.GeoDataFrame({"plot_id": ["P1"], "name": ["生成地块"]}, geometry=[geom], crs=crs)
    with tempfile.TemporaryDirectory() as d:
        if fmt == "shp":
            gdf.to_file(Path(d) / "p.shp", encoding="UTF-8")
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as zf:
                for f in sorted(Path(d).iterdir()):
                    zf.write(f, f.name)
            return buf.getvalue()
        path = Path(d) / f"p.{fmt}"
        gdf.to_file(path, driver={"gpkg": "GPKG", "kml": "KML"}[fmt])
        return path.read_bytes()


def _ring_rows(plot: Plot, crs: str, order: list[int]) -> list[tuple[str, float, float]]:
    rows = []
    for num, idx in enumerate(order, start=1):
        xy = _src(plot.rings[idx][1], crs)
        rows += [(str(num), float(x), float(y)) for x, y in xy]
    return rows


@st.composite
def cases(draw: st.DrawFn) -> Case:
    plot = draw(plots())
    fmt = draw(st.sampled_from(sorted(FORMATS)))
    crs = draw(st.sampled_from(FORMATS[fmt]))
    cx, cy = draw(st.sampled_from(_centres()))
    dx, dy = draw(st.floats(-300, 300)), draw(st.floats(-300, 300))
    plot = Plot(
        plot.kind,
        affinity.translate(plot.geom, cx + dx, cy + dy),
        tuple((k, np.add(r, [cx + dx, cy + dy])) for k, r in plot.rings),
    )
    swap = fmt in ("txt", "csv", "wkt") and draw(st.booleans())
    declare = draw(st.booleans())
    ref = _ref_in(plot, crs)
    if fmt in RING_FORMATS:
        if plot.kind == "nested":  # a ring inside another ring is a hole in a ring list
            outer, inner = plot.geom.geoms
            ref = _ref_in(Plot("", shapely.Polygon(outer.exterior, [inner.exterior]), ()), crs)
        order = draw(st.permutations(range(len(plot.rings))))
        rows = _ring_rows(plot, crs, list(order))
        data, filename = _ring_file(rows, fmt, crs, swap=swap, declare=declare)
    elif fmt == "geojson":
        gj = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"plot_id": "P1"},
                    "geometry": shapely.geometry.mapping(ref),
                }
            ],
        }
        if crs != "EPSG:4326":
            gj["crs"] = {
                "type": "name",
                "properties": {"name": f"urn:ogc:def:crs:{crs.replace(':', '::')}"},
            }
        data, filename = json.dumps(gj).encode(), "p.geojson"
    elif fmt == "wkt":
        g = shapely.transform(ref, lambda c: c[:, ::-1]) if swap else ref
        text = shapely.to_wkt(g, rounding_precision=-1)
        if declare and not swap:
            text = f"SRID={crs.split(':')[1]};{text}"
        data, filename = text.encode(), "p.wkt"
    else:
        data, filename = _write_gdal(ref, crs, fmt), f"p.{'zip' if fmt == 'shp' else fmt}"
    return Case(plot, fmt, crs, swap, declare, data, filename, ref)


def _ring_file(
    rows: list[tuple[str, float, float]], fmt: str, crs: str, *, swap: bool, declare: bool
) -> tuple[bytes, str]:
    prec = _digits(crs)
    if fmt == "txt":
        head = ""
        if declare:
            head = "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n带号=36\n计量单位=米\n"
        lines = [f"{len(rows)},,P1,生成地块,面,,工业用地,,@"]
        for i, (ring, e, n) in enumerate(rows):
            a, b = (e, n) if swap else (n, e)  # survey order: X = northing first
            lines.append(f"J{i + 1},{ring},{a:.{prec}f},{b:.{prec}f}")
        return (head + "[地块坐标]\n" + "\n".join(lines) + "\n").encode("utf-8"), "p.txt"
    # not swapped: named columns (经度/纬度, 纵坐标 = northing / 横坐标 = easting); swapped:
    # columns X, Y holding northing (or latitude) first, the survey order
    lonlat = crs == "EPSG:4326"
    if swap:
        first, second = [n for _, _, n in rows], [e for _, e, _ in rows]
        cols = ("X", "Y")
    else:
        first, second = [e for _, e, _ in rows], [n for _, _, n in rows]
        cols = ("经度", "纬度") if lonlat else ("横坐标", "纵坐标")
    table = pd.DataFrame(
        {"地块编号": "P1", "圈号": [r for r, _, _ in rows], cols[0]: first, cols[1]: second}
    )
    if fmt == "csv":
        return table.to_csv(index=False, float_format=f"%.{prec}f").encode("utf-8"), "p.csv"
    buf = io.BytesIO()
    table.to_excel(buf, index=False)
    return buf.getvalue(), "p.xlsx"


# ------------------------------------------------------------------------- the checks


def _bulk(ref: shapely.Geometry, crs: str, *, copies: int) -> pd.DataFrame:
    """``check-plots`` on a layer holding the plot ``copies`` times (WKB, the fast path)."""
    wkb = pa.array([shapely.to_wkb(ref)] * copies, type=pa.binary())
    ids = pd.Series([f"P{i}" for i in range(copies)], dtype="string")
    check = check_plot_layer(wkb, crs=crs, plot_ids=ids, zones_geo=_zones())
    return check.table


def _area_m2(g: shapely.Geometry, crs: str) -> float:
    """The independent reference: vertices projected with plain pyproj, shapely area."""
    t = Transformer.from_crs(crs, "EPSG:4545", always_xy=True)
    return float(
        shapely.transform(g, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1]))).area
    )


@given(cases())
def test_single_and_bulk_checks_agree(case: Case) -> None:
    event(f"{case.fmt} {case.crs}{' swapped' if case.swap else ''}")
    event(f"kind {case.plot.kind}")
    try:
        res = read_plots(case.data, filename=case.filename)
    except WzgeoError as e:
        event("refused")
        # only a boundary the repair would change much is refused; the bulk check repairs it
        assert not case.ref.is_valid, (case.plot.kind, str(e))
        assert case.plot.kind == "bowtie", str(e)
        bulk = check_plots(gpd.GeoDataFrame(geometry=[case.ref], crs=case.crs), zones_geo=_zones())
        assert bool(bulk.table["geometry_repaired"].iloc[0])
        return
    assert len(res.plots) == 1
    single = check_plots(res.plots, zones_geo=_zones(), plot_overlaps=False, nearest=False)
    bulk_frame = check_plots(
        gpd.GeoDataFrame(geometry=[case.ref], crs=case.crs),
        zones_geo=_zones(),
        plot_overlaps=False,
        nearest=False,
    )
    bulk_layer = _bulk(case.ref, case.crs, copies=70)
    rel = 1e-9 if case.crs in _PROJECTED else 1e-7
    if not case.ref.is_valid and case.crs not in ("EPSG:4545", "EPSG:4524"):
        rel = 1e-6  # the repair's new vertices are computed in the file's plane, not in 4545
    s = single.table.iloc[0]
    for bulk in (bulk_frame.table.iloc[0], bulk_layer.iloc[0]):
        assert s["area_m2"] == pytest.approx(bulk["area_m2"], rel=rel)
        assert bool(s["geometry_repaired"]) == bool(bulk["geometry_repaired"])
        assert bool(s["geometry_repaired"]) == (not case.ref.is_valid)
        if s["zone_share_pct"] == s["zone_share_pct"] and abs(s["zone_share_pct"] - 50) > 1e-3:
            assert s["zone_id"] == bulk["zone_id"]
        assert s["zone_share_pct"] == pytest.approx(bulk["zone_share_pct"], abs=1e-5, nan_ok=True)
    if case.ref.is_valid:
        assert s["area_m2"] == pytest.approx(_area_m2(case.ref, case.crs), rel=rel)
    # the swap is found and said
    assert any("X/Y 已交换" in w for w in res.warnings) == case.swap


@settings(max_examples=max(1, 3 * settings().max_examples // 5))
@given(cases(), st.sampled_from(["geojson", "gpkg"]))
def test_written_out_and_read_back_is_the_same_plot(case: Case, out_fmt: str) -> None:
    try:
        res = read_plots(case.data, filename=case.filename)
    except WzgeoError:
        return  # refusals are covered above
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"out.{out_fmt}"
        res.plots.to_file(path, driver={"geojson": "GeoJSON", "gpkg": "GPKG"}[out_fmt])
        back = read_plots(path)
    a = res.plots.to_crs(4545).geometry.iloc[0]
    b = back.plots.to_crs(4545).geometry.iloc[0]
    assert b.is_valid and not bool(back.plots["geometry_repaired"].iloc[0])
    assert a.hausdorff_distance(b) < 1e-6, (a.wkt, b.wkt)
    assert b.area == pytest.approx(a.area, rel=1e-9)
    assert back.plots["plot_id"].iloc[0] == res.plots["plot_id"].iloc[0]


# ------------------------------------------------------------------------- broken input

_TOKENS = [
    "[地块坐标]",
    "[属性描述]",
    "坐标系=2000国家大地坐标系",
    "带号=36",
    "带号=x",
    "5,1.0,P1,名,面,,,,@",
    "3,,P2,,线,,,,@",
    "J1,1,3409971,536364",
    "J2,1,3409971,36536464",
    "J3,2,nan,inf",
    "J4,,1e309,-1e309",
    "X,Y",
    "lon,lat",
    "经度,纬度",
    "108.38,30.81",
    "30.81,108.38",
    "0,0",
    "POLYGON ((0 0, 1 0, 1 1, 0 0))",
    "POLYGON ((108.38 30.81, 108.39 30.81, 108.38 30.81))",
    "SRID=4545;POLYGON EMPTY",
    "MULTIPOLYGON (((1 1, 2 2, 1 1)))",
    '{"type": "FeatureCollection", "features": [',
    '{"type": "Feature", "geometry": null, "properties": {}}',
    '{"type": "Polygon", "coordinates": [[[108.38, 30.81], [108.39, 30.81]]]}',
    "<kml><Placemark><Polygon>",
    "计量单位=度",
    ",,,,",
    "",
    "\ufeff",
    "\x00",
]


@st.composite
def broken_inputs(draw: st.DrawFn) -> tuple[bytes, str]:
    ext = draw(st.sampled_from([".txt", ".csv", ".wkt", ".geojson", ".json", ".kml", ".dat", ""]))
    how = draw(st.sampled_from(["tokens", "mutated", "bytes"]))
    if how == "tokens":
        text = "\n".join(draw(st.lists(st.sampled_from(_TOKENS), max_size=12)))
        return text.encode("utf-8"), f"x{ext}"
    if how == "bytes":
        return draw(st.binary(max_size=200)), f"x{ext}"
    case = draw(cases())
    data = bytearray(case.data)
    # positions as fractions: a GeoPackage written twice differs (time stamps), so the
    # draws must not depend on the file's length
    edits = draw(
        st.lists(
            st.tuples(
                st.floats(0, 1), st.sampled_from(["cut", "flip", "drop"]), st.integers(0, 255)
            ),
            min_size=1,
            max_size=4,
        )
    )
    for where, op, byte in edits:
        if not data:
            break
        i = min(int(where * len(data)), len(data) - 1)
        if op == "cut":
            del data[i:]
        elif op == "flip":
            data[i] = byte
        else:
            del data[i]
    return bytes(data), case.filename


@settings(max_examples=3 * settings().max_examples)  # cheap cases: three times as many
@given(broken_inputs())
def test_no_input_raises_anything_but_a_wzgeo_error(item: tuple[bytes, str]) -> None:
    data, filename = item
    try:
        res = read_plots(data, filename=filename)
    except WzgeoError:
        event("refused")
        return
    event("read")
    check_plots(res.plots, zones_geo=_zones(), plot_overlaps=True, nearest=True)
