"""Column helpers shared by the analysis modules :mod:`wzgeo.analysis.balance`,
:mod:`wzgeo.analysis.intensity` and :mod:`wzgeo.analysis.siting` (private)."""

from __future__ import annotations

import pandas as pd

__all__ = ["sector_parent_map", "to_float"]


def to_float(s: pd.Series) -> pd.Series:
    """``s`` as float64; text that is not a number (and missing values) become NaN."""
    return pd.to_numeric(s, errors="coerce").astype("float64")


def sector_parent_map(sectors: pd.DataFrame | None) -> dict[str, str]:
    """``sector_id`` → ``parent_id`` for the sectors of ``sectors`` that have a parent.

    Parameters
    ----------
    sectors
        Table with ``sector_id``, ``parent_id``; ``None`` gives an empty mapping (every
        sector is its own top level).

    Returns
    -------
    dict
        Sector id to parent id.
    """
    parent: dict[str, str] = {}
    if sectors is not None:
        for s, p in zip(sectors["sector_id"], sectors["parent_id"].fillna(""), strict=True):
            if isinstance(p, str) and p:
                parent[str(s)] = p
    return parent
