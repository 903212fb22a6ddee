"""Lazy public faces for wzgeo's subpackages.

Each subpackage's ``__init__`` lists its public modules and a few of their main names; they
are imported on first use (``wzgeo.plan.data`` or ``wzgeo.plan.load_zones``), so importing a
subpackage — or any module inside it — never pulls in the rest of that layer.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_face"]


def lazy_face(
    package: str, *, modules: Iterable[str], names: Mapping[str, str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` for ``package``.

    Parameters
    ----------
    package
        The subpackage's ``__name__``.
    modules
        Its public submodules, imported on first attribute access.
    names
        Public names re-exported from a submodule: ``{name: submodule}``.
    """
    mods = frozenset(modules)
    exported = dict(names or {})

    def __getattr__(name: str) -> Any:
        if name in mods:
            return importlib.import_module(f"{package}.{name}")
        if name in exported:
            return getattr(importlib.import_module(f"{package}.{exported[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(mods | exported.keys())

    return __getattr__, __dir__
