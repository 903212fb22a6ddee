"""Saved-work page sections: official zone boundary upload, and the saved plots table.

The file is read and measured by :func:`wzgeo.store.savedwork.read_zone_boundary`, saved with
:meth:`wzgeo.store.core.Store.set_zone_boundary` (who, why, version check); plots are summarised
by :func:`wzgeo.store.savedwork.saved_plots_table`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from wzgeo.app._text import plain
from wzgeo.app.pages._saved_work_ui import (
    both,
    labelled,
    save_versioned,
    seen_key,
    show_error,
    show_saved_table,
    show_version,
    t,
)
from wzgeo.app.state import choice_key
from wzgeo.errors import WzgeoError
from wzgeo.store import savedwork
from wzgeo.store.core import Store

__all__ = ["boundary_section", "planned_areas", "plots_section"]


@st.cache_data(show_spinner=False)
def planned_areas() -> dict[str, float]:
    """The plan's land area per zone (cached per process)."""
    return savedwork.planned_zone_areas_km2()


_READ_KEY = "_sw_boundary_read"


@dataclass(frozen=True)
class _Read:
    """One boundary upload as read: the file and options (``key``), the result or error."""

    key: tuple[object, ...]
    found: savedwork.BoundaryUpload | None
    error: WzgeoError | None


def _read_once(
    data: bytes, *, zone: str, filename: str, crs: str | None, planned: float | None
) -> savedwork.BoundaryUpload:
    """The upload read for ``zone``, from this session's cache when file and options match.

    A page rerun (any click) must not read the file again: reading is the slow part, and
    for a hostile file it ends only at the reader's limits. The outcome is kept per
    session, failures included, keyed by the file's SHA-256 and the options.
    """
    key = (hashlib.sha256(data).hexdigest(), len(data), zone, filename, crs, planned)
    cached: _Read | None = st.session_state.get(_READ_KEY)
    if cached is None or cached.key != key:
        try:
            found = savedwork.read_zone_boundary(
                data, zone_id=zone, filename=filename, crs=crs, planned_km2=planned
            )
            cached = _Read(key, found, None)
        except WzgeoError as e:  # kept without its frames (they hold the file's bytes)
            cached = _Read(key, None, e.with_traceback(None))
        st.session_state[_READ_KEY] = cached
    if cached.error is not None:
        raise cached.error
    assert cached.found is not None
    return cached.found


def _preview(
    zone: str, planned_km2: Mapping[str, float], lang: str
) -> savedwork.BoundaryUpload | None:
    """The uploaded boundary file read for ``zone`` (shown), or None (nothing or an error)."""
    c1, c2 = st.columns([3, 1])
    upload = c1.file_uploader(
        t("官方边界文件", "Official boundary file", lang),
        help=t(
            "GeoJSON、GeoPackage、Shapefile (.zip)、KML/KMZ、部标 TXT、CSV/XLSX 坐标点、WKT",
            "GeoJSON, GeoPackage, Shapefile (.zip), KML/KMZ, 部标 TXT, CSV/XLSX points, WKT",
            lang,
        ),
        key="sw_boundary_file",
    )
    crs = c2.text_input(
        t("坐标系（文件未声明时）", "CRS (if the file has none)", lang),
        placeholder="EPSG:4545",
        key="sw_boundary_crs",
    ).strip()
    if upload is None:
        return None
    try:
        found = _read_once(
            upload.getvalue(),
            zone=zone,
            filename=upload.name,
            crs=crs or None,
            planned=planned_km2.get(zone),
        )
    except WzgeoError as e:
        show_error(e, lang)
        return None
    st.info(plain(both(found.describe("zh"), found.describe("en"), lang)), icon=":material/info:")
    for note in found.warnings:
        st.warning(plain(note), icon=":material/warning:")
    return found


def boundary_section(
    store: Store,
    editor: str | None,
    lang: str,
    zone_names: Mapping[str, str],
    planned_km2: Mapping[str, float],
) -> None:
    """Upload an official boundary for a zone, preview it, save it; list saved boundaries.

    Parameters
    ----------
    store
        The store.
    editor
        Who may edit in this session (None: read-only, the save button is disabled).
    lang
        ``"zh"`` or ``"en"``.
    zone_names
        ``zone_id`` → display name.
    planned_km2
        ``zone_id`` → the plan's land area.
    """
    st.subheader(t("官方园区边界", "Official zone boundaries", lang))
    zone = st.selectbox(
        t("园区", "Zone", lang),
        sorted(store.ids.zone_ids),
        format_func=lambda z: f"{zone_names.get(z, z)} ({z})",
        key=choice_key("sw_boundary_zone"),
    )
    state = store.state("zone_boundary", zone)
    source = (state.value or {}).get("source")
    show_version(
        state,
        lang,
        now=(f"官方边界，来源 {source}", f"official boundary from {source}"),
        empty=("示意范围，无官方边界", "schematic, no official boundary"),
        what=("此园区边界", "This zone's boundary"),
        reload_key="sw_boundary_reload",
    )
    found = _preview(zone, planned_km2, lang)
    with st.form("sw_boundary_form"):
        why = st.text_input(t("原因（必填）", "Reason (required)", lang), key="sw_boundary_why")
        save = st.form_submit_button(
            t("保存官方边界", "Save official boundary", lang),
            disabled=editor is None or found is None,
        )
    if save and editor is not None and found is not None:
        save_versioned(
            lambda version: store.set_zone_boundary(
                zone,
                found.boundary,
                source=found.source,
                by=editor,
                why=why,
                expected_version=version,
            ),
            seen_key("zone_boundary", zone),
            lang,
            what=(f"{zone} 官方边界", f"{zone} official boundary"),
        )
    boundaries = store.zone_boundaries()
    if not boundaries.empty:
        shown = pd.DataFrame(boundaries.drop(columns="geometry"))
        st.dataframe(labelled(shown, lang), hide_index=True, key="sw_boundaries")


def plots_section(store: Store, lang: str) -> None:
    """The saved plots with the summary of their check reports."""
    st.subheader(t("已保存的地块", "Saved plots", lang))
    show_saved_table(savedwork.saved_plots_table(store.plots()), lang, key="sw_plots")
