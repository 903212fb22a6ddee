"""Plots as the format parsers read them, before CRS decision and geometry checks.

Every parser of :mod:`wzgeo.plots.io` (GDAL formats, 部标 TXT, point tables, WKT) is called as
``parse_<format>(text or data, ctx)`` with the file's decoded text (or its bytes) and its
:class:`FileContext`, which carries the file name into bilingual messages and collects
warnings; it returns a :class:`ParsedFile` of :class:`RawPlot` records, with the CRS the file
declares if any, and raises :class:`wzgeo.InputFileError` for a bad file. Also the small value
helpers the parsers share.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from wzgeo.errors import InputFileError
from wzgeo.plots._limits import Counter, Limits

__all__ = [
    "SUPPORTED_FORMATS",
    "SUPPORTED_TEXT",
    "FileContext",
    "ParsedFile",
    "RawPlot",
    "group_rings",
    "is_blank",
    "to_python",
    "try_float",
]

# the import notes are logged under the public module's name, as before the split
logger = logging.getLogger("wzgeo.plots.io")

SUPPORTED_FORMATS = (
    "GeoJSON (.geojson/.json)",
    "GeoPackage (.gpkg)",
    "Shapefile 压缩包 / zipped Shapefile (.zip)",
    "KML/KMZ (.kml/.kmz)",
    "部标坐标 TXT (.txt)",
    "CSV/Excel 界址点表 / point lists (.csv/.xlsx)",
    "WKT (.wkt/.txt)",
)
"""The formats :func:`wzgeo.plots.io.read_plots` reads, as shown to users."""
SUPPORTED_TEXT = "；".join(SUPPORTED_FORMATS)
""":data:`SUPPORTED_FORMATS` as one line for messages."""


@dataclass
class RawPlot:
    """A plot as read: either rings of raw coordinates or a ready geometry."""

    where_zh: str
    where_en: str
    plot_id: str | None = None
    name: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    rings: list[np.ndarray] | None = None  # (n, 2) x/y in file order, x = easting/lon
    ring_where: list[tuple[str, str]] | None = None
    geometry: BaseGeometry | None = None
    declared_area_mu: float = math.nan
    # "strict" (TXT, must be closed), "auto" (CSV point lists, closed silently),
    # "reclosed" (a GDAL-read ring closed on reading: check the gap)
    ring_closure: str = "strict"


@dataclass
class ParsedFile:
    """What a parser read: the format, the plots and the CRS the file declares (if any)."""

    fmt: str
    plots: list[RawPlot]
    crs: CRS | None = None
    crs_reason_zh: str = ""
    crs_reason_en: str = ""
    notes: list[str] = field(default_factory=list)


class FileContext:
    """File name, message helpers and the limits the parsers count against.

    Parameters
    ----------
    name
        The file name used in messages.
    limits
        The limits for this file (default: the built-in ones).

    Attributes
    ----------
    count : Counter
        Plots, vertices and table cells read so far; each ``add_*`` refuses the file at the
        first count over its limit.
    """

    def __init__(self, name: str, limits: Limits | None = None) -> None:
        self.name = name
        self.warnings: list[str] = []
        self.limits = limits if limits is not None else Limits()
        self.count = Counter(name, self.limits)

    def err(self, zh: str, en: str) -> InputFileError:
        """Return an :class:`InputFileError` whose messages start with the file name."""
        return InputFileError(f"文件 {self.name}：{zh}", f"File {self.name}: {en}")

    def warn(self, zh: str, en: str) -> None:
        """Log a note and keep it (``"中文 / English"``) for the import result."""
        logger.info("%s: %s", self.name, en)
        self.warnings.append(f"{zh} / {en}")


def group_rings(
    ring_keys: Iterable[Any],
    xy: np.ndarray,
    lines: Sequence[Any] | np.ndarray,
    *,
    plot_id: Any,
    line_en: str,
) -> tuple[list[np.ndarray], list[tuple[str, str]]]:
    """Split a plot's points into rings by ring number, in order of first appearance.

    Parameters
    ----------
    ring_keys
        The ring number (圈号) of each point.
    xy
        The points, shape ``(n, 2)``, x = easting/lon.
    lines
        The file line (or table row) of each point, for messages.
    plot_id
        The plot's id, for messages.
    line_en
        ``"line"`` or ``"row"``: what ``lines`` counts, in English.

    Returns
    -------
    rings : list of numpy.ndarray
        One ``(k, 2)`` float array per ring.
    ring_where : list of tuple of str
        Where each ring starts, in Chinese and English.
    """
    by_ring: dict[Any, list[int]] = {}
    for i, key in enumerate(ring_keys):
        by_ring.setdefault(key, []).append(i)
    rings = [np.asarray(xy[idx], dtype=float) for idx in by_ring.values()]
    ring_where = [
        (
            f"地块 {plot_id} 第 {r} 圈（第 {lines[idx[0]]} 行起）",
            f"plot {plot_id}, ring {r} (from {line_en} {lines[idx[0]]})",
        )
        for r, idx in by_ring.items()
    ]
    return rings, ring_where


def is_blank(v: Any) -> bool:
    """True for ``None``, NaN and empty or white-space strings."""
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def to_python(v: Any) -> Any:
    """Turn a numpy scalar into the Python scalar; leave other values as they are."""
    if isinstance(v, np.generic):
        return v.item()
    return v


def try_float(v: Any) -> float:
    """``float(v)``, or NaN when ``v`` is not a number."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan
