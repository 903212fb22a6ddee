"""项目库 Projects: the plan's project library, filtered, searchable; assign projects to zones."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from wzgeo.app import state as appstate
from wzgeo.app.pages import _common
from wzgeo.app.state import choice_key, tr

_COLUMNS = [
    "project_id",
    "name_zh",
    "sector_id",
    "stage",
    "start_year",
    "end_year",
    "investment_yi",
    "output_yi",
    "tax_yi",
    "land_mu",
    "floor_m2",
    "zone_id",
    "location_label",
    "plan_zone_id",
    "suggestion_status",
    "quality_flags",
]


def search(df: pd.DataFrame, text: str) -> pd.DataFrame:
    """Rows where any cell contains ``text``, as stored or as shown (``_common.search``)."""
    return _common.search(df, text)


def with_siting(projects: pd.DataFrame) -> pd.DataFrame:
    """Add the siting status of suggested locations (``wzgeo.analysis.siting``) when available."""
    loc = appstate.locations()
    if loc is None or "suggestion_status" not in loc.columns:
        return projects
    status = loc.drop_duplicates("project_id").set_index("project_id")["suggestion_status"]
    out = projects.copy()
    out["suggestion_status"] = out["project_id"].astype("string").map(status)
    return out


def _assign_ui(projects: pd.DataFrame, tables: appstate.PlanTables) -> None:
    assert tables.zones is not None
    chosen = appstate.assignments()
    names = dict(zip(projects["project_id"], projects["name_zh"], strict=True))
    zone_names = dict(
        zip(
            tables.zones["zone_id"],
            tables.zones["name_en" if appstate.lang() == "en" else "name_zh"],
            strict=True,
        )
    )
    st.subheader(tr("把项目安排到园区", "Assign a project to a zone"))
    st.caption(
        tr(
            "安排只在本次会话中有效（长期保存见“保存的工作”页）。",
            "Assignments last for this session (see the Saved work page for lasting storage).",
        )
    )
    with st.form("assign_form"):
        c1, c2 = st.columns(2)
        pid = c1.selectbox(
            tr("项目", "Project"),
            list(names),
            format_func=lambda p: f"{p} {names.get(p, '')}",
            key=choice_key("assign_project"),
        )
        zid = c2.selectbox(
            tr("园区", "Zone"),
            list(zone_names),
            format_func=lambda z: zone_names.get(z, z),
            key=choice_key("assign_zone"),
        )
        ok = st.form_submit_button(tr("安排", "Assign"), key="assign_submit")
    if ok and pid and zid:
        chosen[str(pid)] = str(zid)
        st.success(
            tr(
                f"已将 {pid} {names.get(pid, '')} 安排到 {zone_names[zid]}。",
                f"Assigned {pid} {names.get(pid, '')} to {zone_names[zid]}.",
            ),
            icon=":material/check_circle:",
        )
    if chosen:
        listing = pd.DataFrame(
            {
                "project_id": list(chosen),
                "name_zh": [names.get(p, "") for p in chosen],
                "zone_id": list(chosen.values()),
            }
        )
        st.dataframe(
            appstate.col_labels(_common.present(listing, tables)),
            hide_index=True,
            key="assign_list",
        )
        if st.button(tr("清除全部安排", "Clear all assignments"), key="assign_clear"):
            chosen.clear()
            st.rerun()


def render() -> None:
    st.title(tr("项目库", "Projects"))
    tables = _common.require_tables("projects", "zones")
    if tables is None:
        return
    assert tables.projects is not None
    filters = appstate.current_filters()
    projects = appstate.filtered_projects(tables.projects, filters, sectors=tables.sectors)
    projects = with_siting(projects)
    query = st.text_input(tr("搜索项目", "Search projects"), key="projects_search")
    shown = _common.search(projects, query, tables)
    shown = shown[[c for c in _COLUMNS if c in shown.columns]].reset_index(drop=True)
    total = len(tables.projects)
    st.caption(
        tr(
            f"显示 {len(shown)} / {total} 个项目；点击表头排序，选中一行可在地图上高亮。",
            f"Showing {len(shown)} of {total} projects; click a header to sort, "
            "select a row to highlight it on the map.",
        )
    )
    _common.selectable_table(shown, tables, id_column="project_id", key="projects_table")
    _common.download_table(_common.present(shown, tables), stem="wzgeo_projects", key="projects_dl")
    _assign_ui(tables.projects, tables)


if __name__ == "__main__":
    render()
