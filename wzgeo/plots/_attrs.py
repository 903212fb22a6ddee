"""A plot's id, name and declared area, found among the file's attributes.

Attribute and column names are compared after :func:`norm_key` (lower case, no spaces,
underscores or brackets), so ``地块编号``, ``Plot_ID`` and ``plot id`` all match.
"""

from __future__ import annotations

import math
import re
from typing import Any

from wzgeo.geo.units import M2_PER_MU, MU_PER_HA
from wzgeo.plots._raw import FileContext, ParsedFile, is_blank, try_float

__all__ = [
    "NAME_KEYS",
    "PLOT_ID_NAMES_ZH",
    "declared_from_attrs",
    "norm_key",
    "pick_name",
    "plot_ids",
]

PLOT_ID_NAMES_ZH = ("地块编号", "地块号", "宗地号", "宗地编号", "图斑编号")
"""Chinese names of a plot-id attribute or column (after the English ones in each list)."""
NAME_KEYS = ("name", "名称", "地块名称", "宗地名称")
"""Names of a plot-name attribute or column (compared after :func:`norm_key`)."""
_ID_KEYS = ("plot_id", "plotid", *PLOT_ID_NAMES_ZH, "parcel_id", "id", "编号")
_AREA_FACTORS_TO_MU = {
    "declaredareamu": 1.0,
    "areamu": 1.0,
    "面积亩": 1.0,
    "landmu": 1.0,
    "areaha": MU_PER_HA,
    "面积公顷": MU_PER_HA,
    "aream2": 1.0 / M2_PER_MU,
    "面积平方米": 1.0 / M2_PER_MU,
}


def norm_key(col: str) -> str:
    """Normalise an attribute or column name for matching (``"X (m)"`` → ``"x"``)."""
    c = str(col).strip().lower()
    c = re.sub(r"[\s_\-()（）\[\]【】:：/]", "", c)
    return c.removesuffix("m") if c in ("xm", "ym") else c


def plot_ids(parsed: ParsedFile, ctx: FileContext) -> list[str]:
    """The plots' ids: as read, else from an id attribute, else 1, 2, 3...

    Parameters
    ----------
    parsed
        The plots as read, with any id they carry.
    ctx
        Names the file in messages.

    Returns
    -------
    list of str
        One unique id per plot.

    Raises
    ------
    InputFileError
        Two plots share an id (names both).
    """
    ids: list[str] = []
    key = None
    if parsed.plots and parsed.plots[0].plot_id is None:
        keys = {norm_key(k): k for k in parsed.plots[0].attrs}
        key = next((keys[norm_key(k)] for k in _ID_KEYS if norm_key(k) in keys), None)
    for i, p in enumerate(parsed.plots, start=1):
        if p.plot_id is not None:
            ids.append(p.plot_id)
        elif key is not None and not is_blank(p.attrs.get(key)):
            v = p.attrs[key]
            ids.append(str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip())
        else:
            ids.append(str(i))
    seen: dict[str, int] = {}
    for i, pid in enumerate(ids):
        if pid in seen:
            p0, p1 = parsed.plots[seen[pid]], parsed.plots[i]
            raise ctx.err(
                f"地块编号 {pid!r} 重复（{p0.where_zh} 和 {p1.where_zh}）。每个地块编号必须唯一，"
                "请修改其中一个。",
                f"duplicate plot id {pid!r} ({p0.where_en} and {p1.where_en}). Plot ids must "
                "be unique; rename one of them.",
            )
        seen[pid] = i
    return ids


def pick_name(attrs: dict[str, Any]) -> str:
    """The plot's name from a name attribute (名称, name...), or ``""``."""
    keys = {norm_key(k): k for k in attrs}
    for k in NAME_KEYS:
        if norm_key(k) in keys and not is_blank(attrs[keys[norm_key(k)]]):
            return str(attrs[keys[norm_key(k)]])
    return ""


def declared_from_attrs(attrs: dict[str, Any]) -> float:
    """The declared area in 亩 from an area attribute (亩, 公顷 or m²), or NaN."""
    for k, v in attrs.items():
        f = _AREA_FACTORS_TO_MU.get(norm_key(k))
        if f is not None and not is_blank(v):
            val = try_float(v)
            if math.isfinite(val):
                return val * f
    return math.nan
