"""Where wzgeo finds its data.

The shipped data lives in ``geodata/`` at the top of the source tree. Set the environment
variable ``WZGEO_GEODATA`` to use another copy (for example official boundaries kept on an
intranet share). Nothing here is mutable global state: functions return paths.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

__all__ = ["geodata_dir", "plan_dir", "repo_root", "seed_plan_path", "user_file"]


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


def user_file(env_var: str, name: str, *, folder: Literal["config", "data", "cache"]) -> Path:
    """A per-user file kept outside the source tree.

    Parameters
    ----------
    env_var
        Environment variable that names the file when set (``~`` is expanded), e.g.
        ``WZGEO_STORE``.
    name
        File name inside wzgeo's per-user folder, used when ``env_var`` is unset or empty.
    folder
        ``"config"`` (:func:`platformdirs.user_config_dir`), ``"data"``
        (:func:`platformdirs.user_data_dir`) or ``"cache"`` (:func:`platformdirs.user_cache_dir`).

    Returns
    -------
    pathlib.Path
        ``$env_var`` if set, else ``<user folder>/wzgeo/<name>``.
    """
    env = os.environ.get(env_var)
    if env:
        return Path(env).expanduser()
    import platformdirs  # here, so that importing wzgeo.paths stays cheap

    base = {
        "config": platformdirs.user_config_dir,
        "data": platformdirs.user_data_dir,
        "cache": platformdirs.user_cache_dir,
    }[folder]
    return Path(base("wzgeo")) / name
