"""Plot files for the plot-check page tests, built independently of wzgeo.

The zone outline is read from ``geodata/zones/zones_schematic.geojson`` with ``json`` and
shapely, and projected with pyproj; the plot is a square of ``side_m`` metres around a point
inside the zone, written as a land-office (部标) TXT in EPSG:4524 (X = northing first, Y =
easting with the zone number 36 in front), GBK with CRLF line ends as land offices send them.
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from pyproj import Transformer

REPO = Path(__file__).resolve().parents[1]
M2_PER_MU = 10000.0 / 15.0


def zone_point(zone_id: str) -> tuple[float, float]:
    """A point inside the schematic outline of ``zone_id``: (northing, zone-prefixed easting)
    in EPSG:4524."""
    path = REPO / "geodata" / "zones" / "zones_schematic.geojson"
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    geom = next(
        shapely.geometry.shape(f["geometry"])
        for f in features
        if f["properties"]["zone_id"] == zone_id and f["geometry"]
    )
    p = geom.representative_point()
    easting, northing = Transformer.from_crs(4326, 4524, always_xy=True).transform(p.x, p.y)
    return northing, easting


def bubiao_txt(
    zone_id: str = "gaofeng", *, name: str = "高峰试验地块", side_m: float = 200.0, n: int = 1
) -> bytes:
    """A 部标 TXT with ``n`` square plots (``side_m`` wide, 1 km apart eastwards) in a zone."""
    x0, y0 = zone_point(zone_id)
    h = side_m / 2
    lines = [
        "[属性描述]",
        "坐标系=2000国家大地坐标系",
        "几度分带=3",
        "投影类型=高斯克吕格",
        "计量单位=米",
        "带号=36",
        "精度=0.001",
        "[地块坐标]",
    ]
    for i in range(n):
        x, y = x0, y0 + 1000.0 * i if n < 50 else y0 + (side_m + 10) * (i % 100)
        if n >= 50:
            x = x0 + (side_m + 10) * (i // 100)
        ha = side_m * side_m / 10000
        lines.append(f"5,{ha:.4f},{i + 1},{name if n == 1 else f'{name}{i + 1}'},面,,工业用地,,@")
        ring = [(x - h, y - h), (x - h, y + h), (x + h, y + h), (x + h, y - h), (x - h, y - h)]
        for k, (a, b) in enumerate(ring):
            lines.append(f"J{k % 4 + 1},1,{a:.3f},{b:.3f}")
    return ("\r\n".join(lines) + "\r\n").encode("gbk")
