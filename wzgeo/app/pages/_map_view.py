"""The map page's map, drawn once per view and shared by the server's sessions.

Drawing the map page's map is the largest part of a run of the page: building the folium
layers (:func:`wzgeo.maps.webmap.build_map_parts`, with the zones' output intensity) and
``st_folium`` turning them into the scripts it sends to its iframe (≈ 0.2–0.4 s on the
2-core build machine). What it sends depends only on the data (plan tables, geometry, saved
work), the filters, the project → zone assignments and the page's settings, so the
component's arguments are kept per view (:func:`view_key`) in a cache shared by sessions,
and the server's warm-up (:func:`warm_default_views`) draws the first view a new session
opens before any browser asks for it (bench/RESULTS.md, section *app*). Each view drawn is
also kept on disk under a key made from its inputs (:mod:`wzgeo.app.viewcache`), so that
after a restart it is read back instead of drawn.

The arguments are ``st_folium``'s own: it is called as usual, with its call of its
component diverted (for the calling thread only, see :func:`_capture`) into the cache; a
session then calls the same component with them. The iframe, its key and what it shows are
exactly what ``st_folium`` would have sent.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

__all__ = [
    "DEFAULT_STYLE",
    "DEFAULT_TARGET",
    "MAP_HEIGHT_PX",
    "MAP_KEY",
    "STYLES",
    "TARGETS",
    "RenderedMap",
    "rendered_map",
    "show",
    "view_key",
    "warm_default_views",
]

STYLES = ("level", "sector")
TARGETS = (50, 70)
DEFAULT_STYLE = STYLES[0]
DEFAULT_TARGET = TARGETS[0]
#: the map's height: with the page's title and the one row of switches, the whole map fits
#: above the fold of a 1400×900 window (tests/app/test_map_page_browser.py checks)
MAP_HEIGHT_PX = 560
#: the map's widget key (session state holds its last returned value under it)
MAP_KEY = "main_map"
_RETURNED = ("last_object_clicked_tooltip",)


@dataclass(frozen=True)
class RenderedMap:
    """One view of the map page's map (shared, read-only)."""

    #: the map's notes (what could not be drawn and why), shown beside the map
    notes: Any
    #: the zones' output intensity the map was drawn with (for the exports)
    intensity: pd.DataFrame | None
    #: the arguments ``st_folium`` passes to its component (without ``on_change``)
    component: Mapping[str, Any]


# ``st_folium`` builds its arguments and calls ``streamlit_folium._component_func`` with them.
# The wrapper installed below hands them to the calling thread's capture box when one is set
# and otherwise calls the component as before: other threads (sessions) are not affected.
_CAPTURE = threading.local()
_INSTALL_LOCK = threading.Lock()


def _streamlit_folium() -> Any:
    import streamlit_folium as sf

    with _INSTALL_LOCK:
        if not hasattr(sf._component_func, "wz_component"):
            original = sf._component_func
            _register(original)

            def component(**kwargs: Any) -> Any:
                box = getattr(_CAPTURE, "box", None)
                if box is None:
                    return original(**kwargs)
                box.update(kwargs)
                return kwargs.get("default")

            component.wz_component = original  # type: ignore[attr-defined]
            sf._component_func = component
    return sf


def _register(component: Any) -> None:
    """Register the component with the running server when it is not yet.

    ``declare_component`` (run when ``streamlit_folium`` is imported) registers it only
    inside a script run: imported by the server's warm-up thread, its files would not be
    served (the iframe stays hidden).
    """
    from streamlit import runtime

    if not runtime.exists():
        return  # plain Python (tests): nothing serves components
    registry = runtime.get_instance().component_registry
    if registry.get_component_path(component.name) is None:
        registry.register_component(component)


@contextmanager
def _capture() -> Iterator[dict[str, Any]]:
    box: dict[str, Any] = {}
    _CAPTURE.box = box
    try:
        yield box
    finally:
        _CAPTURE.box = None


def _component_args(parts: Any, groups: list[Any]) -> dict[str, Any]:
    """What ``st_folium`` would send for ``parts`` (and ``groups`` after its layers)."""
    sf = _streamlit_folium()
    with _capture() as box:
        # The iframe is keyed on the base map's script only (tiles, district, river): a
        # change of filters, style, target or highlight swaps the dynamic layers in the
        # same iframe instead of re-creating the map.
        sf.st_folium(
            parts.base,
            key=MAP_KEY,
            height=MAP_HEIGHT_PX,
            use_container_width=True,
            returned_objects=list(_RETURNED),
            feature_group_to_add=[*parts.layers, *groups],
            layer_control=parts.layer_control,
            # st_folium renders the map itself as well; rendering its figure first too only
            # repeats that work (same arguments: tests/app/test_map_view.py)
            render=False,
        )
    if "script" not in box:  # a streamlit-folium that no longer calls its component so
        raise RuntimeError("streamlit_folium.st_folium did not call its component")
    box.pop("on_change", None)
    return box


def show(rendered: RenderedMap) -> Any:
    """Send the map to the page (the ``st_folium`` component with the stored arguments)."""
    sf = _streamlit_folium()
    args = dict(rendered.component)
    hash_key = args["key"]
    args["default"] = copy.deepcopy(args.get("default"))

    def on_change() -> None:  # as st_folium's own: the value also under the map's key
        st.session_state[MAP_KEY] = st.session_state.get(hash_key, {})

    return sf._component_func(**args, on_change=on_change)


def _draw(kwargs: Mapping[str, Any], groups: list[Any]) -> RenderedMap:
    from wzgeo.analysis import intensity as zone_intensity
    from wzgeo.maps import webmap

    args = dict(kwargs)
    if args.get("intensity") is None and args.get("projects") is not None:
        args["intensity"] = zone_intensity.zone_intensity(args["projects"], args["zones_all"])
    args.pop("zones_all", None)
    parts = webmap.build_map_parts(**args)
    return RenderedMap(
        notes=getattr(parts.base, "notes", None),
        intensity=args.get("intensity"),
        component=_component_args(parts, groups),
    )


@st.cache_resource(show_spinner=False, max_entries=48)
def _cached(key: tuple[Any, ...], _draw_it: Callable[[], RenderedMap]) -> RenderedMap:
    return _draw_it()


def view_key(
    kwargs: Mapping[str, Any],
    *,
    filters: Any,
    assigned: Mapping[str, str],
    data: tuple[Any, ...],
) -> tuple[Any, ...]:
    """What a view of the map depends on, besides the DataFrames derived from it.

    ``kwargs`` are the map's arguments (their settings: style, target, basemap, language,
    highlight; the intensity follows from the data and filters); ``filters`` and
    ``assigned`` (project → zone) select and place the projects; ``data`` names the data
    (data folder, saved-work revision). The basemap's source is part of the key, so editing
    ``basemaps.toml`` draws anew.
    """
    from wzgeo.maps.basemaps import find_source

    settings = tuple(
        sorted(
            (k, v)
            for k, v in kwargs.items()
            if k != "intensity" and (v is None or isinstance(v, str | int | float))
        )
    )
    basemap = str(kwargs.get("basemap", ""))
    return (
        data,
        filters,
        tuple(sorted(assigned.items())),
        settings,
        repr(find_source(basemap)),
        MAP_HEIGHT_PX,
    )


def rendered_map(
    kwargs: Mapping[str, Any], *, key: tuple[Any, ...] | None, groups: list[Any]
) -> RenderedMap:
    """The map for ``kwargs`` (``build_map_parts``' arguments, plus ``zones_all``, the
    unfiltered zones for the intensity), from the shared cache under ``key``; drawn for
    this run only when ``key`` is None or extra ``groups`` (land-use layers) are drawn."""
    if key is None or groups:
        return _draw(kwargs, groups)
    return _cached(key, lambda: _draw_kept(kwargs))


def _draw_kept(kwargs: Mapping[str, Any]) -> RenderedMap:
    """:func:`_draw` without extra groups, through the views kept on disk
    (:mod:`wzgeo.app.viewcache`: a view drawn before a restart is read back, not redrawn)."""
    from wzgeo.app import viewcache
    from wzgeo.maps.basemaps import find_source

    if kwargs.get("tianditu_key"):  # a user's key is never written to disk
        return _draw(kwargs, [])
    inputs = {
        **kwargs,
        "basemap_source": repr(find_source(str(kwargs.get("basemap", "")))),
        "map_height_px": MAP_HEIGHT_PX,
        "returned": _RETURNED,
    }
    key = viewcache.content_key(inputs)
    kept = viewcache.load(key)
    if isinstance(kept, RenderedMap):
        return kept
    rendered = _draw(kwargs, [])
    viewcache.save(key, rendered)
    return rendered


def _session_running() -> bool:
    """Whether a session is running its script (Streamlit's script thread is alive)."""
    return any(t.name.startswith("ScriptRunner") for t in threading.enumerate() if t.is_alive())


def warm_default_views(basemaps: tuple[str, ...] | None = None) -> int:
    """Draw the view a new session opens (no filters, default style and target, Chinese,
    no highlight) into the shared cache, for the configured default basemap and for
    ``"none"`` (offline); return how many views were drawn.

    Outside a session (the server's warm-up): the same calls with the same arguments as the
    map page makes, with the saved assignments and no session ones. Stops as soon as a
    session runs its script (that session draws its own view, without competition).
    """
    from wzgeo.app import state as appstate
    from wzgeo.maps.basemaps import load_basemaps
    from wzgeo.paths import geodata_dir

    tables = appstate.plan_tables()
    geo = appstate.geometry()
    if tables.zones is None or tables.projects is None:
        return 0
    if geo.district is None or geo.zones_geo is None:
        return 0
    if basemaps is None:
        basemaps = tuple(dict.fromkeys((load_basemaps().default, "none")))
    filters = appstate.Filters()
    filter_key = tuple(sorted(filters.to_params().items()))
    assigned = appstate.stored_assignments()
    projects = appstate.filtered_projects(
        tables.projects, filters, sectors=tables.sectors, assigned=assigned
    )
    zones = appstate.filter_zones(tables.zones, filters)
    data = (str(geodata_dir()), appstate.store_revision())
    intensity = None  # the same for every basemap: computed once
    drawn = 0
    for basemap in basemaps:
        from wzgeo.maps.basemaps import find_source

        if _session_running():
            # A browser is already here: its session draws the view it asks for; drawing
            # another one now would only compete with it for the CPU (bench/RESULTS.md,
            # section app: both draws then took twice as long, the first map paint waited).
            break
        source = find_source(basemap)
        if source is not None and source.needs_key:
            continue  # drawn without tiles until the user gives a key: not the first view
        kwargs: dict[str, Any] = {
            "district": geo.district,
            "zones_geo": geo.zones_geo,
            "zones": zones,
            "zones_all": tables.zones,
            "projects": projects,
            "intensity": intensity,
            "river": geo.river,
            "sectors": tables.sectors,
            "lang": "zh",
            "highlight": None,
            "style": DEFAULT_STYLE,
            "target_yi_per_km2": DEFAULT_TARGET,
            "basemap": basemap,
            "tianditu_key": None,
        }
        key = view_key(kwargs, filters=filter_key, assigned=assigned, data=data)
        intensity = rendered_map(kwargs, key=key, groups=[]).intensity
        drawn += 1
    return drawn
