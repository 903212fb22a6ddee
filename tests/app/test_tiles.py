"""The tile server's routes (``/wzgeo-tiles/{token}/{z}/{x}/{y}.png``), called as ASGI.

Access: only a registered, live token gets tiles; unknown, expired or forged tokens, a layer
replaced since, and tiles that are not tiles answer 404; failures answer short plain text,
never a traceback.
"""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import numpy as np
import pytest
from PIL import Image
from shapely.geometry import box
from starlette.applications import Starlette

from wzgeo.app import tiles
from wzgeo.maps.landtiles import LandTiles, TileTimeout

X0, Y0 = 530_000.0, 3_410_000.0  # EPSG:4545


def _get(path: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``path`` from a Starlette app with the tile routes (a minimal ASGI client)."""
    app = Starlette(routes=tiles.routes())
    path, _, query = path.partition("?")
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "headers": [], "http_version": "1.1", "scheme": "http",
             "server": ("test", 80), "client": ("test", 1), "root_path": ""}  # fmt: skip
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(msg: dict[str, Any]) -> None:
        if msg["type"] == "http.response.start":
            out["status"] = msg["status"]
            out["headers"] = {k.decode(): v.decode() for k, v in msg["headers"]}
        elif msg["type"] == "http.response.body":
            out["body"] += msg.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return out["status"], out["headers"], out["body"]


def _layer() -> LandTiles:
    geoms = np.array([box(X0, Y0, X0 + 3000, Y0 + 3000)], dtype=object)
    return LandTiles.from_codes(geoms, ["100101"], {"100101": "#bb9674"}, default="#c8c8c8")


# the tile holding (X0 + 1500, Y0 + 1500) at zoom 14 (computed with pyproj and the slippy formula)
def _tile14() -> tuple[int, int]:
    import math

    from pyproj import Transformer

    lon, lat = Transformer.from_crs(4545, 4326, always_xy=True).transform(X0 + 1500, Y0 + 1500)
    n = 2**14
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_live_token_gets_png_tiles() -> None:
    lt = _layer()
    token = tiles.grant(tiles.TileGrant(key=("t1",), build=lambda: lt), warm=False)
    assert len(token) >= 32
    x, y = _tile14()
    for prefix in ("", "/some/base"):  # also under server.baseUrlPath
        status, headers, body = _get(f"{prefix}/wzgeo-tiles/{token}/14/{x}/{y}.png")
        assert status == 200 and headers["content-type"] == "image/png"
        assert "private" in headers["cache-control"]
        px = np.asarray(Image.open(io.BytesIO(body)).convert("RGBA"))
        assert ((px[..., :3] == (187, 150, 116)).all(axis=-1) & (px[..., 3] == 191)).any()
    assert tiles.tile_url(token) == f"../../wzgeo-tiles/{token}/{{z}}/{{x}}/{{y}}.png"


def test_unknown_expired_and_bad_requests_are_404() -> None:
    lt = _layer()
    x, y = _tile14()
    live = tiles.grant(tiles.TileGrant(key=("t2",), build=lambda: lt), warm=False)
    expired = tiles.grant(tiles.TileGrant(key=("t2",), build=lambda: lt), ttl_s=-1, warm=False)
    for path in [
        f"/wzgeo-tiles/{expired}/14/{x}/{y}.png",
        f"/wzgeo-tiles/{'B' if live[0] == 'A' else 'A'}{live[1:]}/14/{x}/{y}.png",  # forged
        "/wzgeo-tiles/nothing/14/0/0.png",
        f"/wzgeo-tiles/{live}/14/{2**14}/0.png",  # x out of range
        f"/wzgeo-tiles/{live}/30/0/0.png",
        f"/wzgeo-tiles/{live}/14/{x}/{y}.jpg",
        f"/wzgeo-tiles/{live}/a/b/c.png",
    ]:
        status, _h, body = _get(path)
        assert status == 404, path
        assert b"Traceback" not in body


def test_renewed_token_lives_on() -> None:
    lt = _layer()
    g = tiles.TileGrant(key=("t3",), build=lambda: lt)
    token = tiles.grant(g, ttl_s=-1, warm=False)
    assert tiles.lookup(token) is None
    assert tiles.grant(g, token=token, warm=False) == token
    assert tiles.lookup(token) is g


class _Slow:
    def render(self, z: int, x: int, y: int) -> bytes:
        raise TileTimeout("太慢", "too slow")


def _gone() -> Any:
    raise LookupError("replaced")


def _broken() -> Any:
    raise RuntimeError("disk on fire")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize(
    ("build", "status"),
    [(lambda: _Slow(), 503), (_gone, 404), (_broken, 500)],
    ids=["timeout", "layer-replaced", "failure"],
)
def test_failures_answer_plain_text(build: Any, status: int, caplog: Any) -> None:
    token = tiles.grant(tiles.TileGrant(key=("t4", status), build=build), warm=False)
    code, headers, body = _get(f"/wzgeo-tiles/{token}/10/800/400.png")
    assert code == status and headers["content-type"].startswith("text/plain")
    assert b"Traceback" not in body and b"disk on fire" not in body
    assert headers["cache-control"] == "no-store"


def test_info_names_the_class_at_a_point() -> None:
    from pyproj import Transformer

    lt = _layer()
    g = tiles.TileGrant(key=("t5",), build=lambda: lt, names={"100101": "一类工业用地"})
    token = tiles.grant(g, warm=False)
    tf = Transformer.from_crs(4545, 4326, always_xy=True)
    lon, lat = tf.transform(X0 + 1500, Y0 + 1500)
    status, headers, body = _get(f"/wzgeo-tiles/{token}/info?lat={lat}&lon={lon}")
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body) == {"features": [{"code": "100101", "name": "一类工业用地"}]}
    lon, lat = tf.transform(X0 - 500, Y0 + 1500)  # outside the square
    assert json.loads(_get(f"/wzgeo-tiles/{token}/info?lat={lat}&lon={lon}")[2]) == {"features": []}
    for q in ("", "?lat=30", "?lat=x&lon=108", "?lat=95&lon=108", "?lat=nan&lon=108"):
        status, _h, body = _get(f"/wzgeo-tiles/{token}/info{q}")
        assert status == 400 and b"Traceback" not in body
    assert _get(f"/wzgeo-tiles/nothing/info?lat={lat}&lon={lon}")[0] == 404


def test_removed_layer_stops_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A layer removed after the page was drawn: its tiles stop even though they are in
    memory (the "still current" answer is trusted for CURRENT_CHECK_S only)."""
    monkeypatch.setattr(tiles, "CURRENT_CHECK_S", 0.0)
    lt = _layer()
    state = {"current": True}
    g = tiles.TileGrant(key=("t6",), build=lambda: lt, current=lambda: state["current"])
    token = tiles.grant(g, warm=False)
    x, y = _tile14()
    assert _get(f"/wzgeo-tiles/{token}/14/{x}/{y}.png")[0] == 200
    state["current"] = False
    assert _get(f"/wzgeo-tiles/{token}/14/{x}/{y}.png")[0] == 404
    assert _get(f"/wzgeo-tiles/{token}/info?lat=30&lon=108")[0] == 404
