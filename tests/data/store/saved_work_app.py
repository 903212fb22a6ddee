"""Tiny Streamlit script showing only the saved-work page (for AppTest and browser tests)."""

import os

from wzgeo.app.pages import saved_work
from wzgeo.store.core import DOCUMENTED_SECTOR_IDS, DOCUMENTED_ZONE_IDS, IdCatalog, open_store

IDS = IdCatalog(
    DOCUMENTED_ZONE_IDS,
    frozenset({"AU-12", "EI-10", "NM-CU-01"}),
    DOCUMENTED_SECTOR_IDS,
    source="test ids",
)
saved_work.render(
    open_store(os.environ["WZGEO_STORE"], ids=IDS),
    lang=os.environ.get("WZGEO_TEST_LANG", "zh"),
    zone_names={"gaofeng": "高峰园", "tianzi": "天子园"},
)
