"""Tiny script: the status badge in the sidebar plus the saved-work page (as the app wires it)."""

import os

import streamlit as st

from wzgeo.app.pages import saved_work
from wzgeo.store.core import DOCUMENTED_SECTOR_IDS, DOCUMENTED_ZONE_IDS, IdCatalog, open_store

with st.sidebar:
    saved_work.render_edit_status(interactive=False)
saved_work.render(
    open_store(
        os.environ["WZGEO_STORE"],
        ids=IdCatalog(DOCUMENTED_ZONE_IDS, frozenset({"AU-12"}), DOCUMENTED_SECTOR_IDS),
    )
)
