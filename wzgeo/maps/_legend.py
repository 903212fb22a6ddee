"""The map's legend and message banner, as escaped HTML.

The legend lists the zone colours actually used (by level or sector), the schematic-boundary
note, the output-per-km² classes with the target line, the project marker colours, sizes
and stage letters, and what could not be drawn. The banner shows the map's messages
(schematic geometry, GCJ-02 shift, a missing Tianditu key, ...).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from wzgeo.labels import label, value_label
from wzgeo.maps._html import esc
from wzgeo.maps._style import (
    LEVEL_COLOURS,
    OTHER_COLOUR,
    SECTOR_COLOURS,
    STAGE_ORDER,
    stage_mark,
)

__all__ = ["banner_html", "legend_html"]


def _swatch(css: str, text: str) -> str:
    """A legend row: a colour swatch styled by ``css`` and the escaped ``text``."""
    return f'<div><span class="wz-sw" style="{css}"></span>{esc(text)}</div>'


def _row(items: list[str]) -> str:
    """Legend entries side by side, wrapping (a compact legend that hides less of the map)."""
    return f'<div class="wz-row">{"".join(items)}</div>'


def _sector_name(sector: str, lang: str) -> str:
    """Display name of a colour key of :data:`SECTOR_COLOURS` (or ``"other"``)."""
    return label("ui.other", lang) if sector == "other" else value_label("sector", sector, lang)


def _intensity_rows(bins: list[tuple[float, float, str]], target: float, lang: str) -> list[str]:
    """The output-per-km² classes with the target line between the third and fourth."""
    unit = label("ui.unit_yi_per_km2", lang)
    rows = [f"<h4>{esc(label('ui.intensity', lang))} ({esc(unit)})</h4>"]
    target_text = (
        f"{label('ui.target', lang)}: {target:g} {unit}"
        if lang == "zh"
        else f"{label('ui.target', lang)}: {target:g} ({unit})"
    )
    below = [_swatch("background:#fff;opacity:.6", label("ui.no_data", lang))]
    above: list[str] = []
    for i, (low, high, colour) in enumerate(bins):
        rng = f"≥ {low:g}" if math.isinf(high) else f"{low:g} – {high:g}"
        (below if i < 3 else above).append(_swatch(f"background:{colour}", rng))
    # classes below the target on one line, the target line, the classes above it
    rows.append(_row(below))
    rows.append(
        f'<div class="wz-target">▼ {esc(label("ui.below_target", lang))}'
        f" — {esc(target_text)} — ▲ "
        f"{esc(label('ui.above_target', lang))}</div>"
    )
    rows.append(_row(above))
    return rows


def _project_rows(used_proj_sectors: list[str], lang: str) -> list[str]:
    """Project marker colours (round swatches), the size rule and the stage letters."""
    rows = [f"<h4>{esc(label('ui.projects', lang))}</h4>"]
    swatches = [
        _swatch(
            f"border-radius:50%;background:{SECTOR_COLOURS.get(s, OTHER_COLOUR)}",
            _sector_name(s, lang),
        )
        for s in used_proj_sectors
    ]
    rows.append(_row(swatches))
    marks = " ".join(f"{stage_mark(s, lang)}={value_label('stage', s, lang)}" for s in STAGE_ORDER)
    rows.append(f"<div>{esc(label('ui.size_by_output', lang))}</div>")
    rows.append(f"<div>{esc(label('stage', lang))}: {esc(marks)}</div>")
    return rows


def _not_drawn_rows(not_located: pd.DataFrame, unplaced: pd.DataFrame, lang: str) -> list[str]:
    """Zones not located, and projects not placed (the first 12)."""
    rows: list[str] = []
    if not not_located.empty:
        rows.append(f"<h4>{esc(label('ui.not_located', lang))}</h4>")
        rows.append(
            "<div class='wz-not-located'>"
            + ("、" if lang == "zh" else ", ").join(esc(n) for n in not_located["name"])
            + "</div>"
        )
    if not unplaced.empty:
        # folded: the list can be long and would cover the map
        items = [
            f"{esc(r.project_id)} {esc(r.name)} ({esc(r.reason_text)})"
            for r in unplaced.head(12).itertuples()
        ]
        if len(unplaced) > 12:
            items.append("…")
        rows.append(
            f"<details class='wz-unplaced-box'><summary>"
            f"{esc(label('ui.projects_unplaced', lang))} ({len(unplaced)})</summary>"
            "<div class='wz-unplaced'>" + "<br>".join(items) + "</div></details>"
        )
    return rows


def legend_html(
    *,
    style: str,
    used_zone_keys: list[str],
    used_proj_sectors: list[str],
    bins: list[tuple[float, float, str]] | None,
    target: float,
    schematic: bool,
    not_located: pd.DataFrame,
    unplaced: pd.DataFrame,
    lang: str,
    folded: bool = False,
) -> str:
    """The legend, a collapsible ``<details>`` block of escaped HTML.

    Parameters
    ----------
    style
        Zone styling, ``"level"`` or ``"sector"``.
    used_zone_keys
        Levels or sector colour keys used by the zones, in order of use.
    used_proj_sectors
        Sector colour keys used by the project markers.
    bins
        Output-per-km² classes, or ``None`` when there is no intensity layer.
    target
        Output-per-km² target (亿元/km²).
    schematic
        At least one drawn zone is schematic.
    not_located
        ``zone_id``, ``name`` of zones not drawn.
    unplaced
        ``project_id``, ``name``, ``reason_text`` of projects not drawn.
    lang
        ``"zh"`` or ``"en"``.
    folded
        Start folded (in the app, where the map is small; the browser then remembers the
        user's choice, see :class:`wzgeo.maps._html.Control`).

    Returns
    -------
    str
        Escaped HTML.
    """
    parts = [
        '<div data-layer="zones">'
        f"<h4>{esc(label('ui.zones', lang))} — {esc(label(f'style.{style}', lang))}</h4>"
    ]
    zone_items = []
    for key in used_zone_keys:
        if style == "level":
            colour, name = LEVEL_COLOURS.get(key, OTHER_COLOUR), value_label("level", key, lang)
        else:
            colour, name = SECTOR_COLOURS.get(key, OTHER_COLOUR), _sector_name(key, lang)
        zone_items.append(_swatch(f"background:{colour}", name))
    parts.append(_row(zone_items))
    if schematic:
        parts.append(
            f'<div class="wz-schematic-note"><span class="wz-sw wz-dash"></span>'
            f"{esc(label('ui.schematic_note', lang))}</div>"
        )
    parts.append("</div>")
    if bins is not None:
        parts.extend(
            ['<div data-layer="intensity">', *_intensity_rows(bins, target, lang), "</div>"]
        )
    if used_proj_sectors:
        parts.extend(
            ['<div data-layer="projects">', *_project_rows(used_proj_sectors, lang), "</div>"]
        )
    parts.extend(_not_drawn_rows(not_located, unplaced, lang))
    title = "图例" if lang == "zh" else "Legend"
    opened = "" if folded else " open"
    return f"<details{opened}><summary>{title}</summary>{''.join(parts)}</details>"


def banner_html(texts: Iterable[str]) -> str:
    """The message banner: one escaped ``<div>`` per message.

    Parameters
    ----------
    texts
        Messages in the map's language.

    Returns
    -------
    str
        Escaped HTML.
    """
    return "".join(f"<div>{esc(t)}</div>" for t in texts)
