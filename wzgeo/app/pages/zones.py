"""园区 Zones: planned land, land balance, intensity vs target; searchable, downloadable."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from wzgeo.analysis import balance, intensity
from wzgeo.app import state as appstate
from wzgeo.app.pages import _common
from wzgeo.app.state import tr


def zone_table(
    tables: appstate.PlanTables, projects: pd.DataFrame, zones_geo: pd.DataFrame | None
) -> pd.DataFrame:
    """Zones with land balance and intensity vs target
    (``wzgeo.analysis.balance``/``intensity``)."""
    assert tables.zones is not None
    zones = tables.zones.copy()
    loc = appstate.locations()
    if loc is not None:
        loc = loc.loc[loc["project_id"].isin(projects["project_id"].astype("string"))]
    for extra in (
        balance.zone_balance(projects, tables.zones, locations=loc),
        intensity.zone_intensity(projects, tables.zones, locations=loc, zones_geo=zones_geo),
    ):
        zones = zones.merge(
            extra[[c for c in extra.columns if c not in zones.columns or c == "zone_id"]],
            on="zone_id",
            how="left",
        )
    return zones


#: columns shown (in this order) when present; the downloads carry the same columns
COLUMNS = [
    "zone_id",
    "name_zh",
    "name_en",
    "level",
    "planned_land_km2",
    "sectors_zh",
    "n_projects",
    "need_plan_mu",
    "need_assigned_mu",
    "need_suggested_mu",
    "need_km2",
    "remaining_km2",
    "utilisation_pct",
    "overflow",
    "floor_m2",
    "output_land_yi",
    "intensity_yi_per_km2",
    "gap_2025_yi_per_km2",
    "gap_2035_yi_per_km2",
    "extra_output_2025_yi",
    "measured_note",
]


def render() -> None:
    st.title(tr("园区", "Zones"))
    tables = _common.require_tables("zones", "projects")
    if tables is None:
        return
    assert tables.projects is not None
    filters = appstate.current_filters()
    projects = appstate.filtered_projects(tables.projects, filters, sectors=tables.sectors)
    table = appstate.filter_zones(
        zone_table(tables, projects, appstate.geometry().zones_geo), filters
    )
    query = st.text_input(tr("搜索园区", "Search zones"), key="zones_search")
    shown = _common.search(table, query, tables)
    shown = shown[[c for c in COLUMNS if c in shown.columns]].reset_index(drop=True)
    st.caption(
        tr(
            f"共 {len(shown)} 个园区；点击表头排序，选中一行可在地图上高亮。",
            f"{len(shown)} zones; click a header to sort, select a row to highlight it on the map.",
        )
    )
    _common.selectable_table(
        shown,
        tables,
        id_column="zone_id",
        key="zones_table",
        name=lambda zone_id: _common.zone_name(zone_id, tables),
    )
    _common.download_table(_common.present(shown, tables), stem="wzgeo_zones", key="zones_dl")


if __name__ == "__main__":
    render()
