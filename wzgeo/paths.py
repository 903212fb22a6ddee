"""Where wzgeo finds its data.

The shipped data lives in ``geodata/`` at the top of the source tree. Set the environment
variable ``WZGEO_GEODATA`` to use another copy (for example official boundaries kept on an
intranet share). Nothing here is mutable global state: functions return paths.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["geodata_dir", "plan_dir", "repo_root", "seed_plan_path"]


def repo_root() -> Path:
    """The source tree's top folder (the parent of the ``wzgeo`` package)."""
    return Path(__file__).resolve().parent.parent


def geodata_dir() -> Path:
    """The data folder: ``$WZGEO_GEODATA`` if set, else ``geodata/`` in the source tree."""
    env = os.environ.get("WZGEO_GEODATA")
    return Path(env) if env else repo_root() / "geodata"


def plan_dir() -> Path:
    """Tables extracted from the plan (``geodata/plan``)."""
    return geodata_dir() / "plan"


def seed_plan_path() -> Path:
    """The plan text shipped in ``geodata/source/`` (a copy of the project seed)."""
    return repo_root() / "geodata" / "source" / "wanzhou_manufacturing_14th_fyp_2022.txt"
