"""Raster tiles of a land-use layer: pixels checked against tile math written here.

The reference is independent of wzgeo: lon/lat → Web Mercator by pyproj, the XYZ tile and
pixel of a point by the slippy-map formulas, the GCJ-02 shift by the published formula (as in
the widely copied ``eviltransform``), all written in this file.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from PIL import Image
from pyproj import Transformer
from shapely.geometry import Polygon, box

from wzgeo.maps.landtiles import (
    LandTiles,
    TileCache,
    TileTimeout,
    check_tile,
    tile_bounds_3857,
)

X0, Y0 = 530_000.0, 3_410_000.0  # EPSG:4545, near Wanzhou
COLOURS = {"100101": "#bb9674", "0103": "#f5f8dc"}
INDUSTRIAL = (187, 150, 116, 191)  # 187,150,116 at 75 % opacity (round(255 * 0.75) = 191)
DRY = (245, 248, 220, 191)
HALF = 20037508.342789244  # half the Web-Mercator world (m)

_TO_LL = Transformer.from_crs(4545, 4326, always_xy=True)
_TO_M = Transformer.from_crs(4326, 3857, always_xy=True)


def _pixel(lon: float, lat: float, z: int) -> tuple[int, int, int, int]:
    """(tile x, tile y, column, row) of a WGS84 point at zoom z (slippy-map scheme)."""
    mx, my = _TO_M.transform(lon, lat)
    res = 2 * HALF / (256 * 2**z)
    gx, gy = (mx + HALF) / res, (HALF - my) / res  # global pixel
    return int(gx // 256), int(gy // 256), int(gx % 256), int(gy % 256)


def _rgba(png: bytes, col: int, row: int) -> tuple[int, ...]:
    img = Image.open(io.BytesIO(png)).convert("RGBA")
    assert img.size == (256, 256)
    return tuple(img.getpixel((col, row)))


def _gcj(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 → GCJ-02 by the published formula (Krasovsky ellipsoid)."""
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2 / 3
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlon += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    dlon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
    dlon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    rad = lat / 180.0 * math.pi
    magic = 1 - ee * math.sin(rad) ** 2
    sq = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((a * (1 - ee)) / (magic * sq) * math.pi)
    dlon = (dlon * 180.0) / (a / sq * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def _layer(gcj02: bool = False) -> LandTiles:
    """A 300 m industrial square, a 300 m dry-farmland square east of it, and a farmland
    ring (600 m, 200 m hole) with an industrial island in its hole, further east."""
    ring = Polygon(
        box(X0 + 1000, Y0, X0 + 1600, Y0 + 600).exterior.coords,
        [box(X0 + 1200, Y0 + 200, X0 + 1400, Y0 + 400).exterior.coords],
    )
    island = box(X0 + 1270, Y0 + 270, X0 + 1330, Y0 + 330)
    geoms = np.array(
        [box(X0, Y0, X0 + 300, Y0 + 300), box(X0 + 300, Y0, X0 + 600, Y0 + 300), island, ring],
        dtype=object,
    )
    return LandTiles.from_codes(
        geoms, ["100101", "0103", "100101", "0103"], COLOURS, default="#c8c8c8", gcj02=gcj02
    )


def _ll(x: float, y: float) -> tuple[float, float]:
    return _TO_LL.transform(x, y)


@pytest.mark.parametrize("z", [11, 12, 13, 14, 16, 18], ids=lambda z: f"z{z}")
def test_pixel_has_class_colour(z: int) -> None:
    lt = _layer()
    for (x, y), want in [((X0 + 150, Y0 + 150), INDUSTRIAL), ((X0 + 450, Y0 + 150), DRY)]:
        tx, ty, col, row = _pixel(*_ll(x, y), z)
        assert _rgba(lt.render(z, tx, ty), col, row) == want, (z, x, y)


@pytest.mark.parametrize("z", [13, 16], ids=["overview", "vector"])
def test_hole_is_clear_and_island_drawn(z: int) -> None:
    lt = _layer()
    tx, ty, col, row = _pixel(*_ll(X0 + 1220 + 10, Y0 + 300), z)  # in the hole, off the island
    assert _rgba(lt.render(z, tx, ty), col, row)[3] == 0
    tx, ty, col, row = _pixel(*_ll(X0 + 1300, Y0 + 300), z)  # the island (smaller, on top)
    assert _rgba(lt.render(z, tx, ty), col, row) == INDUSTRIAL
    tx, ty, col, row = _pixel(*_ll(X0 + 1100, Y0 + 100), z)  # the ring itself
    assert _rgba(lt.render(z, tx, ty), col, row) == DRY


def test_tile_outside_layer_is_transparent() -> None:
    lt = _layer()
    for z in (5, 12, 16):
        tx, ty, _c, _r = _pixel(*_ll(X0 - 20_000, Y0 - 20_000), z)
        img = np.asarray(Image.open(io.BytesIO(lt.render(z, tx, ty))).convert("RGBA"))
        if z >= 12:  # far enough to be another tile
            assert (img[..., 3] == 0).all()
    # beside the squares inside the same tile: transparent
    tx, ty, col, row = _pixel(*_ll(X0 - 100, Y0 + 150), 16)
    assert _rgba(lt.render(16, tx, ty), col, row)[3] == 0


def test_gcj02_tiles_shifted_by_the_formula() -> None:
    lt = _layer(gcj02=True)
    lon, lat = _ll(X0 + 150, Y0 + 150)
    glon, glat = _gcj(lon, lat)
    shift_m = math.dist(_TO_M.transform(lon, lat), _TO_M.transform(glon, glat))
    assert shift_m > 300  # the shift is larger than the square: the two positions differ
    for z in (13, 16):
        tx, ty, col, row = _pixel(glon, glat, z)
        assert _rgba(lt.render(z, tx, ty), col, row) == INDUSTRIAL
        tx, ty, col, row = _pixel(lon, lat, z)
        assert _rgba(lt.render(z, tx, ty), col, row)[3] == 0
    # a click on the shifted map finds the feature
    assert list(lt.features_at(glon, glat)) == [0]
    assert list(_layer().features_at(lon, lat)) == [0]


def test_tile_bounds_match_reference() -> None:
    # tile 0/0/0 is the whole world; 1/1/0 the north-east quarter
    assert tile_bounds_3857(0, 0, 0) == pytest.approx((-HALF, -HALF, HALF, HALF))
    assert tile_bounds_3857(1, 1, 0) == pytest.approx((0, 0, HALF, HALF))


@pytest.mark.parametrize(
    ("z", "x", "y"), [(-1, 0, 0), (23, 0, 0), (3, 8, 0), (3, 0, -1), (0, 1, 0)]
)
def test_bad_tile_refused(z: int, x: int, y: int) -> None:
    with pytest.raises(ValueError, match=r"zoom|tile"):
        check_tile(z, x, y)
    with pytest.raises(ValueError):
        _layer().render(z, x, y)


def test_timeout_bounds_a_tile() -> None:
    k = 40  # 1 600 tiny squares inside one zoom-16 tile
    i, j = np.divmod(np.arange(k * k), k)
    geoms = shapely.box(X0 + i * 10, Y0 + j * 10, X0 + i * 10 + 8, Y0 + j * 10 + 8)
    lt = LandTiles.from_codes(geoms, ["100101"] * (k * k), COLOURS, default="#c8c8c8")
    tx, ty, _c, _r = _pixel(*_ll(X0 + 200, Y0 + 200), 16)
    with pytest.raises(TileTimeout) as e:
        lt.render(16, tx, ty, deadline_s=-1.0)
    assert "时限" in e.value.message("zh") and "in time" in e.value.message("en")
    assert lt.render(16, tx, ty)  # with the default bound it draws


def test_wide_layer_gets_lower_overview_zoom() -> None:
    geoms = np.array([box(X0, Y0, X0 + 300, Y0 + 300), box(X0 + 900_000, Y0, X0 + 900_300,
                                                          Y0 + 300)], dtype=object)  # fmt: skip
    lt = LandTiles.from_codes(geoms, ["100101", "0103"], COLOURS, default="#c8c8c8")
    w, h = lt.overview().size
    assert lt.overview_zoom < 13 and w * h <= 48_000_000


def test_cache_is_bounded() -> None:
    c = TileCache(max_bytes=100)
    for k in range(10):
        c.put(k, b"x" * 30)
    assert c.nbytes <= 100 and len(c) == 3
    assert c.get(0) is None and c.get(9) == b"x" * 30
    c.put("big", b"x" * 200)  # larger than the budget: not kept
    assert c.get("big") is None


def test_multipolygon_parts_and_non_polygons() -> None:
    from shapely.geometry import LineString, MultiPolygon, Point

    two = MultiPolygon([box(X0, Y0, X0 + 300, Y0 + 300), box(X0 + 600, Y0, X0 + 900, Y0 + 300)])
    geoms = np.array([two, Point(X0, Y0), LineString([(X0, Y0), (X0 + 1, Y0)])], dtype=object)
    lt = LandTiles.from_codes(geoms, ["100101", "0103", None], COLOURS, default="#c8c8c8")
    for x in (X0 + 150, X0 + 750):  # both parts, in the multipolygon's colour
        tx, ty, col, row = _pixel(*_ll(x, Y0 + 150), 16)
        assert _rgba(lt.render(16, tx, ty), col, row) == INDUSTRIAL
    tx, ty, col, row = _pixel(*_ll(X0 + 450, Y0 + 150), 16)  # the gap between them
    assert _rgba(lt.render(16, tx, ty), col, row)[3] == 0


def _near(png: bytes, col: int, row: int, want: tuple[int, ...], *, px: int = 1) -> bool:
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    win = img[max(row - px, 0) : row + px + 1, max(col - px, 0) : col + px + 1].reshape(-1, 4)
    return bool((win == np.array(want)).all(axis=1).any())


@pytest.mark.parametrize("z", [9, 13, 16], ids=lambda z: f"z{z}")
def test_red_line_symbol_at_every_zoom(z: int) -> None:
    """永久基本农田: yellow fill at 45 %, dark-yellow outline, drawn from the polygons at every
    zoom (no overview: the outline stays whole)."""
    sq = np.array([box(X0, Y0, X0 + 3000, Y0 + 3000)], dtype=object)
    lt = LandTiles.from_style(
        sq, fill="#ffff00", fill_opacity=0.45, outline="#b3a100", outline_px=2
    )
    assert lt.overview_zoom == -1
    fill = (255, 255, 0, round(255 * 0.45))
    line = (0xB3, 0xA1, 0x00, 255)
    tx, ty, col, row = _pixel(*_ll(X0 + 1500, Y0 + 1500), z)
    assert _near(lt.render(z, tx, ty), col, row, fill, px=0)
    tx, ty, col, row = _pixel(*_ll(X0 + 1, Y0 + 1500), z)  # on the west edge
    assert _near(lt.render(z, tx, ty), col, row, line)


def test_outline_only_boundary() -> None:
    """城镇开发边界: a line without fill."""
    sq = np.array([box(X0, Y0, X0 + 3000, Y0 + 3000)], dtype=object)
    lt = LandTiles.from_style(sq, fill=None, fill_opacity=0, outline="#9c27b0", outline_px=2)
    tx, ty, col, row = _pixel(*_ll(X0 + 1500, Y0 + 1500), 14)
    assert _rgba(lt.render(14, tx, ty), col, row)[3] == 0
    tx, ty, col, row = _pixel(*_ll(X0 + 1, Y0 + 1500), 14)
    assert _near(lt.render(14, tx, ty), col, row, (0x9C, 0x27, 0xB0, 255))


def test_ring_smaller_than_a_pixel_still_shows() -> None:
    tiny = np.array([box(X0, Y0, X0 + 3, Y0 + 3)], dtype=object)  # 3 m, < 1 px at zoom 12
    lt = LandTiles.from_style(tiny, fill="#38a800", fill_opacity=0.35, outline="#e60000",
                              outline_px=2)  # fmt: skip
    tx, ty, col, row = _pixel(*_ll(X0 + 1.5, Y0 + 1.5), 12)
    assert _near(lt.render(12, tx, ty), col, row, (0xE6, 0, 0, 255))


def test_saved_layer_renders_the_same_tiles(tmp_path: Path) -> None:
    lt = _layer()
    path = tmp_path / "tiles" / "layer.npz"
    lt.save(path)
    back = LandTiles.load(path, tree=lt._tree)
    assert back.overview_zoom == lt.overview_zoom and list(back.codes) == list(lt.codes)
    for z, x, y in [(13, *_pixel(*_ll(X0 + 150, Y0 + 150), 13)[:2]),
                    (16, *_pixel(*_ll(X0 + 1300, Y0 + 300), 16)[:2]),
                    (9, *_pixel(*_ll(X0, Y0), 9)[:2])]:  # fmt: skip
        assert back.render(z, x, y) == lt.render(z, x, y)
    red = LandTiles.from_style(
        np.array([box(X0, Y0, X0 + 900, Y0 + 900)], dtype=object),
        fill=None, fill_opacity=0, outline="#9c27b0", outline_px=2,
    )  # fmt: skip
    red.save(tmp_path / "red.npz")
    tx, ty, _c, _r = _pixel(*_ll(X0, Y0 + 450), 15)
    assert LandTiles.load(tmp_path / "red.npz", tree=red._tree).render(15, tx, ty) == red.render(
        15, tx, ty
    )


def test_saved_layer_refused_for_another_layer(tmp_path: Path) -> None:
    lt = _layer()
    lt.save(tmp_path / "a.npz")
    other = shapely.STRtree(np.array([box(X0, Y0, X0 + 1, Y0 + 1)], dtype=object))
    with pytest.raises(ValueError, match="another layer"):
        LandTiles.load(tmp_path / "a.npz", tree=other)
    (tmp_path / "b.npz").write_bytes(b"not a zip")
    with pytest.raises((ValueError, OSError)):
        LandTiles.load(tmp_path / "b.npz", tree=lt._tree)
