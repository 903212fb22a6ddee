"""Saved work: the SQLite change log (versions, history, revert), export/import, editing
rights, overlays of saved work on the shipped tables and the working data set.
Imports analysis, maps, plots, geo, plan and the top level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wzgeo._lazy import lazy_face

if TYPE_CHECKING:  # for type checkers and readers; at run time they load on first use
    from wzgeo.store import (
        auth,
        core,
        layers,
        overlays,
        savededits,
        savedwork,
        transfer,
        workspace,
    )
    from wzgeo.store.core import Store, default_store_path, open_store
    from wzgeo.store.workspace import Workspace, load_workspace

__all__ = [
    "Store",
    "Workspace",
    "auth",
    "core",
    "default_store_path",
    "layers",
    "load_workspace",
    "open_store",
    "overlays",
    "savededits",
    "savedwork",
    "transfer",
    "workspace",
]

__getattr__, __dir__ = lazy_face(
    __name__,
    modules=[
        "auth",
        "core",
        "layers",
        "overlays",
        "savededits",
        "savedwork",
        "transfer",
        "workspace",
    ],
    names={
        "Store": "core",
        "Workspace": "workspace",
        "default_store_path": "core",
        "load_workspace": "workspace",
        "open_store": "core",
    },
)
