"""Reference for the app benchmark: the smallest Streamlit page with an st_folium map.

One title, one folium map with 25 markers in a feature group, Leaflet from the installed
``xstatic-leaflet`` as a ``data:`` URI — no wzgeo, no data, no sidebar. What
``python bench/bench_app.py --app bench/floor_app.py`` measures for it is what Streamlit,
streamlit-folium and the browser need on this machine before any of wzgeo's work: the floor
under the app's own start-up numbers.
"""

from __future__ import annotations

import base64
from pathlib import Path

import folium
import streamlit as st
import xstatic.pkg.leaflet as xleaflet
from streamlit_folium import st_folium


def _data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


st.set_page_config(page_title="floor", layout="wide")
st.title("floor")
m = folium.Map(location=[30.8, 108.4], zoom_start=9, tiles=None)
base = Path(xleaflet.BASE_DIR)
m.default_js = [("leaflet", _data_uri(base / "leaflet.js", "text/javascript"))]
m.default_css = [("leaflet_css", _data_uri(base / "leaflet.css", "text/css"))]
group = folium.FeatureGroup(name="points")
for i in range(25):
    folium.Marker([30.6 + i * 0.02, 108.2 + i * 0.02], icon=folium.DivIcon(html="<b>·</b>")).add_to(
        group
    )
st_folium(
    m,
    key="main_map",
    height=640,
    use_container_width=True,
    returned_objects=["last_object_clicked_tooltip"],
    feature_group_to_add=[group],
)
