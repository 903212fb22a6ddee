"""Demo land-use and red-line layers for learning — fictional (示例（虚构）), never real data.

Real 用地用海 and 三区三线 layers are confidential; to show what the plot check does with them,
:func:`demo_layers` makes clearly fictional ones around the *schematic* zones: a grid of 200 m
cells coded by a fixed pattern (industrial classes inside a zone, housing and parks next to it,
farmland, forest and water further out), 永久基本农田 on part of the farmland with one patch
reaching into each zone's east edge (so a plot there shows the red-line finding), 生态保护红线
on outer forest, and 城镇开发边界 = the zone disc widened by 100 m. Every layer name and every
feature carries the mark 示例（虚构）. They are loaded only on request
(``wzgeo layers demo`` / the app's button), never by default.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from wzgeo.analysis.landuse import load_landuse_codes

__all__ = ["DEMO_CELL_M", "DEMO_NAMES", "demo_layers"]

DEMO_CELL_M = 200.0
DEMO_NAMES = {
    "landuse": "用地用海示例（虚构）",
    "basic_farmland": "永久基本农田示例（虚构）",
    "eco_redline": "生态保护红线示例（虚构）",
    "dev_boundary": "城镇开发边界示例（虚构）",
}
_MARK = "示例（虚构）"
_INDUSTRIAL = ("100101", "100102", "100103", "100102", "100103", "1101")
_NEAR = ("0701", "1401", "0901", "0701")
_FAR = ("0101", "0103", "0301", "0103", "0101", "1701")


def demo_layers(zones_geo: gpd.GeoDataFrame | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Fictional layers (EPSG:4545) around the located schematic zones, by kind.

    Parameters
    ----------
    zones_geo
        Zone polygons; default :func:`wzgeo.geo.zonegeom.load_zone_geometry`.

    Returns
    -------
    dict
        ``kind → GeoDataFrame``; land use has ``YDYHFLDM``, ``YDYHFLMC``, ``RJL`` (容积率上限)
        and ``BZ`` (示例（虚构）).
    """
    if zones_geo is None:
        from wzgeo.geo.zonegeom import load_zone_geometry

        zones_geo = load_zone_geometry()
    z = zones_geo.loc[zones_geo.geometry.notna() & ~zones_geo.geometry.is_empty]
    z = z.to_crs(epsg=4545)
    names = dict(zip(*load_landuse_codes()[["code", "name_zh"]].T.to_numpy(), strict=True))
    cells: list[shapely.Geometry] = []
    codes: list[str] = []
    rjl: list[float] = []
    farm: list[shapely.Geometry] = []
    eco: list[shapely.Geometry] = []
    dev: list[shapely.Geometry] = []
    taken = shapely.Polygon()
    for zone in z.geometry:
        x0, y0, x1, y1 = zone.bounds
        m = 3 * DEMO_CELL_M
        xs = np.arange(np.floor((x0 - m) / DEMO_CELL_M), np.ceil((x1 + m) / DEMO_CELL_M))
        ys = np.arange(np.floor((y0 - m) / DEMO_CELL_M), np.ceil((y1 + m) / DEMO_CELL_M))
        for i in xs:
            for j in ys:
                c = shapely.box(
                    i * DEMO_CELL_M, j * DEMO_CELL_M, (i + 1) * DEMO_CELL_M, (j + 1) * DEMO_CELL_M
                )
                if c.intersects(taken):
                    continue  # neighbouring zones: each cell once
                d = zone.distance(c.centroid)
                k = int(abs(i * 7 + j * 13))
                if d == 0:
                    code, far = _INDUSTRIAL[k % len(_INDUSTRIAL)], 1.0 + (k % 3) * 0.5
                elif d < 300:
                    code, far = _NEAR[k % len(_NEAR)], 2.0
                else:
                    code, far = _FAR[k % len(_FAR)], np.nan
                    if code in ("0101", "0103") and k % 2 == 0:
                        farm.append(c)
                    if code == "0301" and d > 450:
                        eco.append(c)
                cells.append(c)
                codes.append(code)
                rjl.append(far)
        taken = shapely.union(taken, shapely.box(x0 - m, y0 - m, x1 + m, y1 + m))
        # a farmland patch reaching into the zone's east edge
        cx = x1
        cy = (y0 + y1) / 2
        farm.append(shapely.box(cx - 150, cy - 75, cx + 150, cy + 75))
        dev.append(zone.buffer(100.0))
    lu = gpd.GeoDataFrame(
        {
            "YDYHFLDM": codes,
            "YDYHFLMC": [names.get(c, "") for c in codes],
            "RJL": rjl,
            "BZ": _MARK,
        },
        geometry=cells,
        crs="EPSG:4545",
    )

    def single(parts: list[shapely.Geometry]) -> gpd.GeoDataFrame:
        geom = shapely.union_all(parts) if parts else shapely.Polygon()
        return gpd.GeoDataFrame({"BZ": [_MARK]}, geometry=[geom], crs="EPSG:4545")

    return {
        "landuse": lu,
        "basic_farmland": single(farm),
        "eco_redline": single(eco),
        "dev_boundary": single(dev),
    }
