"""How the map looks: colour scales, marker sizes and letters, the map's CSS.

The colours of zone levels and top-level sectors, the diverging output-per-km² classes
around the target, the project markers (colour: sector, size: output, letter: stage) and
the CSS of the legend, banner and markers. Used by :mod:`wzgeo.maps.webmap` and its private
helpers; :data:`LEVEL_COLOURS`, :data:`SECTOR_COLOURS`, :data:`STAGE_ORDER`,
:func:`top_sector` and :func:`intensity_bins` are re-exported there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import pandas as pd

from wzgeo.errors import WzgeoError
from wzgeo.maps._inputs import is_missing, require_columns

__all__ = [
    "CSS",
    "DEFAULT_PARENTS",
    "HIGHLIGHT_COLOUR",
    "LEVEL_COLOURS",
    "OTHER_COLOUR",
    "SCHEMATIC_DASH",
    "SECTOR_COLOURS",
    "STAGE_ORDER",
    "intensity_bins",
    "intensity_colour",
    "marker_px",
    "sector_key",
    "sector_parents",
    "stage_mark",
    "top_sector",
]

STAGE_ORDER: Final = ("planning", "tracking", "negotiating", "signed", "building", "operating")

LEVEL_COLOURS: Final[dict[str, str]] = {
    "national_etdz": "#3182bd",
    "municipal": "#e6550d",
    "sme_cluster": "#31a354",
}
SECTOR_COLOURS: Final[dict[str, str]] = {
    "new_materials": "#1f77b4",
    "food_pharma": "#2ca02c",
    "auto": "#d62728",
    "lighting": "#bcbd22",
    "equipment": "#9467bd",
    "electronics": "#17becf",
    "chemicals": "#8c564b",
    "stone_processing": "#7f7f7f",
    "printing_packaging": "#e377c2",
    "apparel": "#ff7f0e",
    "consumer_goods": "#c49c94",
    "agri_processing": "#98df8a",
}
OTHER_COLOUR: Final = "#999999"
DEFAULT_PARENTS: Final[dict[str, str]] = {
    "nm_copper": "new_materials",
    "nm_aluminium": "new_materials",
    "nm_building": "new_materials",
    "nm_synthetic": "new_materials",
    "food": "food_pharma",
    "pharma": "food_pharma",
}
# diverging (ColorBrewer RdBu 6): below target red, above target blue
_INTENSITY_COLOURS: Final = ("#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac")
_INTENSITY_RATIOS: Final = (0.5, 0.8, 1.0, 1.25, 2.0)
# one character per stage, shown inside the project marker
_STAGE_MARK: Final[dict[str, tuple[str, str]]] = {
    "planning": ("谋", "P"),
    "tracking": ("跟", "T"),
    "negotiating": ("洽", "N"),
    "signed": ("签", "S"),
    "building": ("建", "B"),
    "operating": ("产", "O"),
}
SCHEMATIC_DASH: Final = "8 6"
HIGHLIGHT_COLOUR: Final = "#ff00ff"

CSS: Final = """
.wz-box{background:rgba(255,255,255,.93);padding:6px 9px;border-radius:4px;
 box-shadow:0 1px 4px rgba(0,0,0,.35);font:12px/1.4 "Noto Sans CJK SC","Microsoft YaHei",
 "PingFang SC",sans-serif;max-width:300px;max-height:70vh;overflow:auto;color:#222}
.wz-box summary{cursor:pointer;font-weight:bold}
.wz-box h4{margin:4px 0 2px;font-size:12px}
.wz-sw{display:inline-block;width:14px;height:10px;margin-right:5px;vertical-align:middle;
 border:1px solid #555}
.wz-dash{border:2px dashed #333;background:transparent}
.wz-legend{max-width:270px;max-height:45vh}
.wz-row{display:flex;flex-wrap:wrap;column-gap:8px}
.wz-row>div{white-space:nowrap}
.wz-unplaced-box summary{font-weight:bold;margin-top:4px}
.wz-banner{background:#fff4ce;border:1px solid #d9a400;max-width:38vw;max-height:20vh;
 font-size:11px}
.wz-banner div{margin:2px 0}
.leaflet-control-layers{font:12px/1.4 "Noto Sans CJK SC","Microsoft YaHei","PingFang SC",
 sans-serif}
.wz-target{font-weight:bold;border-top:2px solid #000;border-bottom:2px solid #000;
 margin:2px 0;padding:1px 0}
.wz-proj{border-radius:50%;border:2px solid #fff;box-shadow:0 0 2px #000;color:#fff;
 font:bold 11px/1 "Noto Sans CJK SC",sans-serif;display:flex;align-items:center;
 justify-content:center;box-sizing:border-box}
.wz-proj.wz-hl{border:3px solid #ff00ff}
.leaflet-div-icon.wz-proj-icon{background:transparent;border:none}
.marker-cluster.wz-cluster{background:transparent}
.marker-cluster.wz-cluster div{width:16px;height:16px;margin:0;border-radius:8px;
 background:rgba(30,30,30,.75);color:#fff;font:bold 9px/16px sans-serif;text-align:center}
.marker-cluster.wz-cluster span{line-height:16px}
.wz-cluster-list ol{margin:4px 0 0;padding-left:22px;max-height:220px;overflow:auto}
"""


def top_sector(sector_id: object, parents: Mapping[str, str] | None = None) -> str | None:
    """The top-level sector of a sector id (``nm_copper`` → ``new_materials``).

    Parameters
    ----------
    sector_id
        A sector id; missing values give ``None``.
    parents
        ``sector_id`` → ``parent_id`` (defaults to the built-in hierarchy).

    Returns
    -------
    str or None
        The top-level sector id (an unknown id is its own top).
    """
    if is_missing(sector_id):
        return None
    sid = str(sector_id)
    table = dict(DEFAULT_PARENTS) if parents is None else dict(parents)
    seen = set()
    while sid in table and table[sid] and sid not in seen:
        seen.add(sid)
        sid = table[sid]
    return sid


def sector_parents(sectors: pd.DataFrame | None) -> dict[str, str]:
    """``sector_id`` → ``parent_id`` from a sector table (default: the built-in hierarchy).

    Parameters
    ----------
    sectors
        Table with ``sector_id``, ``parent_id``, or ``None``.

    Returns
    -------
    dict
        Sector id to parent id, for sectors that have a parent.
    """
    if sectors is None:
        return dict(DEFAULT_PARENTS)
    require_columns(sectors, "sectors", ("sector_id", "parent_id"))
    return {
        str(r.sector_id): str(r.parent_id)
        for r in sectors.itertuples()
        if not is_missing(r.parent_id)
    }


def sector_key(top: str | None) -> str:
    """The colour key of a top-level sector: itself if it has a colour, else ``"other"``.

    Parameters
    ----------
    top
        A top-level sector id, or ``None``.

    Returns
    -------
    str
        A key of :data:`SECTOR_COLOURS` or ``"other"``.
    """
    return top if top is not None and top in SECTOR_COLOURS else "other"


def intensity_bins(target_yi_per_km2: float) -> list[tuple[float, float, str]]:
    """Class limits and colours of the output-per-km² choropleth, diverging at the target.

    Parameters
    ----------
    target_yi_per_km2
        The output-per-km² target (亿元/km²), positive.

    Returns
    -------
    list of (low, high, colour)
        Six classes; the target is the boundary between the third and the fourth.
    """
    if not target_yi_per_km2 > 0:
        raise WzgeoError(
            f"目标地均产出必须为正数，实际为 {target_yi_per_km2!r}。",
            f"The target output per km² must be positive, got {target_yi_per_km2!r}.",
        )
    edges = [0.0, *(r * target_yi_per_km2 for r in _INTENSITY_RATIOS), math.inf]
    return [(edges[i], edges[i + 1], _INTENSITY_COLOURS[i]) for i in range(6)]


def intensity_colour(value: object, bins: list[tuple[float, float, str]]) -> str | None:
    """The class colour of an output-per-km² value (``None`` when there is no value).

    Parameters
    ----------
    value
        Output per km² (亿元/km²), or a missing value.
    bins
        Classes from :func:`intensity_bins`.

    Returns
    -------
    str or None
        A colour; values above the last limit get the last class.
    """
    if is_missing(value):
        return None
    v = float(value)  # type: ignore[arg-type]
    for low, high, colour in bins:
        if low <= v < high:
            return colour
    return bins[-1][2]


def marker_px(output_yi: object) -> int:
    """Marker diameter in pixels, growing with the square root of output (亿元): 14–44 px.

    Parameters
    ----------
    output_yi
        Annual output (亿元); missing or non-numeric values give the smallest marker.

    Returns
    -------
    int
        Diameter in pixels.
    """
    if is_missing(output_yi):
        return 14
    try:
        v = max(float(output_yi), 0.0)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 14
    return int(min(44, 14 + 4 * math.sqrt(v)))


def stage_mark(stage: object, lang: str) -> str:
    """The one-character mark of a project stage (``"?"`` for an unknown stage).

    Parameters
    ----------
    stage
        A stage of :data:`STAGE_ORDER`.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        One character.
    """
    return _STAGE_MARK.get(str(stage), ("?", "?"))[0 if lang == "zh" else 1]
