"""The plot-check map for reports: the checked plots with the zones around them.

:func:`render_plot_map` draws the plots (red), the zones they touch and the zones nearby
(dashed when schematic), the district boundary and — when the user has imported them —
red-line layers (永久基本农田, 生态保护红线, 城镇开发边界 …; pass them as ``redlines``), with a
legend (图例), a scale bar and a north arrow, in EPSG:4545 at a round scale. It returns PNG
bytes for a report (PDF, DOCX or HTML) to embed.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any, Final, cast

import geopandas as gpd
import pandas as pd

from wzgeo.errors import CRSError
from wzgeo.maps._fonts import print_rc
from wzgeo.maps._printtext import text
from wzgeo.maps._scalebar import draw_north_arrow, draw_scale_bar, nice_scale, scale_bar

__all__ = ["PlotMap", "render_plot_map"]

MAP_CRS: Final = "EPSG:4545"
_MM: Final = 1 / 25.4
_REDLINE_COLOURS: Final = ("#d7191c", "#1a9641", "#7b3294", "#fdae61")
_lock = threading.Lock()


@dataclass(frozen=True)
class PlotMap:
    """A rendered plot map.

    Attributes
    ----------
    png
        The image.
    scale
        Scale denominator at the image's size (``width_mm``).
    scale_label
        The scale bar's label.
    schematic
        Whether a schematic zone outline is drawn (the caption must say 示意).
    texts
        The texts drawn (legend entries, zone names).
    """

    png: bytes
    scale: int
    scale_label: str
    schematic: bool
    texts: tuple[str, ...]


def _name(zones: pd.DataFrame | None, zone_id: str, lang: str) -> str:
    if zones is None:
        return zone_id
    hit = zones.loc[zones["zone_id"].astype(str) == zone_id]
    if hit.empty:
        return zone_id
    col = "name_en" if lang == "en" and "name_en" in hit.columns else "name_zh"
    value = hit.iloc[0].get(col)
    return zone_id if value is None or pd.isna(value) else str(value)


def _locator(
    ax: Any,
    district: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    plots: gpd.GeoDataFrame,
    view: Any,
) -> None:
    """A small map of the whole district in the upper left corner: zones, the main map's frame
    and the plots' place (a red dot), so a plot far from every zone is still placed."""
    inset = ax.inset_axes((0.01, 0.64, 0.3, 0.35))
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_facecolor("white")
    district.boundary.plot(ax=inset, color="#555555", linewidth=0.6)
    if len(zones):
        zones.plot(ax=inset, color="#3182bd", alpha=0.6)
    gpd.GeoSeries([view], crs=MAP_CRS).boundary.plot(ax=inset, color="#e31a1c", linewidth=0.8)
    c = plots.union_all().centroid
    inset.plot([c.x], [c.y], marker="o", color="#e31a1c", markersize=3)
    b = district.total_bounds
    pad = 0.03 * max(b[2] - b[0], b[3] - b[1])
    inset.set_xlim(b[0] - pad, b[2] + pad)
    inset.set_ylim(b[1] - pad, b[3] + pad)
    inset.set_aspect("equal", adjustable="box")
    inset.set_xlabel("")
    inset.set_ylabel("")


def render_plot_map(
    plots: gpd.GeoDataFrame,
    *,
    zones_geo: gpd.GeoDataFrame,
    zones: pd.DataFrame | None = None,
    district: gpd.GeoDataFrame | None = None,
    redlines: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
    width_mm: float = 170.0,
    height_mm: float = 105.0,
    dpi: int = 200,
) -> PlotMap:
    """Draw the plots with the zones around them (PNG).

    Parameters
    ----------
    plots
        The checked plots (any CRS).
    zones_geo
        Zone geometry with ``zone_id``, ``geometry_quality``.
    zones
        Zone table (names).
    district
        District boundary.
    redlines
        Red-line layers imported by the user: polygons with a ``layer`` column (the layer's
        name, e.g. "永久基本农田"); each layer gets its own colour and legend entry.
    lang
        ``"zh"`` or ``"en"``.
    width_mm, height_mm, dpi
        Size of the image.

    Returns
    -------
    PlotMap
    """
    if plots.crs is None:
        raise CRSError("地块没有坐标系。", "the plots have no CRS.")
    rc = print_rc()
    with _lock:
        import matplotlib

        with matplotlib.rc_context(cast(Any, rc)):
            return _render(
                plots.to_crs(MAP_CRS),
                zones_geo=zones_geo,
                zones=zones,
                district=district,
                redlines=redlines,
                lang=lang,
                size=(width_mm, height_mm),
                dpi=dpi,
            )


def _render(
    plots: gpd.GeoDataFrame,
    *,
    zones_geo: gpd.GeoDataFrame,
    zones: pd.DataFrame | None,
    district: gpd.GeoDataFrame | None,
    redlines: gpd.GeoDataFrame | None,
    lang: str,
    size: tuple[float, float],
    dpi: int,
) -> PlotMap:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    w_mm, h_mm = size
    fig = Figure(figsize=(w_mm * _MM, h_mm * _MM), dpi=dpi)
    # no Agg canvas until savefig: geopandas' plot() asks the canvas to redraw after each
    # layer, which an Agg canvas does in full (20+ draws of a 300 dpi page); the default
    # canvas ignores it
    box = (0.01, 0.01, 0.98, 0.98)
    ax = fig.add_axes(box)
    zg = zones_geo.loc[zones_geo.geometry.notna() & ~zones_geo.geometry.is_empty]
    zg = zg.to_crs(MAP_CRS) if len(zg) else zg
    b = plots.total_bounds
    touching = zg.loc[zg.intersects(plots.union_all().buffer(3000))] if len(zg) else zg
    if len(touching):
        tb = touching.total_bounds
        b = (min(b[0], tb[0]), min(b[1], tb[1]), max(b[2], tb[2]), max(b[3], tb[3]))
    span = max(b[2] - b[0], b[3] - b[1], 1500.0)
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    ratio = max(span * 1.3 / (w_mm * box[2] / 1000), span * 1.3 / (h_mm * box[3] / 1000))
    scale = nice_scale(ratio)
    half_w = w_mm * box[2] / 1000 * scale / 2
    half_h = h_mm * box[3] / 1000 * scale / 2
    xlim, ylim = (cx - half_w, cx + half_w), (cy - half_h, cy + half_h)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])

    handles: list[Any] = []
    texts: list[str] = []
    from shapely.geometry import box as _box

    view_box = _box(xlim[0], ylim[0], xlim[1], ylim[1])
    if district is not None and len(district):
        outline = district.to_crs(MAP_CRS).boundary
        outline.plot(ax=ax, color="#333333", linewidth=1.4, zorder=2)
        if outline.intersects(view_box).any():  # the legend lists what the frame shows
            handles.append(Line2D([], [], color="#333333", lw=1.4, label=text("district", lang)))
    if redlines is not None and len(redlines):
        layers = redlines.to_crs(MAP_CRS)
        names = (
            layers["layer"].astype(str)
            if "layer" in layers.columns
            else pd.Series([text("redlines", lang)] * len(layers), index=layers.index)
        )
        for i, name in enumerate(dict.fromkeys(names)):
            colour = _REDLINE_COLOURS[i % len(_REDLINE_COLOURS)]
            layers.loc[names == name].plot(
                ax=ax, facecolor="none", edgecolor=colour, hatch="///", linewidth=0.8, zorder=3
            )
            handles.append(Patch(facecolor="none", edgecolor=colour, hatch="///", label=name))
            texts.append(name)
    schematic = False
    view = zg.cx[xlim[0] : xlim[1], ylim[0] : ylim[1]] if len(zg) else zg
    for _, z in view.iterrows():
        quality = str(z.get("geometry_quality"))
        schematic |= quality == "schematic"
        one = gpd.GeoSeries([z.geometry], crs=MAP_CRS)
        one.plot(ax=ax, color="#3182bd", alpha=0.25, zorder=4)
        one.boundary.plot(
            ax=ax,
            color="#08519c",
            linewidth=1.2,
            linestyle="--" if quality == "schematic" else "-",
            zorder=5,
        )
        p = z.geometry.representative_point()
        name = _name(zones, str(z["zone_id"]), lang)
        ax.text(
            p.x,
            p.y,
            name,
            ha="center",
            va="center",
            fontsize=8,
            zorder=12,
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "alpha": 0.7, "ec": "none"},
        )
        texts.append(name)
    if len(view):
        zone_label = text("schematic_zone" if schematic else "official_zone", lang)
        handles.append(
            Patch(
                facecolor="#3182bd",
                alpha=0.4,
                edgecolor="#08519c",
                linestyle="--" if schematic else "-",
                label=zone_label,
            )
        )
    plots.plot(ax=ax, facecolor="#e31a1c", alpha=0.55, edgecolor="#99000d", linewidth=1.2, zorder=8)
    handles.append(
        Patch(facecolor="#e31a1c", alpha=0.7, edgecolor="#99000d", label=text("plot", lang))
    )
    ax.set_xlabel("")
    ax.set_ylabel("")
    if district is not None and len(district):
        _locator(ax, district.to_crs(MAP_CRS), zg, plots, view_box)
    bar = scale_bar(xlim, ylim, crs=MAP_CRS)
    draw_scale_bar(ax, bar, fontsize=7)
    draw_north_arrow(ax, crs=MAP_CRS, letter=text("north", lang), fontsize=9)
    legend_title = text("legend", lang)
    ax.legend(
        handles=handles,
        title=legend_title,
        loc="lower right",
        fontsize=7,
        title_fontsize=8,
        framealpha=0.9,
    )
    texts += [legend_title, *(str(h.get_label()) for h in handles), bar.label]
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return PlotMap(
        png=buf.getvalue(),
        scale=scale,
        scale_label=bar.label,
        schematic=schematic,
        texts=tuple(texts),
    )
