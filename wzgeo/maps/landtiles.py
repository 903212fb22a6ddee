"""Raster tiles (256-px Web-Mercator PNG, XYZ scheme) of a large land-use or red-line layer.

A district-size land-use layer (三调 DLTB, ~500 000 polygons) is too big to send to the
browser as GeoJSON (bench/RESULTS.md, section *land use*). The web server renders it into
tiles instead; Leaflet fetches the tiles itself on pan and zoom.

:class:`LandTiles` prepares a layer once: the polygons' rings are projected to Web Mercator
(EPSG:3857; shifted to GCJ-02 first for a Gaode basemap, the same shift
:func:`wzgeo.geo.crs.to_gcj02` gives the vector layers) and kept as one coordinate array;
an STRtree over the features (EPSG:4545) answers "which features touch this tile".

- At zoom ≤ :attr:`LandTiles.overview_zoom` (13 unless the layer is very wide) a tile is cut
  from one **overview raster** of the whole layer at that zoom's resolution (≈ 19 m a pixel
  at Wanzhou), rendered once, and downsampled (nearest pixel) for lower zooms: no tile at a
  low zoom rasterises hundreds of thousands of polygons.
- Above it, the features in the tile are rasterised (PIL ``ImageDraw``), largest first so a
  polygon lying in another's hole stays visible; holes are cleared. Consecutive vertices on
  the same pixel are dropped first (a long outline costs the pixels it crosses); a ring
  smaller than a pixel is drawn as one pixel.
- A red-line layer (:meth:`LandTiles.from_style`: few large polygons whose outline matters)
  has no overview: its polygons are drawn at every zoom, with their outline.

Colours are a palette (transparent + one entry per fill, RGBA), so a tile is a small
8-bit PNG. Rendering a tile past :data:`TILE_DEADLINE_S` stops with :class:`TileTimeout`
(nothing half-drawn is returned). :class:`TileCache` keeps rendered tiles under a byte
budget. :meth:`LandTiles.save` / :meth:`LandTiles.load` keep a prepared layer with its
overview on disk (the app keeps them beside the store, so a server restart does not prepare a
large layer again). Nothing here knows about the web server or sessions (that is
:mod:`wzgeo.app.tiles`).
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from PIL import Image, ImageDraw
from pyproj import Transformer

from wzgeo.errors import WzgeoError
from wzgeo.geo import crs as wcrs

__all__ = [
    "MAX_ZOOM",
    "OVERVIEW_MAX_PX",
    "TILE_DEADLINE_S",
    "TILE_MIN_FEATURES",
    "TILE_MIN_VERTICES",
    "TILE_PX",
    "LandTiles",
    "TileCache",
    "TileTimeout",
    "check_tile",
    "empty_tile",
    "hex_rgba",
    "tile_bounds_3857",
]

TILE_PX = 256
"""Tile size in pixels."""
TILE_MIN_FEATURES = 10_000
"""Land-use layers with more features than this are drawn as tiles on the web map (fewer: as
vectors, with tooltips)."""
TILE_MIN_VERTICES = 200_000
"""Red-line layers with more vertices than this are drawn as tiles on the web map."""
MAX_ZOOM = 22
"""Highest zoom served."""
OVERVIEW_ZOOM = 13
"""Zoom of the overview raster (≈ 19 m a pixel at 31° N) unless the layer is too wide."""
OVERVIEW_MAX_PX = 48_000_000
"""Largest overview raster (pixels, one byte each); a wider layer gets a lower overview zoom."""
TILE_DEADLINE_S = 10.0
"""A tile taking longer than this to rasterise is abandoned (:class:`TileTimeout`)."""
_HALF_M = math.pi * 6378137.0  # half the Web-Mercator world width (m)
_FORMAT = 1  # of the files written by LandTiles.save


class TileTimeout(WzgeoError):
    """Rasterising a tile took longer than its time bound."""


@lru_cache(maxsize=8)
def _tf(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def check_tile(z: int, x: int, y: int) -> None:
    """Raise ``ValueError`` when ``z/x/y`` is not a tile of the XYZ scheme (0 ≤ z ≤ 22)."""
    if not 0 <= z <= MAX_ZOOM:
        raise ValueError(f"zoom must be 0–{MAX_ZOOM}, got {z}")
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise ValueError(f"tile x and y must be 0–{n - 1} at zoom {z}, got x={x}, y={y}")


def tile_bounds_3857(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """``(minx, miny, maxx, maxy)`` of tile ``z/x/y`` in EPSG:3857 metres (y down from north)."""
    check_tile(z, x, y)
    size = 2 * _HALF_M / (1 << z)
    minx = -_HALF_M + x * size
    maxy = _HALF_M - y * size
    return minx, maxy - size, minx + size, maxy


def _res(z: int) -> float:
    """Metres (EPSG:3857) per pixel at zoom ``z``."""
    return 2 * _HALF_M / (TILE_PX * (1 << z))


def hex_rgba(colour: str, alpha: float = 1.0) -> tuple[int, int, int, int]:
    """``'#rrggbb'`` and an opacity 0–1 → ``(r, g, b, a)``."""
    c = colour.lstrip("#")
    if len(c) != 6:
        raise ValueError(f"colour must be '#rrggbb', got {colour!r}")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), round(255 * alpha)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=1)
    return buf.getvalue()


_EMPTY: bytes | None = None


def empty_tile() -> bytes:
    """A transparent 256-px PNG (a tile with nothing on it)."""
    global _EMPTY
    if _EMPTY is None:
        _EMPTY = _png(Image.new("LA", (TILE_PX, TILE_PX), (0, 0)))
    return _EMPTY


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, vectorised."""
    total = int(counts.sum())
    if not total:
        return np.empty(0, dtype=np.int64)
    return np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)


class LandTiles:
    """A layer prepared for tiling (see the module docstring).

    Parameters
    ----------
    geoms
        Polygons / multipolygons in EPSG:4545 (other types are ignored).
    fills
        The palette index of each feature's fill: 1 … ``len(palette)``; 0 = not drawn.
    palette
        RGBA of each fill (index 1 is ``palette[0]``).
    gcj02
        Shift to GCJ-02 (tiles for a Gaode basemap).
    outline
        RGBA of the features' outline drawn at zoom ≥ ``outline_zoom``; None = no outline.
    outline_zoom
        Lowest zoom with outlines.
    outline_px
        Outline width (pixels).
    use_overview
        Cut low-zoom tiles from the overview raster (False: draw the polygons at every zoom,
        for a layer of few large polygons whose outline matters, like the red lines).
    tree
        An STRtree over ``geoms`` to reuse (e.g. the plot check's); built when None.
    """

    def __init__(
        self,
        geoms: np.ndarray,
        fills: np.ndarray,
        palette: Sequence[tuple[int, int, int, int]],
        *,
        gcj02: bool = False,
        outline: tuple[int, int, int, int] | None = None,
        outline_zoom: int = 16,
        outline_px: int = 1,
        use_overview: bool = True,
        tree: shapely.STRtree | None = None,
    ) -> None:
        geoms = np.asarray(geoms, dtype=object)
        fills = np.asarray(fills, dtype=np.int64)
        if len(fills) != len(geoms):
            raise ValueError(f"{len(geoms)} geometries but {len(fills)} fills")
        if len(palette) + (outline is not None) > 254:
            raise ValueError(f"at most 253 fill colours, got {len(palette)}")
        if len(fills) and (fills.min() < 0 or fills.max() > len(palette)):
            raise ValueError("fill indices must be 0 … len(palette)")
        self.gcj02 = gcj02
        self.n_features = len(geoms)
        self.codes: np.ndarray | None = None  # each feature's code (set by from_codes)
        self._outline_zoom = outline_zoom
        self._outline_px = outline_px
        self._outline_index = len(palette) + 1 if outline is not None else None
        rgba = [(0, 0, 0, 0), *palette] + ([outline] if outline is not None else [])
        self._palette = [v for c in rgba for v in c]
        self._tree = tree if tree is not None else shapely.STRtree(geoms)
        self._prepare(geoms, fills)
        self._lock = threading.Lock()
        self._overview: Image.Image | None = None
        self._ov_origin = (0, 0)  # global pixel (col, row) of the overview's top-left corner
        self.overview_zoom = self._pick_overview_zoom() if use_overview else -1

    # -- kept on disk

    _ARRAYS = ("_xy", "_ring_start", "_part_ring", "_part_fill", "_owner_sorted", "_owner_parts")

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the prepared layer and its overview raster (drawn now if not yet) to ``path``
        (``.npz``, uncompressed; written to a temporary file, then moved into place)."""
        path = Path(path)
        ov = self.overview() if self.overview_zoom >= 0 else None
        meta = {
            "version": _FORMAT, "gcj02": self.gcj02, "n_features": self.n_features,
            "outline_zoom": self._outline_zoom, "outline_px": self._outline_px,
            "outline_index": self._outline_index, "palette": self._palette,
            "bounds": list(self.bounds), "overview_zoom": self.overview_zoom,
            "ov_origin": list(self._ov_origin), "ov_size": list(ov.size) if ov else [0, 0],
        }  # fmt: skip
        arrays = {k.lstrip("_"): getattr(self, k) for k in self._ARRAYS}
        if self.codes is not None:
            arrays["codes"] = self.codes.astype(str)
        arrays["overview"] = np.frombuffer(ov.tobytes() if ov else b"", dtype=np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        try:
            with open(tmp, "wb") as fh:
                np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, tree: shapely.STRtree) -> LandTiles:
        """A layer written by :meth:`save`; ``tree`` is the STRtree over the same features
        (EPSG:4545). Raises ``ValueError`` for a file of another format or layer size."""
        with np.load(Path(path), allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("version") != _FORMAT:
                raise ValueError(f"tile cache format {meta.get('version')}, not {_FORMAT}")
            if len(tree.geometries) != meta["n_features"]:
                raise ValueError("the tile cache is for another layer")
            out = cls.__new__(cls)
            for k in cls._ARRAYS:
                setattr(out, k, z[k.lstrip("_")])
            out.codes = z["codes"] if "codes" in z.files else None
            ov = z["overview"].tobytes()
        out.gcj02 = bool(meta["gcj02"])
        out.n_features = int(meta["n_features"])
        out._outline_zoom = int(meta["outline_zoom"])
        out._outline_px = int(meta["outline_px"])
        out._outline_index = meta["outline_index"]
        out._palette = [int(v) for v in meta["palette"]]
        out._tree = tree
        out.bounds = tuple(float(v) for v in meta["bounds"])  # type: ignore[assignment]
        out._lock = threading.Lock()
        out.overview_zoom = int(meta["overview_zoom"])
        out._ov_origin = (int(meta["ov_origin"][0]), int(meta["ov_origin"][1]))
        out._overview = None
        if out.overview_zoom >= 0:
            w, h = meta["ov_size"]
            img = Image.frombytes("P", (w, h), ov)
            img.putpalette(out._palette, rawmode="RGBA")
            out._overview = img
        return out

    # -- preparation

    def _prepare(self, geoms: np.ndarray, fills: np.ndarray) -> None:
        types = shapely.get_type_id(geoms)
        poly = np.isin(types, [3, 6])
        if (types == 3).all():  # polygons only (the usual case): no copies of the parts
            parts, owner = geoms, np.arange(len(geoms))
        else:
            parts, owner = shapely.get_parts(geoms[poly], return_index=True)
            owner = np.flatnonzero(poly)[owner]
        keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
        parts, owner = parts[keep], owner[keep]
        # largest first: a polygon inside another's hole is drawn after it
        order = np.argsort(-shapely.area(parts), kind="stable")
        parts, owner = parts[order], owner[order]
        # a polygon's coordinates are its exterior ring's, then each hole's: only the ring
        # lengths of polygons with holes need their rings (no ring objects for the others)
        xy = shapely.get_coordinates(parts)
        n_rings = 1 + shapely.get_num_interior_rings(parts).astype(np.int64)
        self._part_ring = np.concatenate([[0], np.cumsum(n_rings)]).astype(np.int64)
        ring_len = np.empty(int(self._part_ring[-1]), dtype=np.int64)
        simple = n_rings == 1
        ring_len[self._part_ring[:-1][simple]] = shapely.get_num_coordinates(parts[simple])
        if not simple.all():
            holed = np.flatnonzero(~simple)
            rings = shapely.get_rings(parts[holed])  # in part order, exterior first
            ring_len[_ranges(self._part_ring[holed], n_rings[holed])] = shapely.get_num_coordinates(
                rings
            )
        self._ring_start = np.concatenate([[0], np.cumsum(ring_len)]).astype(np.int64)
        self._part_fill = fills[owner].astype(np.uint8)
        # feature → its parts (parts are in draw order, so index them by owner)
        by_owner = np.argsort(owner, kind="stable")
        self._owner_sorted = owner[by_owner]
        self._owner_parts = by_owner
        self._xy = self._project(xy)
        if len(self._xy):
            self.bounds = (
                float(self._xy[:, 0].min()), float(self._xy[:, 1].min()),
                float(self._xy[:, 0].max()), float(self._xy[:, 1].max()),
            )  # fmt: skip
        else:
            self.bounds = (0.0, 0.0, 0.0, 0.0)

    def _project(self, xy: np.ndarray) -> np.ndarray:
        if not len(xy):
            return np.empty((0, 2))
        if not self.gcj02:
            t = _tf(4545, 3857)
            x, y = t.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])
        lon, lat = _tf(4545, 4326).transform(xy[:, 0], xy[:, 1])
        lon, lat = wcrs.wgs84_to_gcj02(lon, lat)
        x, y = _tf(4326, 3857).transform(lon, lat)
        return np.column_stack([x, y])

    def _pick_overview_zoom(self) -> int:
        minx, miny, maxx, maxy = self.bounds
        z = OVERVIEW_ZOOM
        while z > 0 and ((maxx - minx) / _res(z) + 2) * ((maxy - miny) / _res(z) + 2) > (
            OVERVIEW_MAX_PX
        ):
            z -= 1
        return z

    def _to_4545(self, minx: float, miny: float, maxx: float, maxy: float) -> Any:
        """The envelope in EPSG:4545 of a Web-Mercator box (edges densified, GCJ undone)."""
        s = np.linspace(0.0, 1.0, 9)
        xs = np.concatenate([minx + (maxx - minx) * s, np.full(9, maxx),
                             maxx - (maxx - minx) * s, np.full(9, minx)])  # fmt: skip
        ys = np.concatenate([np.full(9, miny), miny + (maxy - miny) * s,
                             np.full(9, maxy), maxy - (maxy - miny) * s])  # fmt: skip
        if self.gcj02:
            lon, lat = _tf(3857, 4326).transform(xs, ys)
            lon, lat = wcrs.gcj02_to_wgs84(lon, lat)
            ex, ey = _tf(4326, 4545).transform(lon, lat)
        else:
            ex, ey = _tf(3857, 4545).transform(xs, ys)
        m = 1.0  # metres of margin for rounding
        return shapely.box(min(ex) - m, min(ey) - m, max(ex) + m, max(ey) + m)

    # -- drawing

    def _parts_in(self, minx: float, miny: float, maxx: float, maxy: float) -> np.ndarray:
        feats = self._tree.query(self._to_4545(minx, miny, maxx, maxy))
        if not len(feats):
            return np.empty(0, dtype=np.int64)
        lo = np.searchsorted(self._owner_sorted, feats, side="left")
        hi = np.searchsorted(self._owner_sorted, feats, side="right")
        idx = self._owner_parts[_ranges(lo, hi - lo)]
        return np.sort(idx)  # part index = draw order

    def _draw(
        self,
        img: Image.Image,
        parts: np.ndarray,
        *,
        origin: tuple[float, float],
        res: float,
        outline: bool,
        deadline: float,
    ) -> None:
        draw = ImageDraw.Draw(img)
        line = self._outline_index if outline else None
        parts = parts[self._part_fill[parts] > 0]
        # the rings of these parts, in draw order, and their coordinates in pixels (one pass)
        r0 = self._part_ring[parts]
        n_rings = self._part_ring[parts + 1] - r0
        rings = _ranges(r0, n_rings)
        fills = np.repeat(self._part_fill[parts], n_rings)
        fills[rings != np.repeat(r0, n_rings)] = 0  # holes: cleared
        c0 = self._ring_start[rings]
        n_coords = self._ring_start[rings + 1] - c0
        px = self._xy[_ranges(c0, n_coords)]
        px -= origin
        px *= (1.0 / res, -1.0 / res)
        ipx = np.rint(px).astype(np.int64)
        # consecutive vertices on the same pixel draw nothing more: keep one (at low zooms a
        # ring of thousands of vertices shrinks to the pixels it crosses)
        ring_of = np.repeat(np.arange(len(rings)), n_coords)
        keep = np.ones(len(ipx), dtype=bool)
        keep[1:] = (ipx[1:] != ipx[:-1]).any(axis=1) | (ring_of[1:] != ring_of[:-1])
        ipx, ring_of = ipx[keep], ring_of[keep]
        counts = np.bincount(ring_of, minlength=len(rings))
        offs = np.concatenate([[0], np.cumsum(counts)]).tolist()
        flat = ipx.ravel().tolist()
        polygon, point = draw.polygon, draw.point
        width = self._outline_px
        for k, fill in enumerate(fills.tolist()):
            if k % 512 == 511 and time.monotonic() > deadline:
                raise TileTimeout(
                    "图层太复杂，无法在时限内绘制该瓦片。",
                    "the layer is too complex to draw this tile in time.",
                )
            a, b = 2 * offs[k], 2 * offs[k + 1]
            if b - a >= 6:
                polygon(flat[a:b], fill=fill, outline=line, width=width)
            elif fill and b > a:  # a ring smaller than a pixel: one pixel
                point(flat[a : a + 2], fill=line or fill)

    def _new(self, w: int, h: int) -> Image.Image:
        img = Image.new("P", (w, h), 0)
        img.putpalette(self._palette, rawmode="RGBA")
        return img

    def warm(self) -> None:
        """Draw the overview raster now when low-zoom tiles use it."""
        if self.overview_zoom >= 0:
            self.overview()

    def overview(self) -> Image.Image:
        """The whole layer at :attr:`overview_zoom` (rendered on first use, then kept)."""
        with self._lock:
            if self._overview is None:
                z = self.overview_zoom
                res = _res(z)
                minx, miny, maxx, maxy = self.bounds
                c0 = math.floor((minx + _HALF_M) / res) - 1
                r0 = math.floor((_HALF_M - maxy) / res) - 1
                c1 = math.ceil((maxx + _HALF_M) / res) + 1
                r1 = math.ceil((_HALF_M - miny) / res) + 1
                img = self._new(max(c1 - c0, 1), max(r1 - r0, 1))
                origin = (-_HALF_M + c0 * res, _HALF_M - r0 * res)
                self._draw(
                    img, np.arange(len(self._part_fill)), origin=origin, res=res,
                    outline=False, deadline=math.inf,
                )  # fmt: skip
                self._overview, self._ov_origin = img, (c0, r0)
            return self._overview

    def _from_overview(self, z: int, x: int, y: int) -> Image.Image:
        ov = self.overview()
        scale = 1 << (self.overview_zoom - z)
        c0, r0 = self._ov_origin
        # the tile's box in overview pixels, clipped to the overview
        bx0, by0 = x * TILE_PX * scale - c0, y * TILE_PX * scale - r0
        bx1, by1 = bx0 + TILE_PX * scale, by0 + TILE_PX * scale
        cx0, cy0 = max(bx0, 0), max(by0, 0)
        cx1, cy1 = min(bx1, ov.width), min(by1, ov.height)
        tile = self._new(TILE_PX, TILE_PX)
        if cx1 <= cx0 or cy1 <= cy0:
            return tile
        # whole tile pixels only: each output pixel samples one overview pixel (nearest)
        tx0, ty0 = (cx0 - bx0) // scale, (cy0 - by0) // scale
        tx1, ty1 = -(-(cx1 - bx0) // scale), -(-(cy1 - by0) // scale)
        part = ov.crop((bx0 + tx0 * scale, by0 + ty0 * scale,
                        bx0 + tx1 * scale, by0 + ty1 * scale))  # fmt: skip
        if scale > 1:
            part = part.resize((tx1 - tx0, ty1 - ty0), Image.Resampling.NEAREST)
        tile.paste(part, (tx0, ty0))
        return tile

    def _outside(self, z: int, x: int, y: int) -> bool:
        minx, miny, maxx, maxy = tile_bounds_3857(z, x, y)
        bx0, by0, bx1, by1 = self.bounds
        return not self.n_features or maxx < bx0 or minx > bx1 or maxy < by0 or miny > by1

    def render(self, z: int, x: int, y: int, *, deadline_s: float = TILE_DEADLINE_S) -> bytes:
        """PNG bytes of tile ``z/x/y`` (transparent where the layer has nothing).

        Raises
        ------
        ValueError
            ``z/x/y`` is not a tile.
        TileTimeout
            Rasterising took longer than ``deadline_s``.
        """
        check_tile(z, x, y)
        if self._outside(z, x, y):
            return empty_tile()
        if z <= self.overview_zoom:
            return _png(self._from_overview(z, x, y))
        minx, miny, maxx, maxy = tile_bounds_3857(z, x, y)
        parts = self._parts_in(minx, miny, maxx, maxy)
        if not len(parts):
            return empty_tile()
        img = self._new(TILE_PX, TILE_PX)
        self._draw(
            img, parts, origin=(minx, maxy), res=_res(z),
            outline=self._outline_index is not None and z >= self._outline_zoom,
            deadline=time.monotonic() + deadline_s,
        )  # fmt: skip
        return _png(img)

    def features_at(self, lon: float, lat: float) -> np.ndarray:
        """Indices of the features containing a WGS84 point (GCJ-02 when :attr:`gcj02`)."""
        if self.gcj02:
            lon, lat = wcrs.gcj02_to_wgs84(lon, lat)
        x, y = _tf(4326, 4545).transform(lon, lat)
        return np.asarray(self._tree.query(shapely.Point(x, y), predicate="intersects"))

    @classmethod
    def from_style(
        cls,
        geoms: np.ndarray,
        *,
        fill: str | None,
        fill_opacity: float,
        outline: str,
        outline_px: int,
        gcj02: bool = False,
        tree: shapely.STRtree | None = None,
    ) -> LandTiles:
        """A red-line layer: every feature in one symbol (``fill`` None = outline only), drawn
        from its polygons at every zoom (no overview: the outline must stay whole)."""
        return _style_tiles(
            geoms, fill=None if fill is None else hex_rgba(fill, fill_opacity),
            outline=hex_rgba(outline), outline_px=outline_px, gcj02=gcj02, tree=tree,
        )  # fmt: skip

    @classmethod
    def from_codes(
        cls,
        geoms: np.ndarray,
        codes: Sequence[str | None] | np.ndarray,
        colours: Mapping[str, str],
        *,
        default: str,
        opacity: float = 0.75,
        gcj02: bool = False,
        tree: shapely.STRtree | None = None,
    ) -> LandTiles:
        """A land-use layer: each feature filled with ``colours[code]`` (``default`` when the
        code has none), at ``opacity``; thin grey outlines from zoom 16."""
        keys = np.asarray([str(c or "") for c in codes], dtype=str)
        uniq, inv = np.unique(keys, return_inverse=True)
        fill_of: dict[str, int] = {}
        palette: list[tuple[int, int, int, int]] = []
        per_code = []
        for code in uniq:
            col = colours.get(str(code), default)
            if col not in fill_of:
                palette.append(hex_rgba(col, opacity))
                fill_of[col] = len(palette)
            per_code.append(fill_of[col])
        fills = np.asarray(per_code, dtype=np.int64)[np.asarray(inv, dtype=np.int64)]
        out = cls(geoms, fills, palette, gcj02=gcj02, outline=(102, 102, 102, 200), tree=tree)
        out.codes = keys
        return out


def _style_tiles(
    geoms: np.ndarray,
    *,
    fill: tuple[int, int, int, int] | None,
    outline: tuple[int, int, int, int],
    outline_px: int,
    gcj02: bool = False,
    tree: shapely.STRtree | None = None,
) -> LandTiles:
    return LandTiles(
        geoms, np.ones(len(geoms), dtype=np.int64), [fill or (0, 0, 0, 0)], gcj02=gcj02,
        outline=outline, outline_zoom=0, outline_px=outline_px, use_overview=False, tree=tree,
    )  # fmt: skip


class TileCache:
    """Rendered tiles by key, least recently used dropped past ``max_bytes`` (thread-safe)."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Any, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        """Bytes held."""
        return self._bytes

    def get(self, key: Any) -> bytes | None:
        """The tile, or None."""
        with self._lock:
            v = self._items.get(key)
            if v is not None:
                self._items.move_to_end(key)
            return v

    def put(self, key: Any, value: bytes) -> None:
        """Keep a tile (not when larger than the whole budget)."""
        if len(value) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._items[key] = value
            self._bytes += len(value)
            while self._bytes > self.max_bytes:
                _k, v = self._items.popitem(last=False)
                self._bytes -= len(v)
