"""The Streamlit app: state (language, filters ↔ URL), server start-up, the tile server and the
pages.
Imports every layer below; nothing imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wzgeo._lazy import lazy_face

if TYPE_CHECKING:  # for type checkers and readers; at run time they load on first use
    from wzgeo.app import pages, server, state, tiles

__all__ = ["pages", "server", "state", "tiles"]

__getattr__, __dir__ = lazy_face(__name__, modules=["pages", "server", "state", "tiles"], names={})
