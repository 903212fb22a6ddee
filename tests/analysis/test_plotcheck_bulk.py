"""The fast bulk measuring of plots (wzgeo.analysis._bulkcheck) gives the straightforward numbers.

The straightforward way is written out here on purpose, independently of the library:
``is_valid`` / ``make_valid`` on every geometry, ``to_crs(4545)``, ``shapely.area``, and an
STRtree query of every plot against the zones with the area of each intersection.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pytest
import shapely
from shapely.geometry import Polygon, box

from wzgeo.analysis._bulkcheck import PlotGeometries, _strictly_convex, measure_plots
from wzgeo.analysis.plotcheck import check_plot_layer, check_plots
from wzgeo.errors import WzgeoError

ZONES_GEO = gpd.GeoDataFrame(
    {
        "zone_id": ["jiulong_a", "gaofeng", "lihe", "longju"],
        "geometry_quality": ["schematic", "official", "schematic", "not_located"],
    },
    geometry=[
        box(530000, 3400000, 532000, 3402000),
        shapely.Point(536000, 3401000).buffer(1500),
        Polygon(  # concave (L-shaped) zone
            [
                (533000, 3403000),
                (537000, 3403000),
                (537000, 3404000),
                (534000, 3404000),
                (534000, 3406000),
                (533000, 3406000),
            ]
        ),
        None,
    ],
    crs="EPSG:4545",
).to_crs("EPSG:4326")


def _random_plots(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """Plots of many kinds around the zones (EPSG:4545), many crossing a zone boundary."""
    rng = np.random.default_rng(seed)
    cx = rng.uniform(529000, 538500, n)
    cy = rng.uniform(3399000, 3407000, n)
    size = rng.uniform(5, 400, n)
    kind = rng.integers(0, 9, n)
    geoms = []
    for x, y, s, k in zip(cx, cy, size, kind, strict=True):
        if k == 0:  # axis-parallel box
            g = box(x, y, x + s, y + s * rng.uniform(0.3, 2))
        elif k == 1:  # rotated quadrilateral, random orientation (cw or ccw)
            a = rng.uniform(0, 2 * np.pi)
            pts = [(x + s * np.cos(a + t), y + s * np.sin(a + t)) for t in (0, 1.7, 3.1, 4.6)]
            g = Polygon(pts if rng.random() < 0.5 else pts[::-1])
        elif k == 2:  # triangle
            g = Polygon([(x, y), (x + s, y + s * 0.2), (x + s * 0.4, y + s)])
        elif k == 3:  # non-convex random star (valid or self-intersecting)
            m = int(rng.integers(5, 9))
            t = np.sort(rng.uniform(0, 2 * np.pi, m))
            r = s * rng.uniform(0.3, 1, m)
            g = Polygon(np.c_[x + r * np.cos(t), y + r * np.sin(t)])
        elif k == 4:  # bow-tie (invalid)
            g = Polygon([(x, y), (x + s, y + s), (x + s, y), (x, y + s)])
        elif k == 5:  # with a hole
            g = box(x, y, x + s, y + s).difference(box(x + s / 4, y + s / 4, x + s / 2, y + s / 2))
        elif k == 6:  # multipolygon
            g = shapely.MultiPolygon([box(x, y, x + s, y + s), box(x + 2 * s, y, x + 3 * s, y + s)])
        elif k == 7:  # repeated vertex and a collinear vertex (valid, not strictly convex)
            g = Polygon([(x, y), (x + s, y), (x + s, y), (x + s, y + s / 2), (x + s, y + s)])
        else:  # regular-ish convex polygon with many vertices
            t = np.linspace(0, 2 * np.pi, 12, endpoint=False)
            g = Polygon(np.c_[x + s * np.cos(t), y + s * np.sin(t)])
        geoms.append(g)
    ids = [f"q{i}" for i in range(n)]
    return gpd.GeoDataFrame({"plot_id": ids, "kind": kind}, geometry=geoms, crs="EPSG:4545")


def _reference(plots: gpd.GeoDataFrame, *, validate: bool = True) -> dict[str, object]:
    raw = plots.geometry.to_numpy()
    repaired = np.zeros(len(raw), dtype=bool)
    if validate:
        repaired = ~shapely.is_valid(raw)
        raw = raw.copy()
        raw[repaired] = shapely.make_valid(raw[repaired], method="structure", keep_collapsed=False)
    gm = gpd.GeoSeries(raw, crs=plots.crs).to_crs("EPSG:4545").to_numpy()
    area = shapely.area(gm)
    zg = ZONES_GEO.loc[ZONES_GEO.geometry.notna()]
    zm = zg.to_crs("EPSG:4545").geometry.to_numpy()
    pi, zi = shapely.STRtree(zm).query(gm, predicate="intersects")
    inter = shapely.area(shapely.intersection(gm[pi], zm[zi]))
    keep = inter > 0.01
    ids = plots["plot_id"].to_numpy()
    shares = {
        (ids[p], zg["zone_id"].iloc[z]): 100.0 * a / area[p]
        for p, z, a in zip(pi[keep], zi[keep], inter[keep], strict=True)
    }
    return {"area": area, "repaired": repaired, "shares": shares}


def _compare(check_table, overlaps, ref: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    np.testing.assert_allclose(check_table["area_m2"].to_numpy(), ref["area"], rtol=1e-6)
    assert (check_table["geometry_repaired"].to_numpy() == ref["repaired"]).all()
    got = {
        (p, z): s
        for p, z, s in zip(
            overlaps["plot_id"], overlaps["zone_id"], overlaps["share_pct"], strict=True
        )
    }
    shares = ref["shares"]
    assert isinstance(shares, dict)
    assert set(got) == set(shares)
    for key, value in shares.items():
        assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-9)


@pytest.fixture(scope="module")
def plots() -> gpd.GeoDataFrame:
    return _random_plots(3000)


@pytest.mark.parametrize("crs", ["EPSG:4545", "EPSG:4326", "EPSG:4524"])
@pytest.mark.parametrize("validate", [True, False], ids=["validate", "assume-valid"])
def test_bulk_equals_straightforward(plots: gpd.GeoDataFrame, crs: str, validate: bool) -> None:
    layer = plots.to_crs(crs)
    if not validate:  # --assume-valid is only for valid layers
        layer = layer.loc[shapely.is_valid(layer.geometry.to_numpy())].reset_index(drop=True)
    ref = _reference(layer, validate=validate)
    assert len(ref["shares"]) > 100  # type: ignore[arg-type]
    # geometries given as shapely objects (check_plots) and as WKB (check_plot_layer)
    lib = check_plots(layer, zones_geo=ZONES_GEO, plot_overlaps=False, validate=validate)
    _compare(lib.table, lib.zone_overlaps, ref)
    wkb = pa.array(shapely.to_wkb(layer.geometry.to_numpy()), type=pa.binary())
    bulk = check_plot_layer(
        wkb, crs=layer.crs, plot_ids=layer["plot_id"], zones_geo=ZONES_GEO, validate=validate
    )
    _compare(bulk.table, bulk.zone_overlaps, ref)
    # the fast path really measured most plots
    m = measure_plots(PlotGeometries(wkb), layer.crs, validate=validate)
    fast_kinds = np.isin(layer["kind"].to_numpy(), [0, 1, 2, 8])
    assert m.n_fast >= fast_kinds.sum()


def test_wkb_variants_take_the_general_way(plots: gpd.GeoDataFrame) -> None:
    layer = plots.iloc[:400]
    ref = _reference(layer)
    big = pa.array(shapely.to_wkb(layer.geometry.to_numpy(), byte_order=0), type=pa.large_binary())
    m = measure_plots(PlotGeometries(big), layer.crs)
    assert m.n_fast == 0
    np.testing.assert_allclose(m.area_m2, ref["area"], rtol=1e-6)
    chunked = pa.chunked_array(
        [pa.array(shapely.to_wkb(layer.geometry.to_numpy()[i : i + 150])) for i in (0, 150, 300)]
    )
    m2 = measure_plots(PlotGeometries(chunked), layer.crs)
    np.testing.assert_allclose(m2.area_m2, ref["area"], rtol=1e-6)
    assert (m2.repaired == ref["repaired"]).all()


def test_convexity_never_passes_an_invalid_ring() -> None:
    rng = np.random.default_rng(3)
    for k in (4, 5, 6, 9):
        pts = rng.normal(size=(4000, k - 1, 2))
        ring = np.concatenate([pts, pts[:, :1]], axis=1)
        valid = shapely.is_valid(shapely.polygons(ring))
        convex = _strictly_convex(ring[..., 0], ring[..., 1])
        assert not (convex & ~valid).any()
        # the hulls of random points with k - 1 corners are strictly convex, either way round
        angle = rng.uniform(0, 2 * np.pi, size=(4000, k - 1))
        on_circle = np.stack([np.cos(angle), np.sin(angle)], axis=-1) * rng.uniform(1, 1e4)
        hull = shapely.convex_hull(shapely.multipoints(on_circle + rng.uniform(-1e6, 1e6, 2)))
        hull = hull[shapely.get_num_coordinates(hull) == k]
        xy = shapely.get_coordinates(hull).reshape(len(hull), k, 2)
        assert len(xy) > 100
        assert _strictly_convex(xy[..., 0], xy[..., 1]).all()
        assert _strictly_convex(xy[:, ::-1, 0], xy[:, ::-1, 1]).all()
    # a pentagram turns left at every vertex but goes round twice
    t = np.arange(6) * 4 * np.pi / 5
    star = np.c_[np.cos(t), np.sin(t)]
    assert not _strictly_convex(star[None, :, 0], star[None, :, 1])[0]
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], dtype=float)
    assert _strictly_convex(square[None, :, 0], square[None, :, 1])[0]
    assert _strictly_convex(square[None, ::-1, 0], square[None, ::-1, 1])[0]


def test_missing_geometry_in_wkb_is_refused() -> None:
    geoms = [box(531000 + i, 3401000, 531010 + i, 3401010) for i in range(100)]
    wkb = pa.array([*shapely.to_wkb(np.array(geoms)), None], type=pa.binary())
    with pytest.raises(WzgeoError, match="no geometry"):
        check_plot_layer(wkb, crs="EPSG:4545", zones_geo=ZONES_GEO)


def test_approximate_projection_only_where_it_agrees() -> None:
    from pyproj import CRS, Transformer

    from wzgeo.analysis._bulkcheck import _Projector

    exact = Transformer.from_crs("EPSG:4326", "EPSG:4545", always_xy=True)
    proj = _Projector(CRS.from_epsg(4326))
    assert proj.fast is not None
    rng = np.random.default_rng(2)
    for lon0, fast in ((108.0, True), (108.8, True), (113.5, False)):
        x = rng.uniform(lon0 - 0.1, lon0 + 0.1, 5000)
        y = rng.uniform(30.5, 31.0, 5000)
        assert proj._fast_agrees(x, y) is fast
        ex, ey = exact.transform(x, y)
        px, py = x.copy(), y.copy()
        proj.transform(px, py)
        assert np.abs(px - ex).max() < 1e-6 and np.abs(py - ey).max() < 1e-6


def test_small_batches_give_the_same_numbers(
    plots: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wzgeo.analysis._bulkcheck as bulk

    layer = plots.to_crs("EPSG:4326")
    ref = _reference(layer)
    monkeypatch.setattr(bulk, "_BATCH", 97)
    wkb = pa.chunked_array(
        [pa.array(shapely.to_wkb(layer.geometry.to_numpy()[i : i + 1000])) for i in (0, 1000, 2000)]
    )
    check = check_plot_layer(wkb, crs=layer.crs, plot_ids=layer["plot_id"], zones_geo=ZONES_GEO)
    _compare(check.table, check.zone_overlaps, ref)


def test_shifted_gcj02_plots_are_still_refused() -> None:
    from wzgeo.errors import CRSError

    shifted = gpd.GeoDataFrame(
        {"plot_id": ["a"]}, geometry=[box(108.3, 30.8, 108.301, 30.801)], crs="EPSG:4326"
    )
    shifted.attrs["datum"] = "GCJ-02"
    with pytest.raises(CRSError, match="GCJ-02"):
        check_plots(shifted, zones_geo=ZONES_GEO)


def test_simplicity_test_agrees_with_geos_and_never_passes_an_invalid_ring() -> None:
    from wzgeo.analysis._bulkcheck import _simple_t

    rng = np.random.default_rng(4)
    for k in (4, 5, 7, 11):
        pts = rng.normal(size=(5000, k - 1, 2))
        # random rings (mostly self-crossing) and star-shaped ones (mostly simple)
        t = np.sort(rng.uniform(0, 2 * np.pi, (5000, k - 1)), axis=1)
        r = rng.uniform(0.3, 1, (5000, k - 1))
        star = np.stack([r * np.cos(t), r * np.sin(t)], axis=-1)
        for p in (pts, star):
            ring = np.concatenate([p, p[:, :1]], axis=1) * 100 + [536000, 3409000]
            valid = shapely.is_valid(shapely.polygons(ring))
            simple = _simple_t(
                np.ascontiguousarray(ring[..., 0].T), np.ascontiguousarray(ring[..., 1].T)
            )
            assert not (simple & ~valid).any()
            assert simple.sum() >= 0.99 * valid.sum()
    # a ring touching itself at a vertex, a spike, a repeated vertex: never "simple"
    for bad in (
        [(0, 0), (4, 0), (2, 2), (4, 4), (0, 4), (2, 2), (0, 0)],
        [(0, 0), (4, 0), (4, 4), (4, 6), (4, 4), (0, 4), (0, 0)],
        [(0, 0), (4, 0), (4, 0), (4, 4), (0, 4), (0, 0)],
    ):
        ring = np.array(bad, dtype=float)
        assert not _simple_t(ring[:, :1], ring[:, 1:])[0]
