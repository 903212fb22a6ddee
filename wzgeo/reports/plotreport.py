"""The plot-check report: one document model, written as PDF (archiving), DOCX (editable) or HTML.

:func:`build_plot_report` turns a check (:class:`wzgeo.analysis.plotcheck.PlotCheck`) and the
imported file into a :class:`PlotReport` — a list of blocks (headings, paragraphs, tables, the
map, the signature block) in one language, from that language's template
(:mod:`wzgeo.reports._templates`). Every number is taken from the check's JSON report
(``PlotCheck.to_dict()``) and formatted by one function, so the three formats and the JSON say
the same. :func:`render_report` writes the blocks in a format; texts from the user's file (names,
ids) are escaped for HTML and DOCX, and drawn as text (never interpreted) in the PDF and map.

Order: the answer sentence first, then the file and how its CRS was decided, the map (plot,
zones, red-line layers when imported), areas in m² / 亩 / 公顷, zone shares, sector fit (and
land-use class fit when the check has it), control indicators, conflicts, notes, signatures.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
from typing import Any, Final

import geopandas as gpd
import pandas as pd

from wzgeo.errors import WzgeoError
from wzgeo.labels import value_label
from wzgeo.reports._doc import Block, PlotReport
from wzgeo.reports._templates import TEMPLATES

__all__ = [
    "FORMATS",
    "Block",
    "PlotReport",
    "build_plot_report",
    "fmt_number",
    "render_report",
]

FORMATS: Final = ("pdf", "docx", "html")
MAP_WIDTH_MM: Final = 170.0
_DIGITS: Final[dict[str, int]] = {
    "area_m2": 2,
    "area_mu": 2,
    "area_ha": 4,
    "overlap_m2": 2,
    "share_pct": 2,
    "distance_m": 0,
    "value": 2,
    "threshold": 2,
    "intensity": 2,
}


def fmt_number(value: Any, kind: str) -> str:
    """A number as every report format shows it (thousands separated, fixed decimals by kind);
    ``"-"`` for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{float(value):,.{_DIGITS.get(kind, 2)}f}"


def _zone_name(zones: pd.DataFrame | None, zone_id: Any, lang: str) -> str:
    if zone_id is None:
        return "-"
    zid = str(zone_id)
    if zones is None:
        return zid
    hit = zones.loc[zones["zone_id"].astype(str) == zid]
    if hit.empty:
        return zid
    col = "name_en" if lang == "en" and "name_en" in hit.columns else "name_zh"
    v = hit.iloc[0].get(col)
    return zid if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def _s(v: Any) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def build_plot_report(
    check: Any,
    imported: Any,
    *,
    data: bytes,
    zones: pd.DataFrame | None = None,
    zones_geo: gpd.GeoDataFrame | None = None,
    district: gpd.GeoDataFrame | None = None,
    redlines: gpd.GeoDataFrame | None = None,
    land_layers: Any = None,
    lang: str = "zh",
    basis: str | None = None,
    date: _dt.date | None = None,
    with_map: bool = True,
) -> PlotReport:
    """Build the report of a plot check.

    Parameters
    ----------
    check
        The result of :func:`wzgeo.analysis.plotcheck.check_plots`.
    imported
        The file as read (:class:`wzgeo.plots.io.PlotImport`): plots, file name, format, the
        CRS and how it was decided, import warnings.
    data
        The file's bytes (for its SHA-256).
    zones, zones_geo, district
        Zone names, zone geometry and the district boundary for the map.
    redlines
        Further polygons to draw on the map, with a ``layer`` name column.
    land_layers
        The imported land layers the check used (:class:`wzgeo.analysis.landuse.LandLayers`):
        its red-line layers (永久基本农田, 生态保护红线, 城镇开发边界) are drawn on the map near
        the plots; the check's findings (answer sentence, conflicts) and land-class fit come
        from ``check``. Without red-line layers the report says red lines were not checked.
    lang
        ``"zh"`` or ``"en"`` (the template).
    basis
        What the plots were checked against, in words (sector or project name); default from
        the check's ids.
    date
        Date of the check (default today).
    with_map
        Draw the map (needs ``zones_geo``).

    Returns
    -------
    PlotReport
    """
    if lang not in TEMPLATES:
        raise WzgeoError(
            f"不支持的语言 {lang!r}：请用 'zh' 或 'en'。",
            f"Unsupported language {lang!r}: use 'zh' or 'en'.",
        )
    t = TEMPLATES[lang]
    date = date or _dt.date.today()
    report = check.to_dict()
    sha = hashlib.sha256(data).hexdigest()
    reason = getattr(imported, f"crs_reason_{lang}", "") or ""
    if getattr(imported, "crs_inferred", False):
        reason += t["crs_inferred"]
    report.update(
        {
            "file_name": getattr(imported, "filename", "") or "",
            "file_sha256": sha,
            "file_format": getattr(imported, "format", "") or "",
            "source_crs": getattr(imported, "source_crs", None),
            "crs_inferred": bool(getattr(imported, "crs_inferred", False)),
            "crs_reason": reason,
            "import_warnings": [str(w) for w in getattr(imported, "warnings", ()) or ()],
            "check_date": date.isoformat(),
        }
    )
    if basis is None:
        if report.get("project_id"):
            basis = str(report["project_id"])
        elif report.get("sector_id"):
            basis = value_label("sector", report["sector_id"], lang)
        else:
            basis = t["no_basis"]
    blocks: list[Block] = [Block("heading", t["answer"])]
    answers = report.get(f"answer_{lang}") or []
    blocks += [Block("answer", a) for a in answers]
    blocks += [
        Block("heading", t["basics"]),
        Block(
            "table",
            header=("", ""),
            rows=(
                (t["file"], report["file_name"] or "-"),
                (t["sha256"], sha),
                (t["format"], report["file_format"] or "-"),
                (t["crs"], _s(report["source_crs"])),
                (t["crs_how"], reason or "-"),
                (t["basis"], basis),
                (t["date"], report["check_date"]),
                (t["software"], "wzgeo"),
            ),
        ),
    ]
    plots = report["plots"]
    drawn = _redline_frame(land_layers, imported.plots, lang)
    if redlines is not None and len(redlines):
        drawn = redlines if drawn is None else pd.concat([drawn, redlines.to_crs(4545)])
    # map
    if with_map and zones_geo is not None:
        from wzgeo.maps.plotmap import render_plot_map

        pm = render_plot_map(
            imported.plots,
            zones_geo=zones_geo,
            zones=zones,
            district=district,
            redlines=drawn,
            lang=lang,
            width_mm=MAP_WIDTH_MM,
        )
        caption = t["map_caption"].format(
            scale=f"{pm.scale:,}".replace(",", " "), width=int(MAP_WIDTH_MM)
        )
        blocks += [Block("heading", t["map"]), Block("image", caption, image=pm.png)]
        if pm.schematic:
            blocks.append(Block("note", t["schematic"]))
    has_redlines = _has_layers(land_layers, "redlines")
    has_landuse = _has_layers(land_layers, "landuse")
    if not has_redlines and drawn is None:
        blocks.append(Block("note", t["redlines_none"]))
    # areas
    declared = any(p.get("declared_area_mu") is not None for p in plots)
    header = [t["plot"], t["plot_name"], t["area_m2"], t["area_mu"], t["area_ha"]]
    if declared:
        header.append(t["declared_mu"])
    rows = []
    for p in plots:
        row = [
            _s(p.get("plot_id")),
            _s(p.get("plot_name")) if p.get("plot_name") else "-",
            fmt_number(p.get("area_m2"), "area_m2"),
            fmt_number(p.get("area_mu"), "area_mu"),
            fmt_number(p.get("area_ha"), "area_ha"),
        ]
        if declared:
            row.append(fmt_number(p.get("declared_area_mu"), "area_mu"))
        rows.append(tuple(row))
    if len(plots) > 1:
        total = [
            t["total"],
            "",
            fmt_number(sum(p["area_m2"] for p in plots), "area_m2"),
            fmt_number(sum(p["area_mu"] for p in plots), "area_mu"),
            fmt_number(sum(p["area_ha"] for p in plots), "area_ha"),
        ]
        rows.append(tuple(total + ([""] if declared else [])))
    blocks += [Block("heading", t["areas"]), Block("table", header=tuple(header), rows=tuple(rows))]
    # zone shares
    share_rows = []
    for p in plots:
        for z in p.get("zones") or []:
            share_rows.append(
                (
                    _s(p["plot_id"]),
                    _zone_name(zones, z.get("zone_id"), lang),
                    fmt_number(z.get("overlap_m2"), "overlap_m2"),
                    fmt_number(z.get("share_pct"), "share_pct"),
                    value_label("geometry_quality", z.get("geometry_quality"), lang),
                )
            )
        if not p.get("zones"):
            share_rows.append((_s(p["plot_id"]), t["outside"], "-", "-", "-"))
    blocks += [
        Block("heading", t["shares"]),
        Block(
            "table",
            header=(t["plot"], t["zone"], t["overlap_m2"], t["share_pct"], t["quality"]),
            rows=tuple(share_rows),
        ),
    ]
    # sector fit (and land-use class fit when the check has one)
    fit_rows = []
    for p in plots:
        grade = p.get("fit_grade")
        reason_text = (p.get("fit_reason_en") if lang == "en" else None) or _one_lang(
            p.get("fit_reason_zh") or "", lang
        )
        nearest = p.get("nearest_fitting_zone_id")
        fit_rows.append(
            (
                _s(p["plot_id"]),
                _zone_name(zones, p.get("zone_id"), lang) if p.get("zone_id") else t["outside"],
                value_label("fit_grade", grade, lang) if grade else "-",
                reason_text or "-",
                _zone_name(zones, nearest, lang) if nearest else "-",
                fmt_number(p.get("distance_to_fitting_zone_m"), "distance_m"),
            )
        )
    blocks += [
        Block("heading", t["fit"]),
        Block(
            "table",
            header=(
                t["plot"],
                t["zone"],
                t["fit_grade"],
                t["reason"],
                t["nearest"],
                t["distance_m"],
            ),
            rows=tuple(fit_rows),
        ),
    ]
    land_rows = [
        (
            _s(p["plot_id"]),
            _class_name(lc.get("required"), lang),
            " ".join(x for x in (_s(lc.get("found_code")), _s(lc.get("found"))) if x != "-") or "-",
            value_label("result", lc.get("status"), lang) if lc.get("status") else "-",
            _one_lang(lc.get("reason"), lang),
        )
        for p in plots
        if (lc := p.get("land_class") or {}) and lc.get("status") is not None
    ]
    if land_rows and has_landuse:
        blocks += [
            Block("heading", t["land_class"]),
            Block(
                "table",
                header=(t["plot"], t["lc_required"], t["lc_found"], t["result"], t["reason"]),
                rows=tuple(land_rows),
            ),
        ]
    red_rows = [
        (
            _s(p["plot_id"]),
            _kind_label(c.get("kind"), lang),
            fmt_number(c.get("overlap_m2"), "overlap_m2"),
            fmt_number(c.get("overlap_mu"), "area_mu"),
            fmt_number(c.get("outside_m2"), "overlap_m2"),
            value_label("result", c.get("status"), lang) if c.get("status") else "-",
        )
        for p in plots
        for c in p.get("constraints") or []
    ]
    if red_rows and has_redlines:
        blocks += [
            Block("heading", t["redlines"]),
            Block(
                "table",
                header=(
                    t["plot"],
                    t["layer"],
                    t["overlap_m2"],
                    t["overlap_mu"],
                    t["outside_m2"],
                    t["result"],
                ),
                rows=tuple(red_rows),
            ),
        ]
    # control indicators
    indicators = report.get("indicators") or []
    if indicators:
        ind_rows = []
        for r in indicators:
            name = r.get("name_zh") if lang == "zh" else r.get("indicator")
            requirement = f"{_s(r.get('comparator'))} {fmt_number(r.get('threshold'), 'threshold')}"
            ind_rows.append(
                (
                    _s(name),
                    _s(r.get("edition")),
                    fmt_number(r.get("value"), "value"),
                    requirement if r.get("threshold") is not None else "-",
                    value_label("result", r.get("result"), lang),
                    _s(r.get(f"reason_{lang}")),
                )
            )
        blocks += [
            Block("heading", t["indicators"]),
            Block(
                "table",
                header=(
                    t["indicator"],
                    t["edition"],
                    t["value"],
                    t["requirement"],
                    t["result"],
                    t["reason"],
                ),
                rows=tuple(ind_rows),
            ),
        ]
    # conflicts: overlaps between plots, findings (red lines …)
    conflicts = []
    for p in plots:
        others = p.get("overlapping_plots") or []
        if others:
            text = t["overlaps_plots"].format(
                others="、".join(others) if lang == "zh" else ", ".join(others)
            )
            conflicts.append(f"{p['plot_id']}: {text}")
    for pid, fs in (report.get("findings") or {}).items():
        for f in fs:
            conflicts.append(f"{pid}: {f.get(lang) or f.get('zh') or f}")
    blocks.append(Block("heading", t["conflicts"]))
    blocks += [Block("para", c) for c in conflicts] or [Block("para", t["no_conflicts"])]
    # notes
    notes = report.get(f"notes_{lang}") or []
    if notes or report["import_warnings"]:
        blocks.append(Block("heading", t["notes"]))
        blocks += [Block("para", n) for n in notes]
        blocks += [Block("note", f"{t['warnings']}: {w}") for w in report["import_warnings"]]
    blocks += [Block("heading", t["signature"]), Block("signature")]
    return PlotReport(
        lang=lang, title=t["title"], blocks=tuple(blocks), json=report, labels=dict(t)
    )


def _has_layers(land_layers: Any, what: str) -> bool:
    """Whether the user imported red-line layers (``what="redlines"``) or a land-use layer."""
    if land_layers is None:
        return False
    from wzgeo.analysis.landuse import REDLINE_KINDS

    kinds = REDLINE_KINDS if what == "redlines" else ("landuse",)
    return any(land_layers.get(k) is not None for k in kinds)


def _class_name(value: Any, lang: str) -> str:
    """Required industrial land class 1/2/3 in words."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return _s(value)
    return (
        f"{'一二三'[n - 1]}类工业用地" if lang == "zh" and 1 <= n <= 3 else f"class {n} industrial"
    )


def _one_lang(text: Any, lang: str) -> str:
    """The part of a ``"中文 / English"`` text in ``lang``."""
    s = _s(text)
    if " / " not in s:
        return s
    zh, en = s.split(" / ", 1)
    return en if lang == "en" else zh


def _kind_label(kind: Any, lang: str) -> str:
    from wzgeo.analysis.landuse import KIND_LABELS

    zh, en = KIND_LABELS.get(str(kind), (str(kind), str(kind)))
    return en if lang == "en" else zh


def _redline_frame(land_layers: Any, plots: gpd.GeoDataFrame, lang: str) -> Any:
    """The red-line features within 5 km of the plots, for the map (``layer`` = the kind's
    name, marked 示例（虚构） for demo data); ``None`` without red-line layers."""
    if land_layers is None:
        return None
    from wzgeo.analysis.landuse import REDLINE_KINDS

    near = plots.to_crs(4545).union_all().buffer(5000).envelope
    parts = []
    for kind in REDLINE_KINDS:
        layer = land_layers.get(kind)
        if layer is None or not len(layer.geoms):
            continue
        idx = layer.tree.query(near)
        name = _kind_label(kind, lang)
        if layer.fictional:
            name += "（示例（虚构））" if lang == "zh" else " (fictional demo)"
        parts.append(
            gpd.GeoDataFrame(
                {"layer": [name] * len(idx)}, geometry=list(layer.geoms[idx]), crs=4545
            )
        )
    if not parts:
        return None
    return pd.concat(parts, ignore_index=True)


def render_report(report: PlotReport, fmt: str) -> bytes:
    """Write ``report`` as ``"pdf"``, ``"docx"`` or ``"html"``.

    Raises
    ------
    WzgeoError
        An unknown format; the CJK font is missing (PDF).
    """
    if fmt == "html":
        from wzgeo.reports._html import to_html

        return to_html(report).encode("utf-8")
    if fmt == "docx":
        from wzgeo.reports._docx import to_docx

        return to_docx(report)
    if fmt == "pdf":
        from wzgeo.reports._pdf import to_pdf

        return to_pdf(report)
    raise WzgeoError(
        f"报告格式应为 pdf、docx 或 html，收到 {fmt!r}。",
        f"The report format must be pdf, docx or html, got {fmt!r}.",
    )
