"""Which CRS a plot file's coordinates are in: override, declaration or inference.

The ``crs=`` override wins over what the file declares; without either, the CRS is inferred
from the coordinate ranges (lon/lat in China, CGCS2000 Gauss-Krüger zone 36 with or without
the zone prefix), also trying X/Y swapped (survey order: X = northing first).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCRSError

from wzgeo.errors import InputFileError
from wzgeo.geo import crs as wcrs
from wzgeo.plots._raw import FileContext, ParsedFile

__all__ = [
    "CHINA_LONLAT",
    "LONLAT_DATUM_CAVEAT",
    "crs_label",
    "decide_crs",
    "gk_datum_caveat",
    "gk_epsg",
    "parse_crs_arg",
]

CHINA_LONLAT = (73.4, 3.8, 135.1, 53.6)
"""Lon/lat box (W S E N) around China: plots must land inside it."""


def parse_crs_arg(value: Any) -> CRS:
    """Turn a user's CRS (EPSG number, ``"4545"``, ``"EPSG:4524"``, WKT...) into a CRS.

    Raises
    ------
    InputFileError
        pyproj does not know the CRS; the message suggests the usual codes.
    """
    try:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        return CRS.from_user_input(value)
    except ProjCRSError as e:
        raise InputFileError(
            f"无法识别坐标系 {value!r}。请填写 EPSG 代码，例如 4545（CGCS2000 3 度带 36 带）、"
            "4524（带号前缀）或 4326（经纬度）。",
            f"Unknown CRS {value!r}. Give an EPSG code, e.g. 4545 (CGCS2000 GK zone 36), "
            "4524 (zone-prefixed) or 4326 (lon/lat).",
        ) from e


def gk_epsg(family: str, zone: int, *, width: int, prefixed: bool) -> int | None:
    """EPSG code of a Gauss-Krüger zone (CGCS2000 / Xian 1980 / Beijing 1954).

    Parameters
    ----------
    family
        ``"CGCS2000"``, ``"Xian 1980"`` or ``"Beijing 1954"``.
    zone
        Zone number (3-degree zones 25–45, 6-degree zones 13–23).
    width
        Zone width in degrees, 3 or 6.
    prefixed
        True when eastings carry the zone number as a prefix.

    Returns
    -------
    int or None
        The EPSG code, or None for a zone outside China's range.
    """
    if width == 3 and 25 <= zone <= 45:
        k = zone - 25
        table = {
            "CGCS2000": (4513, 4534),
            "Xian 1980": (2349, 2370),
            "Beijing 1954": (2401, 2422),
        }
    elif width == 6 and 13 <= zone <= 23:
        k = zone - 13
        table = {
            "CGCS2000": (4491, 4502),
            "Xian 1980": (2327, 2338),
            "Beijing 1954": (21413, 21453),
        }
    else:
        return None
    pre, cm = table[family]
    return pre + k if prefixed else cm + k


def _all_xy(parsed: ParsedFile) -> np.ndarray:
    parts = []
    for p in parsed.plots:
        if p.rings is not None:
            parts.extend(p.rings)
        elif p.geometry is not None and not p.geometry.is_empty:
            parts.append(shapely.get_coordinates(p.geometry))
    return np.concatenate(parts) if parts else np.empty((0, 2))


def _classify(x: np.ndarray, y: np.ndarray) -> tuple[str, int, str, str] | None:
    """Guess a CRS from coordinate ranges with x = first (shapely) coordinate."""
    lo_x, hi_x, lo_y, hi_y = x.min(), x.max(), y.min(), y.max()
    if lo_x >= 73 and hi_x <= 136 and lo_y >= 3 and hi_y <= 54:
        return ("lonlat", 4326, "坐标在中国范围内的经纬度（度）", "lon/lat degrees within China")
    zone = int(lo_x // 1_000_000)
    if lo_x >= 1e7 and zone == int(hi_x // 1_000_000):
        rem_lo, rem_hi = lo_x - zone * 1e6, hi_x - zone * 1e6
        code = gk_epsg("CGCS2000", zone, width=3, prefixed=True)
        if code is not None and rem_lo >= 150_000 and rem_hi <= 850_000 and 1.9e6 <= lo_y <= 6e6:
            return (
                "gk_prefixed",
                code,
                f"东坐标含带号前缀 {zone}（{lo_x:.0f}–{hi_x:.0f}），北坐标 {lo_y:.0f}–{hi_y:.0f}"
                f" → CGCS2000 3 度带 {zone} 带（带号前缀）",
                f"eastings carry zone prefix {zone} ({lo_x:.0f}–{hi_x:.0f}), northings "
                f"{lo_y:.0f}–{hi_y:.0f} → CGCS2000 3-degree GK zone {zone}, zone-prefixed",
            )
    if lo_x >= 150_000 and hi_x <= 850_000 and lo_y >= 1.9e6 and hi_y <= 6e6:
        return (
            "gk",
            4545,
            f"东坐标 {lo_x:.0f}–{hi_x:.0f}、北坐标 {lo_y:.0f}–{hi_y:.0f} 米，无带号前缀 → "
            "按万州所在的 CGCS2000 3 度带 36 带（中央经线 108°E）处理；"
            "若实为其他带或 UTM，请指定坐标系",
            f"eastings {lo_x:.0f}–{hi_x:.0f}, northings {lo_y:.0f}–{hi_y:.0f} m without a zone "
            "prefix → assumed CGCS2000 3-degree GK zone 36 (CM 108°E, Wanzhou); if it is "
            "another zone or UTM, pass crs=",
        )
    return None


def decide_crs(
    parsed: ParsedFile, ctx: FileContext, override: CRS | None
) -> tuple[CRS, bool, bool, str, str]:
    """Decide the CRS of the parsed coordinates and whether X/Y are swapped.

    Parameters
    ----------
    parsed
        The plots as read, with the CRS the file declares (if any).
    ctx
        The file's message context.
    override
        The user's CRS, which wins over the file's.

    Returns
    -------
    tuple
        ``(crs, inferred, swap_xy, reason_zh, reason_en)``.

    Raises
    ------
    InputFileError
        NaN/inf or no coordinates, or no CRS given and none fits the coordinate ranges.
    """
    xy = _all_xy(parsed)
    if xy.size and not np.isfinite(xy).all():
        raise ctx.err(
            "文件中有无效坐标（NaN/无穷大）。请修正后重新导入。",
            "the file contains invalid coordinates (NaN/inf); fix them and import again.",
        )
    if not xy.size:
        raise ctx.err("文件中没有坐标。", "the file contains no coordinates.")
    x, y = xy[:, 0], xy[:, 1]
    if override is not None or parsed.crs is not None:
        crs = override if override is not None else parsed.crs
        assert crs is not None
        if override is not None:
            zh, en = (
                f"用户指定坐标系 {crs_label(crs)}",
                f"CRS given by the user: {crs_label(crs)}",
            )
        else:
            zh, en = parsed.crs_reason_zh, parsed.crs_reason_en
        swap = False
        if not _in_china(crs, x, y) and _in_china(crs, y, x):
            swap = True
            zh += "；坐标按 X=北坐标在前（测量习惯）交换了 X/Y"
            en += "; X/Y swapped (X = northing first, survey convention)"
        return crs, False, swap, zh, en
    guess = _classify(x, y)
    swap = False
    if guess is None:
        guess = _classify(y, x)
        swap = guess is not None
    if guess is None:
        raise ctx.err(
            f"无法根据坐标范围推断坐标系（X {x.min():.3f}–{x.max():.3f}，Y {y.min():.3f}–"
            f"{y.max():.3f}）。请指定坐标系，例如 --crs 4545、4524 或 4326。",
            f"cannot infer the CRS from the coordinate ranges (X {x.min():.3f}–{x.max():.3f}, "
            f"Y {y.min():.3f}–{y.max():.3f}). Pass the CRS, e.g. --crs 4545, 4524 or 4326.",
        )
    kind, code, zh, en = guess
    if kind in ("gk", "gk_prefixed"):
        zone = int(x.min() // 1_000_000) if kind == "gk_prefixed" else 36
        if swap:
            zone = int(y.min() // 1_000_000) if kind == "gk_prefixed" else 36
        czh, cen = gk_datum_caveat(zone, prefixed=kind == "gk_prefixed")
        zh, en = f"{zh}。{czh}", f"{en}. {cen}"
    if swap:
        zh = "X/Y 交换后（X 为北坐标，测量习惯）：" + zh
        en = "after swapping X/Y (X = northing, survey convention): " + en
    zh = "推断：" + zh
    en = "inferred: " + en
    return CRS.from_epsg(code), True, swap, zh, en


def gk_datum_caveat(zone: int, *, prefixed: bool) -> tuple[str, str]:
    """The note that Beijing 1954 / Xian 1980 GK coordinates look like CGCS2000 ones.

    The three datums use the same zones, false eastings and ranges: their numbers cannot
    tell them apart, and taking a Beijing 1954 or Xian 1980 file for CGCS2000 puts it tens of
    metres off. The note says how to declare the datum instead.
    """
    xian = gk_epsg("Xian 1980", zone, width=3, prefixed=prefixed)
    beijing = gk_epsg("Beijing 1954", zone, width=3, prefixed=prefixed)
    codes_zh = f"西安80 用 --crs {xian}，北京54 用 --crs {beijing}" if xian and beijing else ""
    codes_en = (
        f"--crs {xian} for Xian 1980, --crs {beijing} for Beijing 1954" if xian and beijing else ""
    )
    return (
        "注意：北京54、西安80 高斯-克吕格坐标与 CGCS2000 的数值范围相同，无法从坐标本身区分；"
        "若数据实为北京54或西安80，按 CGCS2000 处理会偏差数十米。请声明坐标系："
        f"部标 TXT 头部写“坐标系=1980西安坐标系”（或 1954北京坐标系），或 {codes_zh}",
        "note: Beijing 1954 and Xian 1980 Gauss-Krüger coordinates have the same ranges as "
        "CGCS2000 and cannot be told apart by their numbers; if the data is in Beijing 1954 "
        "or Xian 1980, taking it as CGCS2000 puts it tens of metres off. Declare the datum: "
        "'坐标系=1980西安坐标系' (or 1954北京坐标系) in the TXT header, or "
        f"{codes_en}",
    )


LONLAT_DATUM_CAVEAT = (
    "注意：若经纬度取自高德/腾讯地图（GCJ-02）或百度地图（BD-09），位置会偏约 500 米；"
    "请指定偏移坐标：--datum gcj02 或 --datum bd09（应用中选择“经纬度来源”）",
    "note: if the lon/lat were taken from Gaode/Tencent maps (GCJ-02) or Baidu maps "
    "(BD-09) they are about 500 m off; declare it with --datum gcj02 or --datum bd09 (in "
    "the app: choose the lon/lat source)",
)
"""Added to the CRS note when lon/lat are inferred and no GCJ-02/BD-09 datum is given."""


def crs_label(c: CRS) -> str:
    """``"EPSG:<code>"`` when the CRS has one, else its full description."""
    epsg = c.to_epsg()
    return f"EPSG:{epsg}" if epsg else c.to_string()


def _in_china(c: CRS, x: np.ndarray, y: np.ndarray) -> bool:
    """True if (x, y) in CRS ``c`` lands in China and in the CRS's area of use (±1°)."""
    try:
        t = Transformer.from_crs(c, wcrs.WGS84, always_xy=True)
        lon, lat = t.transform(x, y, errcheck=False)
    except ProjCRSError:
        return False
    lon = np.asarray(lon)
    lat = np.asarray(lat)
    w, s, e, n = CHINA_LONLAT
    aou = c.area_of_use
    if aou is not None:  # e.g. EPSG:4545 is defined for 106.5–109.5°E only
        w, s = max(w, aou.west - 1.0), max(s, aou.south - 1.0)
        e, n = min(e, aou.east + 1.0), min(n, aou.north + 1.0)
    ok = np.isfinite(lon) & np.isfinite(lat)
    return bool(
        ok.all() and (lon >= w).all() and (lon <= e).all() and (lat >= s).all() and (lat <= n).all()
    )
