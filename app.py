"""wzgeo Streamlit app: navigation and page wiring only.

Run with ``streamlit run app.py``. Pages live in ``wzgeo/app/pages/``; shared state (language,
filters ↔ URL query, cached loaders) in :mod:`wzgeo.app.state`.

``streamlit run`` first imports this file to look for an ASGI app: outside a script run it
defines ``app``, Streamlit's own server for this same file, whose start-up hook warms the
shared caches while the first browser connects (:mod:`wzgeo.app.server`) and which also serves
the map's land-use tiles (:mod:`wzgeo.app.tiles`). Every browser
session then runs this file as the app's script (the ``else`` branch): sidebar and pages.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

HERE = Path(__file__).resolve().parent
PAGES = HERE / "wzgeo" / "app" / "pages"
FAVICON = HERE / "wzgeo" / "assets" / "favicon.svg"


def main() -> None:
    """One run of the app's script: page config, sidebar, navigation."""
    # No emoji (here, nor alerts without icon=): an emoji icon, or an alert whose text is not
    # ASCII and has no icon=, makes Streamlit load its emoji catalogue (≈ 0.17 s in the first
    # run after a server start; bench/RESULTS.md, section app). A Material icon as page icon
    # would make the browser fetch it from fonts.gstatic.com; the SVG is shipped.
    st.set_page_config(page_title="万州工业用地 wzgeo", page_icon=FAVICON, layout="wide")

    from wzgeo.app import state as appstate

    tables = appstate.plan_tables()
    appstate.load_query(tables)  # the language from the URL before the page names
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

    page = st.navigation(pages, position="sidebar")
    # a browser session's first view of the map: the filter boxes follow the map's first paint
    first_map_view = page.url_path in ("", "map") and appstate.first_view("map")
    appstate.render_sidebar(tables, filter_widgets=not first_map_view)
    try:
        page.run()
    finally:  # whatever the page did (returned early, stopped): the rest follows
        if first_map_view:
            appstate.finish_first_view("map")


# imported by `streamlit run` (or plain Python): define the server; else a session's run
if get_script_run_ctx(suppress_warning=True) is None:
    from wzgeo.app.server import lifespan
    from wzgeo.app.tiles import routes

    app = st.App(Path(__file__).resolve(), lifespan=lifespan, routes=routes())
else:
    main()
