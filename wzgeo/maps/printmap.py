"""Print maps: the zones-and-projects map as PNG, PDF or SVG with the elements of a planning map.

:func:`render_print_map` takes the keyword arguments of :func:`wzgeo.maps.webmap.build_map`
(the same data, filters, style, target and basemap as the screen map) and draws a page with
图名 (title), 图例 (legend of what is drawn), 比例尺 (scale bar and numeric scale), 指北针
(north arrow, turned to true north), 制图单位 / 日期 (maker and date), 数据来源 (sources), the
coordinate system and — when any drawn zone is schematic — the 示意 note.

The map is drawn with matplotlib (Agg, no display) in EPSG:4545, at a round scale chosen so the
data fill the map frame. CJK text uses Noto Sans CJK (:mod:`wzgeo.maps._fonts`), embedded in PDFs
as TrueType (searchable) and drawn as outlines in SVG. Basemap tiles are drawn only when a
basemap is chosen and its tiles can be fetched; otherwise the map has no tiles and says why.
Texts from data files are drawn as written (no mathtext), never interpreted.
"""

from __future__ import annotations

import datetime as _dt
import io
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

import geopandas as gpd
import pandas as pd

from wzgeo.errors import WzgeoError
from wzgeo.labels import label
from wzgeo.maps import _tiles
from wzgeo.maps._fonts import MissingFontError, print_rc, truetype_subset, use_truetype
from wzgeo.maps._inputs import is_missing, require_choice, zone_name
from wzgeo.maps._printtext import text
from wzgeo.maps._scalebar import draw_north_arrow, draw_scale_bar, nice_scale, scale_bar
from wzgeo.maps._style import (
    HIGHLIGHT_COLOUR,
    LEVEL_COLOURS,
    OTHER_COLOUR,
    SECTOR_COLOURS,
    sector_key,
    top_sector,
)
from wzgeo.maps.webmap import MapNotes, _prepare

__all__ = [
    "CREATOR",
    "FORMATS",
    "MAP_CRS",
    "PAPERS",
    "MissingFontError",
    "Page",
    "PrintedMap",
    "export_print_map",
    "page_frame",
    "pdf_font_file",
    "render_print_map",
]

logger = logging.getLogger(__name__)

MAP_CRS: Final = "EPSG:4545"
CREATOR: Final = "wzgeo-printmap"
"""The files' creator (PNG text chunk, PDF info, SVG metadata): marks a print map."""
FORMATS: Final = ("png", "pdf", "svg")
PAPERS: Final[dict[str, tuple[float, float]]] = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}
"""Paper sizes in mm, landscape (width, height)."""
_MM: Final = 1 / 25.4
_PT_MM: Final = 25.4 / 72
_PROJECT_COLOUR: Final = "#b03a2e"
_render_lock = threading.Lock()  # matplotlib's rc settings are process-wide


@dataclass(frozen=True)
class PrintedMap:
    """A rendered print map.

    Attributes
    ----------
    data
        The file's bytes.
    format
        ``"png"``, ``"pdf"`` or ``"svg"``.
    scale
        The scale denominator (1:``scale`` when printed at 100 % on ``paper``).
    scale_label
        The scale bar's label (``"10 km"``).
    north_deg
        The north arrow's angle from grid north (degrees, counter-clockwise).
    notes
        The :class:`wzgeo.maps.webmap.MapNotes` of the map's inputs.
    tiles_note
        Why no tiles were drawn though a basemap was chosen (empty otherwise).
    texts
        The texts on the page (title, legend entries, notes), in drawing order.
    """

    data: bytes
    format: str
    scale: int
    scale_label: str
    north_deg: float
    notes: MapNotes
    tiles_note: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Page:
    """A page's layout in figure fractions: the map frame, the legend panel, the footer."""

    width_mm: float
    height_mm: float
    map_box: tuple[float, float, float, float]
    legend_box: tuple[float, float, float, float]
    footer_y: float
    title_y: float
    font_scale: float


def pdf_font_file(chars: str) -> Path:
    """A TrueType font file with ``chars`` drawn as in Noto Sans CJK SC, for PDF writers that
    embed TrueType only (matplotlib, reportlab); kept in the user's cache folder.

    Raises
    ------
    MissingFontError
        Noto Sans CJK (Debian ``fonts-noto-cjk``) is not installed.
    """
    return truetype_subset(chars)


def page_frame(paper: str = "A4", orientation: str = "landscape") -> Page:
    """The layout of a page (map frame, legend panel, footer) for a paper and orientation."""
    require_choice(paper, tuple(PAPERS), what_zh="纸张", what_en="paper")
    require_choice(orientation, ("landscape", "portrait"), what_zh="方向", what_en="orientation")
    w, h = PAPERS[paper]
    if orientation == "portrait":
        w, h = h, w
    s = min(w, h) / 210.0
    m, title_h, footer_h = 10 * s, 16 * s, 24 * s
    if orientation == "landscape":
        panel = 66 * s
        map_mm = (m, m + footer_h, w - 2 * m - panel - 4 * s, h - 2 * m - footer_h - title_h)
        legend_mm = (w - m - panel, m + footer_h, panel, h - 2 * m - footer_h - title_h)
    else:
        panel = 62 * s
        map_mm = (m, m + footer_h + panel + 3 * s, w - 2 * m, h - 2 * m - footer_h - title_h)
        map_mm = (map_mm[0], map_mm[1], map_mm[2], map_mm[3] - panel - 3 * s)
        legend_mm = (m, m + footer_h, w - 2 * m, panel)

    def frac(b: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        return (b[0] / w, b[1] / h, b[2] / w, b[3] / h)

    return Page(
        width_mm=w,
        height_mm=h,
        map_box=frac(map_mm),
        legend_box=frac(legend_mm),
        footer_y=(m + footer_h - 3 * s) / h,
        title_y=(h - m - title_h / 2) / h,
        font_scale=s,
    )


def _view(
    bounds: tuple[float, float, float, float], page: Page, *, pad: float = 0.04
) -> tuple[tuple[float, float], tuple[float, float], int]:
    """xlim, ylim and scale denominator: the bounds (plus ``pad``) at a round scale."""
    xmin, ymin, xmax, ymax = bounds
    dx, dy = (xmax - xmin) * (1 + 2 * pad), (ymax - ymin) * (1 + 2 * pad)
    w_m = page.map_box[2] * page.width_mm / 1000  # map frame on paper, metres
    h_m = page.map_box[3] * page.height_mm / 1000
    scale = nice_scale(max(dx / w_m, dy / h_m, 1.0))
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    half_w, half_h = w_m * scale / 2, h_m * scale / 2
    return (cx - half_w, cx + half_w), (cy - half_h, cy + half_h), scale


def _zone_key(row: pd.Series, style: str, parents: dict[str, str]) -> tuple[str, str]:
    """(legend key, fill colour) of a zone, as on the screen map."""
    if style == "level":
        key = str(row.get("level"))
        return key, LEVEL_COLOURS.get(key, OTHER_COLOUR)
    ids = [] if is_missing(row.get("sector_ids")) else str(row["sector_ids"]).split(";")
    tops = [t for t in (top_sector(s.strip(), parents) for s in ids if s.strip()) if t]
    key = sector_key(tops[0] if tops else None)
    return key, SECTOR_COLOURS.get(key, OTHER_COLOUR)


def _key_label(style: str, key: str, lang: str) -> str:
    group = "level" if style == "level" else "sector"
    if key == "other":
        return label("ui.other", lang)
    return label(f"{group}.{key}", lang, default=key)


def render_print_map(
    *,
    format: str = "png",
    title: str | None = None,
    paper: str = "A4",
    orientation: str = "landscape",
    dpi: int = 300,
    maker: str = "wzgeo",
    date: _dt.date | None = None,
    tile_url: str | None = None,
    **build_kwargs: Any,
) -> PrintedMap:
    """Draw the zones-and-projects map as a printable page.

    Parameters
    ----------
    format
        ``"png"``, ``"pdf"`` or ``"svg"``.
    title
        图名 (default: "万州区产业园区分布图" / "Wanzhou industrial zones").
    paper, orientation
        ``"A4"`` or ``"A3"``; ``"landscape"`` or ``"portrait"``.
    dpi
        Resolution of a PNG (and of tiles in a PDF/SVG); 300 gives 3508 × 2480 px on A4.
    maker
        制图单位 (who made the map).
    date
        制图日期 (default today).
    tile_url
        An XYZ tile URL template (``{z}/{x}/{y}``) replacing the basemap's own, e.g. an
        intranet tile server.
    **build_kwargs
        The keyword arguments of :func:`wzgeo.maps.webmap.build_map` (``district``,
        ``zones_geo``, ``zones``, ``projects``, ``river``, ``sectors``, ``style``,
        ``target_yi_per_km2``, ``basemap``, ``tianditu_key``, ``lang``, ``highlight``, …).

    Returns
    -------
    PrintedMap

    Raises
    ------
    WzgeoError
        Bad format, paper, orientation, dpi or map inputs; the CJK font is missing
        (:class:`wzgeo.maps._fonts.MissingFontError`).
    """
    require_choice(format, FORMATS, what_zh="输出格式", what_en="output format")
    if not isinstance(dpi, int) or not 50 <= dpi <= 1200:
        raise WzgeoError(
            f"分辨率 dpi 应为 50–1200 的整数，收到 {dpi!r}。",
            f"dpi must be a whole number from 50 to 1200, got {dpi!r}.",
        )
    build_kwargs.setdefault("basemap", "none")
    build_kwargs.pop("show_intensity", None)
    build_kwargs.pop("height", None)
    prep = _prepare(**build_kwargs)
    lang = prep.lang
    page = page_frame(paper, orientation)
    rc = print_rc()
    with _render_lock:
        import matplotlib

        with matplotlib.rc_context(cast(Any, rc)):  # keys checked by matplotlib
            return _render(
                prep,
                page,
                fmt=format,
                title=title or text("title", lang),
                paper=paper,
                dpi=dpi,
                maker=maker,
                date=date or _dt.date.today(),
                tile_url=tile_url,
            )


def _render(
    prep: Any,
    page: Page,
    *,
    fmt: str,
    title: str,
    paper: str,
    dpi: int,
    maker: str,
    date: _dt.date,
    tile_url: str | None,
) -> PrintedMap:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    lang = prep.lang
    fs = page.font_scale
    texts: list[str] = [title]
    fig = Figure(figsize=(page.width_mm * _MM, page.height_mm * _MM), dpi=dpi)
    # no Agg canvas until savefig: geopandas' plot() asks the canvas to redraw after each
    # layer, which an Agg canvas does in full (20+ draws of a 300 dpi page); the default
    # canvas ignores it
    fig.text(0.5, page.title_y, title, ha="center", va="center", fontsize=20 * fs)
    ax = fig.add_axes(page.map_box)
    district = prep.district.to_crs(MAP_CRS)
    zones = prep.located.to_crs(MAP_CRS)
    placed = prep.placed.to_crs(MAP_CRS)
    hl_zones = zones.loc[zones["zone_id"].astype(str).isin(prep.highlight)]
    focus = hl_zones if len(hl_zones) else (district if len(district) else zones)
    if focus.empty:
        raise WzgeoError(
            "没有可绘制的内容（区界与园区均为空）。", "Nothing to draw (no district, no zones)."
        )
    b = focus.total_bounds
    if len(hl_zones):
        grow = max(3000.0, 0.5 * max(b[2] - b[0], b[3] - b[1]))
        b = (b[0] - grow, b[1] - grow, b[2] + grow, b[3] + grow)
    xlim, ylim, scale = _view(tuple(b), page)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(1.2)

    # basemap tiles, only when chosen and reachable
    tiles_note = ""
    from wzgeo.maps.basemaps import find_source

    known = find_source(prep.basemap)
    basemap_name = label(
        f"basemap.{prep.basemap}", lang, default=known.name(lang) if known else prep.basemap
    )
    if prep.basemap != "none" or tile_url:
        source = _tiles.tile_url(prep.basemap, prep.tianditu_key)
        url, attribution = (tile_url, tile_url) if tile_url else (source or ("", ""))
        width_px = int(min(2400, page.map_box[2] * page.width_mm * _MM * dpi))
        tiles, why = _tiles.fetch_tiles(
            url, attribution, extent=(*xlim, *ylim), crs=MAP_CRS, width_px=max(width_px, 200)
        )
        if tiles is None:
            tiles_note = text("no_tiles", lang, reason=why[:80])
        else:
            ax.imshow(
                tiles.image, extent=tiles.extent, origin="upper", zorder=0, interpolation="nearest"
            )
            basemap_name = f"{basemap_name} {tiles.attribution}"

    # the legend lists what is drawn inside the frame, nothing else
    from shapely.geometry import box as _box

    view_box = _box(xlim[0], ylim[0], xlim[1], ylim[1])
    handles: list[Any] = []
    if len(district):
        district.boundary.plot(ax=ax, color="#333333", linewidth=1.6, zorder=3)
        if district.boundary.intersects(view_box).any():
            handles.append(Line2D([], [], color="#333333", lw=1.6, label=text("district", lang)))
    if prep.river is not None and len(prep.river):
        river = prep.river.to_crs(MAP_CRS)
        river.plot(ax=ax, color="#4a90d9", linewidth=2.2, zorder=2)
        if river.intersects(view_box).any():
            handles.append(Line2D([], [], color="#4a90d9", lw=2.2, label=text("river", lang)))

    # zones: fill by level or sector, dashed outline when schematic
    rows = {str(r["zone_id"]): r for _, r in prep.merged.iterrows()}
    used: dict[str, str] = {}
    qualities: set[str] = set()
    for _, z in zones.iterrows():
        zid = str(z["zone_id"])
        key, fill = _zone_key(rows.get(zid, z), prep.style, prep.parents)
        quality = str(z.get("geometry_quality"))
        if z.geometry.intersects(view_box):
            used.setdefault(key, fill)
            qualities.add(quality)
        one = gpd.GeoSeries([z.geometry], crs=MAP_CRS)
        one.plot(ax=ax, color=fill, alpha=0.45, zorder=4)
        hl = zid in prep.highlight
        one.boundary.plot(
            ax=ax,
            color=HIGHLIGHT_COLOUR if hl else "#222222",
            linewidth=2.4 if hl else 1.0,
            linestyle="--" if quality == "schematic" else "-",
            zorder=5,
        )
    for key, fill in used.items():
        handles.append(
            Patch(
                facecolor=fill,
                alpha=0.6,
                edgecolor="#222222",
                label=_key_label(prep.style, key, lang),
            )
        )
    if "schematic" in qualities:
        handles.append(
            Patch(
                facecolor="none",
                edgecolor="#222222",
                linestyle="--",
                label=text("schematic_zone", lang),
            )
        )
    if "official" in qualities:
        handles.append(
            Patch(facecolor="none", edgecolor="#222222", label=text("official_zone", lang))
        )
    if len(hl_zones):
        handles.append(
            Patch(
                facecolor="none", edgecolor=HIGHLIGHT_COLOUR, lw=2.4, label=text("highlight", lang)
            )
        )

    # projects: one circle per place, area ∝ total output, number of projects inside
    if len(placed) and placed.intersects(view_box).any():
        _draw_projects(ax, placed)
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                color="none",
                markerfacecolor=_PROJECT_COLOUR,
                markeredgecolor="white",
                markersize=9,
                label=text("projects", lang),
            )
        )

    # zone names
    # a white box, not a path-effect halo: text with path effects is drawn as outlines and
    # could not be searched in the PDF
    halo = {"boxstyle": "square,pad=0.1", "facecolor": "white", "alpha": 0.7, "edgecolor": "none"}
    for _, z in zones.iterrows():
        p = z.geometry.representative_point()
        if xlim[0] <= p.x <= xlim[1] and ylim[0] <= p.y <= ylim[1]:
            name = zone_name(rows.get(str(z["zone_id"]), z), lang)
            ax.text(
                p.x,
                p.y + 0.012 * (ylim[1] - ylim[0]),
                name,
                ha="center",
                va="bottom",
                fontsize=7.5 * fs,
                zorder=12,
                bbox=halo,
            )
            texts.append(name)

    ax.set_xlabel("")  # geopandas labels the axes with the CRS's units
    ax.set_ylabel("")
    bar = scale_bar(xlim, ylim, crs=MAP_CRS)
    draw_scale_bar(ax, bar, fontsize=8 * fs)
    angle = draw_north_arrow(ax, crs=MAP_CRS, letter=text("north", lang), fontsize=11 * fs)

    # legend panel
    lax = fig.add_axes(page.legend_box)
    lax.set_axis_off()
    legend_title = text("legend", lang)
    lax.legend(
        handles=handles,
        title=legend_title,
        loc="upper left",
        frameon=True,
        fontsize=7.5 * fs,
        title_fontsize=10 * fs,
        borderpad=0.8,
        labelspacing=0.7,
        alignment="left",
    )
    texts += [legend_title, *(str(h.get_label()) for h in handles)]
    panel_notes = []
    not_located = prep.notes.zones_not_located
    if len(not_located):
        names = text("sep", lang).join(str(n) for n in not_located["name"])
        why = label("geometry_quality.not_located", lang)
        why = f"（{why}）" if lang == "zh" else f" ({why})"
        panel_notes.append(f"{text('not_drawn', lang)}{names}{why}")
    n_unplaced = len(prep.notes.projects_unplaced)
    if n_unplaced:
        panel_notes.append(f"{label('ui.projects_unplaced', lang)}: {n_unplaced}")
    if tiles_note:
        panel_notes.append(tiles_note)
    if panel_notes:
        # landscape: under the legend; portrait: beside it (the right half of the panel)
        portrait = page.height_mm > page.width_mm
        panel_mm = page.legend_box[2] * page.width_mm * (0.45 if portrait else 0.96)
        max_em = panel_mm / (6.5 * fs * _PT_MM)
        wrapped = "\n".join(_wrap(n, max_em) for n in panel_notes)
        lax.text(
            0.55 if portrait else 0.02,
            0.98 if portrait else 0.02,
            wrapped,
            transform=lax.transAxes,
            fontsize=6.5 * fs,
            va="top" if portrait else "bottom",
            ha="left",
            color="#7a4b00",
        )
        texts += panel_notes

    # footer: 示意, sources, CRS and scale, maker and date
    sep = text("sep", lang)
    basemap_text = text("basemap", lang, name=basemap_name)
    if tiles_note:  # the reason is in the panel beside the map
        basemap_text += text("no_tiles_short", lang)
    lines = []
    if "schematic" in qualities:  # a schematic outline is drawn in the frame
        lines.append(text("schematic_note", lang))
    lines += [
        text("sources", lang),
        sep.join(
            [
                text("crs", lang),
                text("scale_note", lang, scale=f"{scale:,}".replace(",", " "), paper=paper),
                text("north_note", lang, angle=angle),
                basemap_text,
            ]
        ),
        sep.join([text("maker", lang, maker=maker), text("date", lang, date=date.isoformat())]),
    ]
    y = page.footer_y
    footer_em = (page.width_mm - 2 * page.map_box[0] * page.width_mm) / (6.8 * fs * _PT_MM)
    for line in lines:
        wrapped = _wrap(line, footer_em)
        fig.text(
            page.map_box[0],
            y,
            wrapped,
            fontsize=6.8 * fs,
            ha="left",
            va="top",
            linespacing=1.3,
            color="#8a1c1c" if line == text("schematic_note", lang) else "#222222",
        )
        y -= (wrapped.count("\n") + 1) * 3.5 * fs / page.height_mm
    texts += lines

    buf = io.BytesIO()
    meta = {"Title": title, "Creator": CREATOR}
    if fmt == "pdf":
        meta["Subject"] = text("sources", lang)
        use_truetype(fig)
    extra: dict[str, Any] = {"pil_kwargs": {"compress_level": 3}} if fmt == "png" else {}
    fig.savefig(buf, format=fmt, dpi=dpi, metadata=meta, **extra)
    return PrintedMap(
        data=buf.getvalue(),
        format=fmt,
        scale=scale,
        scale_label=bar.label,
        north_deg=angle,
        notes=prep.notes,
        tiles_note=tiles_note,
        texts=tuple(texts),
    )


def _wrap(line: str, max_em: float) -> str:
    """``line`` broken into lines of at most ``max_em`` em (CJK 1 em, other characters about
    0.55 em), after a space or a CJK punctuation mark where possible."""
    out, cur, width = [], "", 0.0
    last_break = -1
    for ch in line:
        w = 1.0 if ord(ch) >= 0x2E80 else 0.55
        if width + w > max_em and cur:
            if 0 < last_break < len(cur) - 1:
                out.append(cur[: last_break + 1].rstrip())
                cur = cur[last_break + 1 :]
            else:
                out.append(cur.rstrip())
                cur = ""
            width = sum(1.0 if ord(c) >= 0x2E80 else 0.55 for c in cur)
            last_break = -1
        cur += ch
        width += w
        if ch in " ；，、）;,":
            last_break = len(cur) - 1
    if cur:
        out.append(cur)
    return "\n".join(out)


def _draw_projects(ax: Any, placed: gpd.GeoDataFrame) -> None:
    """One circle per location: area ∝ the total expected output, the count written inside."""
    import numpy as np

    out = pd.to_numeric(placed.get("output_yi"), errors="coerce").fillna(0.0)
    key = placed.geometry.apply(lambda g: (round(g.x, 1), round(g.y, 1)))
    groups = pd.DataFrame({"key": key, "out": out.to_numpy()}).groupby("key", sort=True)
    total = groups["out"].sum()
    count = groups["out"].size()
    xs = np.array([k[0] for k in total.index])
    ys = np.array([k[1] for k in total.index])
    top = max(float(total.max()), 1e-9)
    sizes = np.maximum(18.0, 320.0 * total.to_numpy() / top)  # points², area ∝ output
    ax.scatter(
        xs, ys, s=sizes, c=_PROJECT_COLOUR, edgecolors="white", linewidths=0.8, alpha=0.85, zorder=8
    )
    for x, y, n in zip(xs, ys, count.to_numpy(), strict=True):
        ax.text(x, y, str(int(n)), ha="center", va="center", fontsize=6, color="white", zorder=9)


def export_print_map(path: str | Path, **kwargs: Any) -> PrintedMap:
    """Render a print map (format from the suffix: .png, .pdf, .svg) and write it to ``path``.

    Parameters
    ----------
    path
        Output file.
    **kwargs
        As for :func:`render_print_map` (without ``format``).
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise WzgeoError(
            f"打印地图文件 {path} 应以 .png、.pdf 或 .svg 结尾。",
            f"The print map file {path} must end in .png, .pdf or .svg.",
        )
    result = render_print_map(format=fmt, **kwargs)
    path.write_bytes(result.data)
    logger.info("wrote %s (%d bytes)", path, len(result.data))
    return result
