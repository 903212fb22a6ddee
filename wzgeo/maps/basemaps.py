"""Basemap tile sources: the built-in ones and those of a configuration file (intranets).

A planning office on an intranet often cannot reach OpenStreetMap or Gaode but has its own
tile server (an XYZ or WMTS service of the local surveying bureau). ``basemaps.toml`` lists
the sources the app offers and the default one::

    default = "office"          # a source id below, or "none"
    offline = false             # true: the default is "none" (no tiles are requested)

    [[source]]
    id = "office"
    name_zh = "单位影像底图"
    name_en = "Office imagery"
    kind = "wmts"               # "xyz" or "wmts"
    url = "https://gis.example.local/wmts?layer=img&TileMatrix={TileMatrix}&TileRow={TileRow}&TileCol={TileCol}"
    crs = "cgcs2000"            # "wgs84", "cgcs2000" (both: data drawn as they are) or "gcj02"
    attribution = "© 万州区规划和自然资源局"
    max_zoom = 18
    subdomains = ""             # e.g. "1234" for a {s} in the URL

The file is ``$WZGEO_BASEMAPS`` if set, else ``basemaps.toml`` in the data folder
(``geodata/``); without a file the built-in sources (OpenStreetMap, Gaode over https,
Tianditu with a user key) are offered with OpenStreetMap as default. Tiles must be in the
Web Mercator tile grid (EPSG:3857, "GoogleMapsCompatible"), the grid of every web map; the
``crs`` says which datum the tiles' pictures are in: on GCJ-02 tiles (Gaode and most
Chinese commercial maps) the zones and projects are shifted to match
(:func:`wzgeo.geo.crs.to_gcj02`).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from wzgeo.errors import WzgeoError
from wzgeo.paths import geodata_dir

__all__ = [
    "BUILTIN",
    "CRS_CHOICES",
    "BasemapConfig",
    "BasemapSource",
    "allowed_ids",
    "config_path",
    "find_source",
    "load_basemaps",
]

CRS_CHOICES: Final = ("wgs84", "cgcs2000", "gcj02")
_KINDS: Final = ("xyz", "wmts")
_ID: Final = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_WMTS_KEYS: Final = {"{TileMatrix}": "{z}", "{TileRow}": "{y}", "{TileCol}": "{x}"}


@dataclass(frozen=True)
class BasemapSource:
    """One tile source.

    Attributes
    ----------
    id
        Short ASCII id (URL parameter ``basemap=``).
    name_zh, name_en
        Names shown in the app.
    url
        Leaflet URL template (``{z}``, ``{x}``, ``{y}``, optional ``{s}``); WMTS templates
        are converted on loading.
    crs
        Datum of the tile pictures: ``"wgs84"``, ``"cgcs2000"`` or ``"gcj02"``.
    attribution
        Credit shown on the map (plain text).
    max_zoom
        Highest zoom level the server has.
    subdomains
        Values of ``{s}``.
    needs_key
        The URL needs the user's Tianditu key (``{tk}``), typed in the app.
    """

    id: str
    name_zh: str
    name_en: str
    url: str
    crs: str = "wgs84"
    attribution: str = ""
    max_zoom: int = 18
    subdomains: str = ""
    needs_key: bool = False

    def name(self, lang: str) -> str:
        """The name in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.name_en if lang == "en" else self.name_zh

    @property
    def gcj02(self) -> bool:
        """True when vector data must be shifted to GCJ-02 to match the tiles."""
        return self.crs == "gcj02"


BUILTIN: Final[dict[str, BasemapSource]] = {
    "osm": BasemapSource(
        "osm",
        "OpenStreetMap 地图",
        "OpenStreetMap",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        attribution="© OpenStreetMap contributors",
        max_zoom=19,
    ),
    "gaode": BasemapSource(
        "gaode",
        "高德地图（GCJ-02）",
        "Gaode (GCJ-02)",
        # over https (the xyzservices template is http: mixed content on an https site)
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        crs="gcj02",
        attribution="© 高德地图 AutoNavi",
        max_zoom=18,
        subdomains="1234",
    ),
    "tianditu": BasemapSource(
        "tianditu",
        "天地图",
        "Tianditu",
        "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
        "&TILECOL={x}&tk={tk}",
        crs="cgcs2000",
        attribution="© 天地图 Tianditu",
        max_zoom=18,
        subdomains="01234567",
        needs_key=True,
    ),
}


@dataclass(frozen=True)
class BasemapConfig:
    """The sources offered, in order, and the default (an id or ``"none"``)."""

    sources: Mapping[str, BasemapSource]
    default: str = "osm"
    path: str | None = None

    def ids(self) -> tuple[str, ...]:
        """Source ids in order, then ``"none"``."""
        return (*self.sources, "none")


def config_path() -> Path:
    """``$WZGEO_BASEMAPS``, else ``basemaps.toml`` in the data folder (may not exist)."""
    env = os.environ.get("WZGEO_BASEMAPS")
    return Path(env) if env else geodata_dir() / "basemaps.toml"


def _bad(field: str, value: object, zh: str, en: str, path: Path) -> WzgeoError:
    return WzgeoError(
        f"底图配置 {path} 中 {field} 的值 {value!r} 不对：{zh}",
        f"In the basemap configuration {path}, {field} = {value!r} is wrong: {en}",
    )


def _source(raw: Mapping[str, Any], path: Path, n: int) -> BasemapSource:
    where = f"[[source]] #{n}"
    sid = raw.get("id")
    if not isinstance(sid, str) or not _ID.match(sid) or sid == "none":
        raise _bad(
            f"{where} id",
            sid,
            "应为小写字母开头的短编号（字母、数字、_、-，最多 32 个），且不能是 none。",
            "use a short id starting with a lower-case letter (letters, digits, _ and -, "
            "at most 32), not 'none'.",
            path,
        )
    kind = raw.get("kind", "xyz")
    if kind not in _KINDS:
        raise _bad(f"{sid}.kind", kind, "应为 xyz 或 wmts。", "use 'xyz' or 'wmts'.", path)
    url = raw.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise _bad(
            f"{sid}.url",
            url,
            "应为以 https:// 或 http:// 开头的瓦片地址模板。",
            "give a tile URL template starting with https:// or http://.",
            path,
        )
    if kind == "wmts":
        for key, leaflet in _WMTS_KEYS.items():
            url = url.replace(key, leaflet)
    missing = [k for k in ("{z}", "{x}", "{y}") if k not in url]
    if missing:
        needs = "{TileMatrix} {TileRow} {TileCol}" if kind == "wmts" else "{z} {x} {y}"
        raise _bad(
            f"{sid}.url",
            raw.get("url"),
            f"模板缺少 {needs} 占位符。",
            f"the template lacks the placeholders {needs}.",
            path,
        )
    crs = str(raw.get("crs", "wgs84")).lower()
    if crs not in CRS_CHOICES:
        raise _bad(
            f"{sid}.crs",
            raw.get("crs"),
            "应为 wgs84、cgcs2000 或 gcj02（百度 BD-09 等其他坐标系不支持）。",
            "use wgs84, cgcs2000 or gcj02 (Baidu BD-09 and others are not supported).",
            path,
        )
    max_zoom = raw.get("max_zoom", 18)
    if not isinstance(max_zoom, int) or not 1 <= max_zoom <= 22:
        raise _bad(
            f"{sid}.max_zoom", max_zoom, "应为 1–22 的整数。", "use a whole number 1–22.", path
        )
    subdomains = str(raw.get("subdomains", ""))
    if "{s}" in url and not subdomains:
        raise _bad(
            f"{sid}.subdomains",
            subdomains,
            '地址含 {s}，请给出子域名（如 "1234"）。',
            'the URL has {s}: give the subdomains (e.g. "1234").',
            path,
        )
    name_zh = str(raw.get("name_zh") or raw.get("name_en") or sid)
    return BasemapSource(
        id=sid,
        name_zh=name_zh,
        name_en=str(raw.get("name_en") or name_zh),
        url=url,
        crs=crs,
        attribution=str(raw.get("attribution", "")),
        max_zoom=max_zoom,
        subdomains=subdomains,
        needs_key="{tk}" in url,
    )


_CACHE: dict[tuple[str, float], BasemapConfig] = {}


def load_basemaps(path: str | Path | None = None) -> BasemapConfig:
    """The basemap configuration (:func:`config_path` by default; built-ins without a file).

    Parameters
    ----------
    path
        A ``basemaps.toml`` to read instead.

    Returns
    -------
    BasemapConfig
        The sources (the file's, or the built-in ones) and the default.

    Raises
    ------
    WzgeoError
        A file that cannot be read or has a wrong value (bilingual, names the field).
    """
    p = Path(path) if path is not None else config_path()
    if not p.is_file():
        if path is not None:
            raise WzgeoError(f"找不到底图配置文件 {p}。", f"Basemap configuration {p} not found.")
        return BasemapConfig(sources=dict(BUILTIN), default="osm")
    key = (str(p.resolve()), p.stat().st_mtime)
    if key in _CACHE:
        return _CACHE[key]
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise WzgeoError(
            f"底图配置文件 {p} 无法读取：{e}。请检查 TOML 格式（UTF-8）。",
            f"Cannot read the basemap configuration {p}: {e}. Check its TOML (UTF-8).",
        ) from e
    entries = raw.get("source", [])
    if not isinstance(entries, list):
        raise _bad("source", entries, "应为 [[source]] 表的列表。", "use [[source]] tables.", p)
    sources: dict[str, BasemapSource] = {}
    for n, entry in enumerate(entries, start=1):
        if isinstance(entry, dict) and set(entry) == {"id"} and entry["id"] in BUILTIN:
            sources[entry["id"]] = BUILTIN[entry["id"]]  # e.g. [[source]] id = "osm"
            continue
        src = _source(entry if isinstance(entry, dict) else {}, p, n)
        if src.id in sources:
            raise _bad(f"[[source]] #{n} id", src.id, "编号重复。", "the id is used twice.", p)
        sources[src.id] = src
    offline = bool(raw.get("offline", False))
    default = "none" if offline else str(raw.get("default", next(iter(sources), "none")))
    if default != "none" and default not in sources:
        raise _bad(
            "default",
            default,
            f"应为已列出的底图编号之一（{', '.join(sources) or '无'}）或 none。",
            f"use one of the listed ids ({', '.join(sources) or 'none listed'}) or 'none'.",
            p,
        )
    config = BasemapConfig(sources=sources, default=default, path=str(p))
    _CACHE.clear()
    _CACHE[key] = config
    return config


def find_source(basemap: str) -> BasemapSource | None:
    """The source of a basemap id: the configuration's, else a built-in one; ``None`` for
    ``"none"`` or an unknown id."""
    return load_basemaps().sources.get(basemap) or BUILTIN.get(basemap)


def allowed_ids() -> tuple[str, ...]:
    """Ids a map accepts: the configured sources, the built-in ones, ``"none"``."""
    return tuple(dict.fromkeys((*load_basemaps().sources, *BUILTIN, "none")))
