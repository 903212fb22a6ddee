"""Drawn map views kept on disk, so that a restarted server sends its first map at once.

Drawing the map page's map (output intensity, folium layers, what ``st_folium`` sends) takes
≈ 0.3–0.5 s of the first session's run after a server start, on the 2-core build machine
the largest part of the gap between the app's first map paint and the bare Streamlit +
folium page of ``bench/floor_app.py`` (bench/RESULTS.md, section *app*). The view depends
only on its inputs, so :mod:`wzgeo.app.pages._map_view` keeps each view it draws here as
well, under a key made from the inputs themselves (:func:`content_key`): the DataFrames and
geometry the map is drawn from (pickled and hashed — no file names, store paths or revision
counters, so a changed data file or a saved-work edit can never be answered with an old
map), the settings, a fingerprint of wzgeo's own code and assets, and the versions of the
libraries that write the map. Whatever changes, the key changes and the view is drawn anew;
an unchanged view after a restart is read back in a few milliseconds.

Where: ``$WZGEO_CACHE_DIR`` if set, else ``<user cache folder>/wzgeo/views``
(:func:`platformdirs.user_cache_dir`); ``WZGEO_CACHE_DIR=off`` turns it off. Files are
pickles written by this module: the folder is created private (0700) and is used only when
it belongs to the server's user and nobody else may write to it; a file that cannot be read
back is removed and the view drawn. At most :data:`MAX_FILES` views are kept (least
recently used go first). Every failure here is logged and leaves the drawing to the caller:
the cache can make a first view faster, never wrong, never missing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["CACHE_ENV", "MAX_FILES", "cache_dir", "content_key", "load", "save"]

log = logging.getLogger(__name__)

#: environment variable naming the folder (``off`` turns the cache off)
CACHE_ENV = "WZGEO_CACHE_DIR"
#: views kept on disk (≈ 0.5 MB each)
MAX_FILES = 32
#: bump when what is stored changes shape
_FORMAT = 1
_SUFFIX = ".view.pickle"
# the libraries whose output (or pickles) a stored view holds
_LIBRARIES = (
    "branca",
    "folium",
    "geopandas",
    "jinja2",
    "numpy",
    "pandas",
    "pyproj",
    "shapely",
    "streamlit",
    "streamlit-folium",
    "xstatic-leaflet",
    "xstatic-leaflet-markercluster",
)


def cache_dir() -> Path | None:
    """The folder views are kept in, created if needed; None when off or not safe to use."""
    env = os.environ.get(CACHE_ENV, "")
    if env.strip().lower() == "off":
        return None
    from wzgeo.paths import user_file

    folder = user_file(CACHE_ENV, "views", folder="cache")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError as e:
        log.warning("map view cache off: cannot create %s (%s)", folder, e)
        return None
    if not stat.S_ISDIR(info.st_mode):
        log.warning("map view cache off: %s is not a folder", folder)
        return None
    if hasattr(os, "getuid") and (
        info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    ):
        # pickles are only read from a folder nobody else can write to
        log.warning(
            "map view cache off: %s must belong to this user and not be writable by others "
            "(chmod 700 it, or set %s to another folder or to 'off')",
            folder,
            CACHE_ENV,
        )
        return None
    return folder


@cache
def _code_fingerprint() -> str:
    """Hash of wzgeo's own source and assets, the Python and the libraries' versions."""
    from importlib import metadata

    root = Path(__file__).resolve().parent.parent  # the wzgeo package
    h = hashlib.sha256(f"{_FORMAT}|{sys.version}".encode())
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    for name in _LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        h.update(f"|{name}={version}".encode())
    return h.hexdigest()


def content_key(inputs: Mapping[str, Any]) -> str | None:
    """Key of a view drawn from ``inputs`` (name → value: DataFrames, geometry, settings).

    None when an input cannot be pickled (such a view is not kept on disk).
    """
    h = hashlib.sha256(_code_fingerprint().encode())
    for name in sorted(inputs):
        try:
            data = pickle.dumps(inputs[name], protocol=5)
        except Exception:  # e.g. a lambda in a setting: not kept, drawn each time
            log.debug("map view not kept on disk: %s cannot be pickled", name)
            return None
        h.update(f"|{name}|{len(data)}|".encode())
        h.update(data)
    return h.hexdigest()


def _path(folder: Path, key: str) -> Path:
    return folder / f"{key}{_SUFFIX}"


def load(key: str | None) -> Any | None:
    """The value kept under ``key``, or None (not kept, cache off, or unreadable)."""
    if key is None:
        return None
    folder = cache_dir()
    if folder is None:
        return None
    path = _path(folder, key)
    try:
        info = path.stat()
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return None
        with path.open("rb") as f:
            value = pickle.load(f)  # written by save(), in a private folder
        os.utime(path)  # recently used: pruned last
    except FileNotFoundError:
        return None
    except Exception as e:  # truncated, written by an incompatible version …
        log.warning("map view cache: %s unreadable (%s); drawing anew", path.name, e)
        path.unlink(missing_ok=True)
        return None
    return value


def save(key: str | None, value: Any) -> bool:
    """Keep ``value`` under ``key`` (atomically; then prune); return whether it was kept."""
    if key is None:
        return False
    folder = cache_dir()
    if folder is None:
        return False
    try:
        data = pickle.dumps(value, protocol=5)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, _path(folder, key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except Exception as e:  # full disk, read-only folder …: the view stays in memory only
        log.warning("map view cache: could not keep a view in %s (%s)", folder, e)
        return False
    _prune(folder)
    return True


def _prune(folder: Path) -> None:
    """Remove the least recently used views beyond :data:`MAX_FILES`."""
    try:
        files = sorted(folder.glob(f"*{_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[MAX_FILES:]:
            old.unlink(missing_ok=True)
    except OSError as e:
        log.debug("map view cache: pruning failed (%s)", e)
