"""wzgeo Streamlit app: navigation and page wiring only.

Run with ``streamlit run app.py``. Pages live in ``wzgeo/pages/``; shared state (language,
filters ↔ URL query, cached loaders) in :mod:`wzgeo.appstate`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from wzgeo import appstate

HERE = Path(__file__).resolve().parent
PAGES = HERE / "wzgeo" / "pages"

st.set_page_config(page_title="万州工业用地 wzgeo", page_icon="🏭", layout="wide")

tables = appstate.plan_tables()
appstate.render_sidebar(tables)
tr = appstate.tr

pages = [
    st.Page(PAGES / "map.py", title=tr("地图", "Map"), url_path="map", default=True),
    st.Page(PAGES / "zones.py", title=tr("园区", "Zones"), url_path="zones"),
    st.Page(PAGES / "projects.py", title=tr("项目库", "Projects"), url_path="projects"),
    st.Page(PAGES / "plot_check.py", title=tr("地块核查", "Plot check"), url_path="plot-check"),
    st.Page(PAGES / "targets.py", title=tr("目标", "Targets"), url_path="targets"),
]
if (PAGES / "saved_work.py").exists():
    pages.append(
        st.Page(PAGES / "saved_work.py", title=tr("保存的工作", "Saved work"), url_path="saved")
    )
pages.append(
    st.Page(PAGES / "data_quality.py", title=tr("数据说明", "Data & quality"), url_path="data")
)

st.navigation(pages, position="sidebar").run()
