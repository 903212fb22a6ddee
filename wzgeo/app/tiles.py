"""The map's tile server: ``/wzgeo-tiles/{token}/{z}/{x}/{y}.png`` on Streamlit's own server.

Imported layers are confidential. A page that draws a large layer asks :func:`grant` for a
URL: it gets an unguessable token (``secrets.token_urlsafe``) registered here, in the server
process, with what the token may show (the layer file, its kind, GCJ-02 or not) and an expiry
(:data:`TOKEN_TTL_S`, renewed on every run of the page). Leaflet, inside streamlit-folium's
component iframe, fetches the tiles with that token: an unknown or expired token, a layer
that has been replaced since, or a tile that is not one gives ``404``; a tile that takes too
long to draw ``503``; ``…/{token}/info?lat=&lon=`` answers the land-use codes at a clicked
point (JSON); any other failure is logged and answered ``500`` with a short plain text
(never a traceback page). At most :data:`RENDER_THREADS` tiles are drawn at once, in worker
threads, so the server's event loop never waits on a tile.

The tile URL is relative to the component iframe's page (``…/component/<name>/index.html``),
``../../wzgeo-tiles/…``, so it resolves on the same origin under any
``server.baseUrlPath``; :func:`routes` serves it with and without such a prefix.

Prepared layers (:class:`wzgeo.maps.landtiles.LandTiles`) are kept for the last
:data:`MAX_SOURCES` layer files; rendered tiles in a :class:`~wzgeo.maps.landtiles.TileCache`
of :data:`CACHE_BYTES`.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CACHE_BYTES",
    "MAX_INFO",
    "MAX_SOURCES",
    "MAX_TOKENS",
    "RENDER_THREADS",
    "TOKEN_TTL_S",
    "TileGrant",
    "grant",
    "lookup",
    "routes",
    "source",
    "tile_bytes",
    "tile_url",
]

logger = logging.getLogger(__name__)

TOKEN_TTL_S = 4 * 3600.0
"""A token's lifetime after the page last drew the map (s)."""
MAX_TOKENS = 10_000
"""Tokens kept at most (the oldest are dropped first)."""
MAX_SOURCES = 8
"""Prepared layers kept in memory (land use and three red-line layers, each in WGS84 and
GCJ-02; a 500 000-polygon land-use layer takes ~80 MB)."""
CACHE_BYTES = 96 * 1024 * 1024
"""Rendered tiles kept in memory (bytes)."""
RENDER_THREADS = 2
"""Tiles drawn at the same time."""
PREFIX = "wzgeo-tiles"
CURRENT_CHECK_S = 2.0
"""How long a "the layer is still current" answer is trusted (s)."""


@dataclass(frozen=True)
class TileGrant:
    """What a token may show.

    Attributes
    ----------
    key
        Identifies the prepared layer (e.g. store folder, kind, layer file, GCJ-02 flag,
        colours): tokens with the same key share one prepared layer and its tiles.
    build
        Prepares the layer (:class:`~wzgeo.maps.landtiles.LandTiles`) when it is not in
        memory; raises ``LookupError`` when the layer is no longer current.
    names
        ``code → name`` in the page's language, for the feature info on click.
    current
        Whether the layer is still the one the token was given for (asked at most every
        :data:`CURRENT_CHECK_S` seconds per layer): a removed or replaced layer stops being
        served at once, even from memory.
    """

    key: Hashable
    build: Callable[[], Any]
    names: Mapping[str, str] = field(default_factory=dict, compare=False)
    current: Callable[[], bool] | None = field(default=None, compare=False)


class _Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: OrderedDict[str, tuple[TileGrant, float]] = OrderedDict()
        self._sources: OrderedDict[Hashable, Any] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self._cache: Any = None
        self._limiter: Any = None
        self._checked: dict[Hashable, tuple[float, bool]] = {}

    def is_current(self, g: TileGrant) -> bool:
        if g.current is None:
            return True
        now = time.monotonic()
        with self._lock:
            hit = self._checked.get(g.key)
        if hit is not None and now - hit[0] < CURRENT_CHECK_S:
            return hit[1]
        ok = bool(g.current())
        with self._lock:
            if len(self._checked) > MAX_TOKENS:
                self._checked.clear()
            self._checked[g.key] = (now, ok)
        return ok

    def register(self, token: str, g: TileGrant, ttl_s: float) -> None:
        now = time.monotonic()
        with self._lock:
            self._tokens.pop(token, None)
            self._tokens[token] = (g, now + ttl_s)
            while len(self._tokens) > MAX_TOKENS:
                self._tokens.popitem(last=False)

    def lookup(self, token: str) -> TileGrant | None:
        with self._lock:
            hit = self._tokens.get(token)
            if hit is None:
                return None
            if hit[1] < time.monotonic():
                del self._tokens[token]
                return None
            return hit[0]

    def source(self, g: TileGrant) -> Any:
        with self._lock:
            if g.key in self._sources:
                self._sources.move_to_end(g.key)
                return self._sources[g.key]
            build_lock = self._building.setdefault(g.key, threading.Lock())
        with build_lock:  # one build per layer; other requests wait for it
            with self._lock:
                if g.key in self._sources:
                    return self._sources[g.key]
            src = g.build()
            with self._lock:
                self._sources[g.key] = src
                while len(self._sources) > MAX_SOURCES:
                    self._sources.popitem(last=False)
                self._building.pop(g.key, None)
            return src

    @property
    def cache(self) -> Any:
        if self._cache is None:
            from wzgeo.maps.landtiles import TileCache

            self._cache = TileCache(CACHE_BYTES)
        return self._cache


_REGISTRY = _Registry()


def grant(
    g: TileGrant,
    *,
    token: str | None = None,
    ttl_s: float = TOKEN_TTL_S,
    warm: bool = True,
) -> str:
    """Register (or renew) a token for ``g`` and return it.

    Parameters
    ----------
    g
        What the token may show.
    token
        An earlier token of this session to renew; a new one when None.
    ttl_s
        Lifetime from now (s).
    warm
        Prepare the layer and its overview in a background thread now, so the first tiles
        do not wait for it.
    """
    token = token or secrets.token_urlsafe(24)
    _REGISTRY.register(token, g, ttl_s)
    if warm:
        threading.Thread(target=_warm, args=(g,), name="wzgeo-tiles-warm", daemon=True).start()
    return token


def _warm(g: TileGrant) -> None:
    try:
        _REGISTRY.source(g).warm()
    except Exception:  # the tile request reports it
        logger.exception("wzgeo tiles: preparing a layer failed")


def lookup(token: str) -> TileGrant | None:
    """The grant of a live token whose layer is still current, or None (unknown or expired
    token, layer removed or replaced)."""
    g = _REGISTRY.lookup(token)
    if g is None:
        return None
    try:
        return g if _REGISTRY.is_current(g) else None
    except Exception:  # cannot tell (e.g. the change log is locked): show nothing
        logger.exception("wzgeo tiles: checking the layer failed")
        return None


def source(g: TileGrant) -> Any:
    """The prepared layer of a grant (built once, kept for the last :data:`MAX_SOURCES`)."""
    return _REGISTRY.source(g)


def tile_url(token: str) -> str:
    """The Leaflet URL template of a token's tiles, relative to the component iframe (its
    feature info on click: the same with ``info`` for ``{z}/{x}/{y}.png``)."""
    return f"../../{PREFIX}/{token}/{{z}}/{{x}}/{{y}}.png"


def tile_bytes(g: TileGrant, z: int, x: int, y: int) -> bytes:
    """PNG of one tile of a grant's layer (from the cache when drawn before)."""
    key = (g.key, z, x, y)
    hit = _REGISTRY.cache.get(key)
    if hit is not None:
        return hit
    data: bytes = source(g).render(z, x, y)
    _REGISTRY.cache.put(key, data)
    return data


def _text(status: int, text: str) -> Any:
    from starlette.responses import PlainTextResponse

    return PlainTextResponse(text, status_code=status, headers={"Cache-Control": "no-store"})


async def _tile(request: Any) -> Any:
    import anyio
    from starlette.responses import Response

    from wzgeo.maps.landtiles import TileTimeout, check_tile

    p = request.path_params
    g = lookup(str(p["token"]))
    if g is None:
        return _text(404, "not found")
    z, x, y = int(p["z"]), int(p["x"]), int(p["y"])
    try:
        check_tile(z, x, y)
    except ValueError:
        return _text(404, "not found")
    if _REGISTRY._limiter is None:
        _REGISTRY._limiter = anyio.CapacityLimiter(RENDER_THREADS)
    try:
        data = await anyio.to_thread.run_sync(tile_bytes, g, z, x, y, limiter=_REGISTRY._limiter)
    except LookupError:  # the layer was replaced or removed since the page was drawn
        return _text(404, "not found")
    except TileTimeout:
        return _text(503, "tile too complex, try zooming in")
    except Exception:
        logger.exception("wzgeo tiles: tile %s/%s/%s failed", z, x, y)
        return _text(500, "tile failed")
    return Response(
        data, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"}
    )


MAX_INFO = 5
"""Features listed at most by the info route."""


async def _info(request: Any) -> Any:
    """``…/info?lat=&lon=`` → ``{"features": [{"code", "name"}, …]}`` at a clicked point."""
    import math

    import anyio
    from starlette.responses import JSONResponse

    g = lookup(str(request.path_params["token"]))
    if g is None:
        return _text(404, "not found")
    try:
        lat = float(request.query_params["lat"])
        lon = float(request.query_params["lon"])
    except (KeyError, ValueError):
        return _text(400, "lat and lon (degrees) are required")
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        return _text(400, "lat and lon (degrees) are required")

    def find() -> list[dict[str, str]]:
        src = source(g)
        codes = getattr(src, "codes", None)
        out = []
        for i in src.features_at(lon, lat)[:MAX_INFO]:
            code = "" if codes is None else str(codes[int(i)])
            out.append({"code": code, "name": g.names.get(code, "")})
        return out

    if _REGISTRY._limiter is None:
        _REGISTRY._limiter = anyio.CapacityLimiter(RENDER_THREADS)
    try:
        found = await anyio.to_thread.run_sync(find, limiter=_REGISTRY._limiter)
    except LookupError:
        return _text(404, "not found")
    except Exception:
        logger.exception("wzgeo tiles: feature info failed")
        return _text(500, "info failed")
    return JSONResponse({"features": found}, headers={"Cache-Control": "no-store"})


def routes() -> list[Any]:
    """Starlette routes for ``st.App(routes=...)``: the tiles, also under a path prefix
    (``server.baseUrlPath``)."""
    from starlette.routing import Route

    tail = f"{PREFIX}/{{token}}/{{z:int}}/{{x:int}}/{{y:int}}.png"
    info = f"{PREFIX}/{{token}}/info"
    return [
        Route(f"/{tail}", _tile, methods=["GET"]),
        Route(f"/{info}", _info, methods=["GET"]),
        Route(f"/{{base:path}}/{tail}", _tile, methods=["GET"]),
        Route(f"/{{base:path}}/{info}", _info, methods=["GET"]),
    ]
