"""Server start-up for ``streamlit run app.py``: a warm-up while the first browser connects.

Streamlit runs nothing of an app until a browser opens a session. The first session after a
server start therefore pays for importing pandas, geopandas, folium and wzgeo and for loading
the tables (≈ 0.7 s of its ≈ 1 s first run on the 2-core build machine; bench/RESULTS.md,
section *app*), while the browser, meanwhile, spends ≈ 0.6 s loading Streamlit's own
frontend with the server idle.

``app.py`` therefore declares a Streamlit ASGI app (``st.App``, Streamlit's own server) whose
:func:`lifespan` starts :func:`warm_up` in a background thread as soon as the server starts:
the imports and :func:`wzgeo.app.state.warm_caches` (plan tables, geometry, sector fit,
project locations — the shared caches every session reads) then overlap the browser's load.
The first session finds them ready; the helper process that reads uploaded files
(:func:`wzgeo.plots.io.start_reader`) is started :data:`READER_DELAY_S` seconds later, after
the first page has been drawn. Nothing here changes what a page
shows; a failure of the warm-up is logged and leaves the work to the first session, as
before.

This module is imported when the server starts, so it imports nothing heavy itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

__all__ = ["READER_DELAY_S", "lifespan", "warm_up"]

logger = logging.getLogger(__name__)

#: Seconds after the warm-up before the file reader's helper process is started.
READER_DELAY_S = 8.0


def _start_reader() -> None:
    try:
        from wzgeo.plots.io import start_reader

        start_reader()
    except Exception:  # like the warm-up: the first upload then starts it
        logger.exception("wzgeo: starting the file reader failed; the first upload will")


def warm_up() -> float:
    """Import the modules the first page needs and fill the shared caches; return seconds.

    Exceptions are logged, never raised: the first session then does the same work itself.
    """
    t0 = time.perf_counter()
    try:
        from wzgeo.app import state as appstate
        from wzgeo.app.pages import _common, _map_view  # noqa: F401
        from wzgeo.maps import webmap as maps  # noqa: F401  (imports are the point)

        appstate.warm_caches()
        # the first view of the map page, drawn (and sent by st_folium) before a browser asks
        _map_view.warm_default_views()
        # The limited file reader's helper process (a new Python that imports the readers,
        # ≈ 0.5 s of CPU) starts a little later: started here it competed with the first
        # session for the 2 cores and delayed the first map paint by ≈ 0.5 s (bench/RESULTS.md,
        # section app). A file uploaded before then starts it itself.
        timer = threading.Timer(READER_DELAY_S, _start_reader)
        timer.daemon = True
        timer.start()
    except Exception:  # a warm-up must never take the server down
        logger.exception("wzgeo warm-up failed; the first session will load the data itself")
    seconds = time.perf_counter() - t0
    logger.info("wzgeo warm-up done in %.2f s", seconds)
    return seconds


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """``st.App`` lifespan hook: start :func:`warm_up` in a daemon thread, then serve."""
    threading.Thread(target=warm_up, name="wzgeo-warm-up", daemon=True).start()
    yield
