"""Basemap tiles for printed maps: fetched only when asked for and reachable, else none.

The tiles (Web Mercator XYZ) are fetched with the standard library, put together and
resampled (nearest neighbour) onto the print map's projected view. Any failure — no network,
a timeout, an HTTP error, an image that cannot be read — gives ``None`` and a reason; the map
is then drawn without tiles and says so. Nothing is fetched for ``basemap="none"``.
"""

from __future__ import annotations

import io
import logging
import math
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from pyproj import Transformer

__all__ = ["MAX_TILES", "Tiles", "fetch_tiles", "tile_url"]

logger = logging.getLogger(__name__)

MAX_TILES: Final = 64
_TIMEOUT_S: Final = 4.0
_R: Final = 6378137.0
_ORIGIN: Final = math.pi * _R
_USER_AGENT: Final = "wzgeo-printmap/0.1 (offline-first planning tool)"


@dataclass(frozen=True)
class Tiles:
    """An RGB(A) image covering the view, in the view's CRS.

    Attributes
    ----------
    image
        ``(rows, cols, channels)`` uint8 array, top row first.
    extent
        ``(xmin, xmax, ymin, ymax)`` of the image in the view's CRS.
    attribution
        The tile source's attribution text.
    """

    image: np.ndarray
    extent: tuple[float, float, float, float]
    attribution: str


def tile_url(basemap: str, tianditu_key: str | None = None) -> tuple[str, str] | None:
    """``(url template with {z} {x} {y}, attribution)`` of a basemap; ``None`` for none.

    The source comes from :mod:`wzgeo.maps.basemaps` (configured or built-in); ``{s}`` is
    its first subdomain, ``{tk}`` the Tianditu key (no key: ``None``).
    """
    from wzgeo.maps.basemaps import find_source

    source = find_source(basemap)
    if source is None or (source.needs_key and not tianditu_key):
        return None
    url = source.url.replace("{s}", source.subdomains[:1]).replace("{tk}", tianditu_key or "")
    return url, source.attribution


def _zoom_and_range(
    bounds_3857: tuple[float, float, float, float], width_px: int
) -> tuple[int, range, range]:
    xmin, ymin, xmax, ymax = bounds_3857
    z = max(0, min(18, round(math.log2(2 * _ORIGIN * width_px / 256 / (xmax - xmin)))))
    while True:
        n = 2**z
        size = 2 * _ORIGIN / n
        xs = range(int((xmin + _ORIGIN) // size), int((xmax + _ORIGIN) // size) + 1)
        ys = range(int((_ORIGIN - ymax) // size), int((_ORIGIN - ymin) // size) + 1)
        if len(xs) * len(ys) <= MAX_TILES or z == 0:
            return z, xs, ys
        z -= 1


def _get(url: str) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(req, timeout=_TIMEOUT_S) as resp:
        return bytes(resp.read())


def fetch_tiles(
    url: str,
    attribution: str,
    *,
    extent: tuple[float, float, float, float],
    crs: Any,
    width_px: int,
) -> tuple[Tiles | None, str]:
    """Tiles for the view, or ``None`` and why not (in English, for the log and the note).

    Parameters
    ----------
    url
        XYZ template with ``{z}``, ``{x}``, ``{y}`` (http or https).
    attribution
        Attribution text of the source.
    extent
        ``(xmin, xmax, ymin, ymax)`` of the view in ``crs``.
    crs
        The view's projected CRS.
    width_px
        Width of the resampled image in pixels.
    """
    from matplotlib import image as mpimg

    if not url.startswith(("http://", "https://")):
        return None, f"not an http(s) tile URL: {url[:60]}"
    xmin, xmax, ymin, ymax = extent
    to_merc = Transformer.from_crs(crs, 3857, always_xy=True)
    edge = np.linspace(0.0, 1.0, 21)
    ex = np.concatenate(
        [
            xmin + edge * (xmax - xmin),
            np.full(21, xmax),
            xmin + edge * (xmax - xmin),
            np.full(21, xmin),
        ]
    )
    ey = np.concatenate(
        [
            np.full(21, ymin),
            ymin + edge * (ymax - ymin),
            np.full(21, ymax),
            ymin + edge * (ymax - ymin),
        ]
    )
    mx, my = to_merc.transform(ex, ey)
    z, xs, ys = _zoom_and_range((mx.min(), my.min(), mx.max(), my.max()), width_px)
    jobs = [(x, y) for y in ys for x in xs]

    def one(xy: tuple[int, int]) -> np.ndarray:
        data = _get(url.format(z=z, x=xy[0], y=xy[1]))
        img = mpimg.imread(io.BytesIO(data))
        if img.dtype != np.uint8:
            img = (np.clip(img, 0, 1) * 255).astype(np.uint8)
        if img.ndim == 2:
            img = np.stack([img] * 3, axis=-1)
        return img[:, :, :3]

    try:
        first = one(jobs[0])  # one probe first: an unreachable server costs one timeout
        with ThreadPoolExecutor(max_workers=8) as pool:
            rest = list(pool.map(one, jobs[1:]))
    except (OSError, urllib.error.URLError, ValueError) as e:
        logger.info("basemap tiles not available: %s", e)
        reason = getattr(e, "reason", None) or e  # URLError: the socket error inside
        return None, str(reason)
    imgs = [first, *rest]
    th, tw = first.shape[:2]
    if any(i.shape[:2] != (th, tw) for i in imgs):
        return None, "tiles of different sizes"
    mosaic = np.zeros((th * len(ys), tw * len(xs), 3), dtype=np.uint8)
    for (x, y), img in zip(jobs, imgs, strict=True):
        r, c = (y - ys.start) * th, (x - xs.start) * tw
        mosaic[r : r + th, c : c + tw] = img
    size = 2 * _ORIGIN / 2**z
    m_left, m_top = xs.start * size - _ORIGIN, _ORIGIN - ys.start * size
    res_x, res_y = size / tw, size / th
    # resample onto the view (nearest neighbour)
    height_px = max(1, round(width_px * (ymax - ymin) / (xmax - xmin)))
    gx = xmin + (np.arange(width_px) + 0.5) * (xmax - xmin) / width_px
    gy = ymax - (np.arange(height_px) + 0.5) * (ymax - ymin) / height_px
    X, Y = np.meshgrid(gx, gy)
    MX, MY = to_merc.transform(X, Y)
    col = np.clip(((MX - m_left) / res_x).astype(np.int64), 0, mosaic.shape[1] - 1)
    row = np.clip(((m_top - MY) / res_y).astype(np.int64), 0, mosaic.shape[0] - 1)
    return Tiles(mosaic[row, col], (xmin, xmax, ymin, ymax), attribution), ""
