"""The ``wzgeo`` command line, one module per command group. Imports every layer below;
nothing imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wzgeo._lazy import lazy_face

if TYPE_CHECKING:  # for type checkers and readers; at run time they load on first use
    from wzgeo.cli import entry
    from wzgeo.cli.entry import main

__all__ = ["entry", "main"]

__getattr__, __dir__ = lazy_face(__name__, modules=["entry"], names={"main": "entry"})
