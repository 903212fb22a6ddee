"""State shared by the Streamlit pages: language, filters ↔ URL query, cached loaders.

The app (``app.py``) and its pages (``wzgeo/app/pages/*.py``) only wire library functions; this
module holds the small amount of glue they share:

- the language switch (中文 default, English) and :func:`tr` for inline UI text;
- :class:`Filters` (sector, sub-sector, stage, years, zone), converted to and from the URL
  query so a view can be shared, and :func:`apply_filters` (pure, testable without Streamlit);
- cached loaders for the plan tables and geometry, which never raise for a missing or broken
  data file: they return ``None`` with the error, and the page shows it (or
  :func:`notice_missing`);
- the session's project → zone assignments and their overlay on the projects table.

Nothing is kept in module globals: per-user state lives in ``st.session_state`` and
``st.query_params``; shared read-only data lives in Streamlit's caches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from wzgeo import labels
from wzgeo.analysis import balance, sitingcache
from wzgeo.app._text import plain
from wzgeo.errors import WzgeoError
from wzgeo.geo import basedata, zonegeom
from wzgeo.paths import geodata_dir
from wzgeo.plan import data as plandata
from wzgeo.store.core import Store, default_store_path, open_store
from wzgeo.store.overlays import apply_assignments

__all__ = [
    "LANGS",
    "STAGES",
    "Filters",
    "apply_filters",
    "assignments",
    "choice_key",
    "col_labels",
    "effective_projects",
    "filter_zones",
    "filtered_projects",
    "fit_table",
    "geometry",
    "keep_choices",
    "lang",
    "lbl",
    "login_limiter",
    "notice_missing",
    "plan_tables",
    "render_sidebar",
    "rules_table",
    "serving_on_network",
    "show_error",
    "store_revision",
    "sync_query",
    "top_sector",
    "tr",
    "valid_choice",
    "warm_caches",
]

log = logging.getLogger(__name__)
_C = TypeVar("_C")

LANGS = ("zh", "en")
STAGES = ("planning", "tracking", "negotiating", "signed", "building", "operating")
#: session_state keys of the sidebar widgets and the URL query parameter each one maps to
_FILTER_KEYS = {
    "sector": "flt_sector",
    "subsector": "flt_subsector",
    "stage": "flt_stage",
    "zone": "flt_zone",
    "years": "flt_years",
}


# --------------------------------------------------------------------------------------------
# language


def lang() -> str:
    """The current UI language, ``"zh"`` (default) or ``"en"``."""
    value = st.session_state.get("lang")
    if value not in LANGS:
        value = st.query_params.get("lang", "zh")
    return value if value in LANGS else "zh"


def tr(zh: str, en: str) -> str:
    """Pick the Chinese or English text for the current language."""
    return en if lang() == "en" else zh


def show_error(err: WzgeoError) -> None:
    """Show a user-caused error in both languages (current language first), no traceback."""
    first = err.message(lang())
    second = err.message("zh" if lang() == "en" else "en")
    first, second = plain(first), plain(second)
    st.error(first if first == second else f"{first}\n\n{second}", icon=":material/error:")


# --------------------------------------------------------------------------------------------
# option widgets across a language switch

#: session key: the keys of option widgets (radio, selectbox, multiselect) whose labels follow
#: the language; see :func:`choice_key`
_CHOICE_KEYS = "_choice_keys"
#: session key: the language the widgets were last drawn in
_LANG_SHOWN = "_lang_shown"


def choice_key(key: str) -> str:
    """``key``, registered as the key of an option widget whose ``format_func`` follows the
    language (pass it as the widget's ``key``).

    Streamlit keeps an option widget's value in the browser as its *label*; after a language
    switch the old label matches no option, the widget falls back to its default and a page
    could even read a label where it expects an id (issue 11: ``int('50 亿元/km²（2025）')``).
    On the first run in a new language, :func:`keep_choices` writes each registered widget's
    id back into session state before the widget is drawn, so the widget keeps its choice and
    every page reads ids, never labels.
    """
    keys: set[str] = st.session_state.setdefault(_CHOICE_KEYS, set())
    keys.add(key)
    return key


def keep_choices() -> None:
    """On the first run after a language switch, keep every registered option widget's choice.

    Before a widget is drawn in a run, ``st.session_state[key]`` reads the browser's label
    with the previous run's options (the old language), which gives the chosen id; writing
    that id back makes Streamlit show it with this run's labels. Runs before any widget.
    """
    ss = st.session_state
    current = lang()
    shown = ss.get(_LANG_SHOWN)
    ss[_LANG_SHOWN] = current
    if shown is None or shown == current:
        return
    for key in sorted(ss.get(_CHOICE_KEYS, ())):
        if key in ss:
            ss[key] = ss[key]


def valid_choice(value: Any, options: Iterable[_C], default: _C) -> _C:
    """``value`` when it is one of ``options`` (compared as text too, for URL values),
    else ``default``: a page never acts on a label or a stale value."""
    for option in options:
        if value == option or str(value) == str(option):
            return option
    return default


# --------------------------------------------------------------------------------------------
# deployment: who can reach the server


_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def serving_on_network(address: str | None = None) -> bool:
    """True unless the server listens on this machine only (``server.address`` loopback).

    The shipped ``.streamlit/config.toml`` sets ``address = "127.0.0.1"``; Streamlit's own
    default (no address) listens on every interface, so an unset address counts as a
    network. Served on a network, editing needs configured users (view-only otherwise).
    """
    if address is None:
        address = st.get_option("server.address")
    address = str(address or "").strip()
    return not (address in _LOOPBACK or address.startswith("127."))


@st.cache_resource(show_spinner=False)
def login_limiter() -> Any:
    """The server's :class:`~wzgeo.store.auth.LoginLimiter` (one per process, all sessions)."""
    from wzgeo.store.auth import LoginLimiter

    return LoginLimiter()


def _deployment_notice() -> None:
    """On a network without configured users: say on every page that the app is view-only."""
    if not serving_on_network():
        return
    from wzgeo.store import auth

    try:
        store_path = default_store_path()
        recorded = get_store().users_file() if store_path.exists() else None
        mode = auth.editing_mode(recorded, required=recorded is not None)
    except WzgeoError as e:
        log.warning("users not readable: %s", e.en)
        return
    if not mode.configured:
        st.sidebar.warning(
            tr(
                "只读：本应用在网络上提供服务，但未配置用户，因此任何人都不能编辑。"
                "管理员可用 `wzgeo users add 用户名` 添加用户（文件位置 WZGEO_USERS）。",
                "View-only: this app is served on a network and no users are configured, so "
                "nobody can edit. An administrator adds users with `wzgeo users add NAME` "
                "(file: WZGEO_USERS).",
            ),
            icon=":material/visibility:",
        )


# --------------------------------------------------------------------------------------------
# labels and notices


def notice_missing(what_zh: str, what_en: str) -> None:
    """A clear notice that a part of a page cannot be shown (its data is missing or broken)."""
    st.info(
        tr(
            f"此功能暂不可用：{what_zh} 尚未就绪。其余页面照常使用。",
            f"Not available yet: {what_en} is not ready. The rest of the app works as usual.",
        ),
        icon=":material/info:",
    )


def lbl(key: str) -> str:
    """Display label of a column or ``"<group>.<value>"`` key (``wzgeo.labels``)."""
    return str(labels.label(key, lang()))


def value_label(group: str, value: object) -> str:
    """Display label of a coded value (stage, sector, level ...) in the current language."""
    return str(labels.value_label(group, value, lang()))


def col_labels(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with display column labels in the current language."""
    return df.rename(columns=labels.column_labels(list(df.columns), lang()))


def fmt(options: Iterable[Any], fn: Callable[[Any], str]) -> Callable[[Any], str]:
    """A widget ``format_func`` with the labels fixed now (in the current language).

    Labels are computed once per run, so the function does not read session state later
    (``AppTest`` calls ``format_func`` outside the script run).
    """
    mapping = {o: fn(o) for o in options}
    return lambda v: mapping.get(v, str(v))


_CODED = {
    "sector_id": "sector",
    "stage": "stage",
    "location_label": "location_label",
    "level": "level",
    "geometry_quality": "geometry_quality",
}


def display_values(df: pd.DataFrame, tables: PlanTables | None = None) -> pd.DataFrame:
    """A copy of ``df`` with coded values (sector, stage, level, location label, zone) shown
    as labels in the current language; ids (``project_id``) are kept."""
    out = df.copy()
    for col, group in _CODED.items():
        if col in out.columns:
            out[col] = out[col].map(lambda v, g=group: value_label(g, v))
    if tables is not None and "zone_id" in out.columns and "project_id" in out.columns:
        zone_names = names(tables)
        out["zone_id"] = out["zone_id"].map(
            lambda z: zone_names.get(str(z), str(z)) if isinstance(z, str) and z else ""
        )
    return out


def stage_label(stage: str) -> str:
    """Label of a project stage."""
    return value_label("stage", stage)


# --------------------------------------------------------------------------------------------
# cached loaders


@dataclass(frozen=True)
class PlanTables:
    """The plan's tables, as loaded by :mod:`wzgeo.plan.data` (``None`` where missing)."""

    zones: pd.DataFrame | None = None
    projects: pd.DataFrame | None = None
    indicators: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None
    sectors: pd.DataFrame | None = None
    errors: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@st.cache_data(show_spinner=False)
def _plan_tables(data_dir: str) -> PlanTables:
    out: dict[str, pd.DataFrame | None] = {}
    errors: list[tuple[str, str]] = []
    loaders: dict[str, Callable[[], pd.DataFrame]] = {
        "zones": plandata.load_zones,
        "projects": plandata.load_projects,
        "indicators": plandata.load_indicators,
        "targets": plandata.load_targets,
        "sectors": plandata.load_sectors,
    }
    for name, fn in loaders.items():
        try:
            out[name] = fn()
        except FileNotFoundError as e:
            out[name] = None
            errors.append((f"数据文件 {e.filename}", f"data file {e.filename}"))
        except WzgeoError as e:
            out[name] = None
            errors.append((e.zh, e.en))
    return PlanTables(**out, errors=tuple(errors))


def plan_tables() -> PlanTables:
    """The plan's tables, cached per data folder (``$WZGEO_GEODATA`` or ``geodata/``)."""
    return _plan_tables(str(geodata_dir()))


@dataclass(frozen=True)
class Geometry:
    """District outline, river, zone polygons (``None`` where missing)."""

    district: Any = None
    river: Any = None
    zones_geo: Any = None
    errors: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@st.cache_resource(show_spinner=False)
def _cached_store(path: str) -> Store:
    return open_store(path)


def get_store(path: str | None = None) -> Store:
    """The store at ``path`` (default ``$WZGEO_STORE`` / user data dir), cached per process.

    A :class:`~wzgeo.store.core.Store` holds no connection, so sharing it between sessions is safe.
    """
    return _cached_store(str(path or default_store_path()))


def store_revision() -> tuple[str, int]:
    """The saved-work store's path and how many changes it holds (0 when there is none yet).

    Used as a cache key: data overlaid with the saved work is recomputed after every change
    made on the Saved work page (or by the CLI), and per store file.
    """

    path = default_store_path()
    if not path.exists():
        return (str(path), 0)

    try:
        return (str(path), int(get_store().counts()["changes"]))
    except WzgeoError as e:
        log.warning("store not readable: %s", e.en)
        return (str(path), 0)


def _stored(method: str) -> Any:
    """A table of the saved-work store (``zone_boundaries``, ``sector_fit_edits`` …), or None."""

    if not default_store_path().exists():
        return None
    try:
        table = getattr(get_store(), method)()
    except WzgeoError as e:
        log.warning("store not readable: %s", e.en)
        return None
    return None if table.empty else table


_T = TypeVar("_T")


def _overlaid(
    table: _T, method: str, apply: Callable[[_T, Any], _T], revision: tuple[str, int]
) -> _T:
    """``table`` with the saved work of ``Store.<method>()`` applied by ``apply``; ``table``
    itself when the store has no revision yet or holds nothing of that kind."""
    saved = _stored(method) if revision[1] else None
    return table if saved is None else apply(table, saved)


@st.cache_resource(show_spinner=False)
def _geometry(data_dir: str, revision: tuple[str, int] = ("", 0)) -> Geometry:
    out: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    loaders: dict[str, Callable[[], Any]] = {
        "district": basedata.load_district,
        "river": basedata.load_river,
        "zones_geo": zonegeom.load_zone_geometry,
    }
    for key, fn in loaders.items():
        try:
            out[key] = fn()
        except FileNotFoundError as e:
            out[key] = None
            errors.append((f"数据文件 {e.filename}", f"data file {e.filename}"))
        except WzgeoError as e:
            out[key] = None
            errors.append((e.zh, e.en))
    if out.get("zones_geo") is not None:
        from wzgeo.store.overlays import apply_zone_boundaries

        out["zones_geo"] = _overlaid(
            out["zones_geo"], "zone_boundaries", apply_zone_boundaries, revision
        )
    return Geometry(**out, errors=tuple(errors))


def geometry() -> Geometry:
    """District, river and zone geometry, with the official boundaries saved in the store
    replacing schematic ones; cached per data folder and store revision (shared, read-only).
    """
    return _geometry(str(geodata_dir()), store_revision())


@st.cache_data(show_spinner=False)
def _fit(data_dir: str, revision: tuple[str, int]) -> pd.DataFrame:
    from wzgeo.analysis.sectorfit import load_sector_fit
    from wzgeo.store.overlays import apply_sector_fit_edits

    return _overlaid(load_sector_fit(), "sector_fit_edits", apply_sector_fit_edits, revision)


def fit_table() -> pd.DataFrame:
    """The sector × zone fit with the store's edits (raises WzgeoError for a broken file)."""
    return _fit(str(geodata_dir()), store_revision())


@st.cache_data(show_spinner=False)
def _rules(data_dir: str, revision: tuple[str, int]) -> pd.DataFrame:
    from wzgeo.analysis.rules import load_rules
    from wzgeo.store.overlays import apply_land_rule_edits

    return _overlaid(load_rules(), "land_rule_edits", apply_land_rule_edits, revision)


def rules_table() -> pd.DataFrame:
    """The land-use control rules with the store's edits (raises WzgeoError if broken)."""
    return _rules(str(geodata_dir()), store_revision())


# --------------------------------------------------------------------------------------------
# filters


def _split(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(v for v in (p.strip() for p in value.split(",")) if v)


@dataclass(frozen=True)
class Filters:
    """Project/zone filters; empty means "all"."""

    sectors: tuple[str, ...] = ()
    subsectors: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    years: tuple[int, int] | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> Filters:
        """Read filters from URL query parameters (unknown or malformed values ignored)."""
        years: tuple[int, int] | None = None
        raw = params.get("years", "")
        if raw:
            parts = raw.split("-")
            if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
                lo, hi = sorted((int(parts[0]), int(parts[1])))
                years = (lo, hi)
        return cls(
            sectors=_split(params.get("sector")),
            subsectors=_split(params.get("subsector")),
            stages=tuple(s for s in _split(params.get("stage")) if s in STAGES),
            zones=_split(params.get("zone")),
            years=years,
        )

    def to_params(self) -> dict[str, str]:
        """URL query parameters for these filters (empty filters left out)."""
        out: dict[str, str] = {}
        for key, values in (
            ("sector", self.sectors),
            ("subsector", self.subsectors),
            ("stage", self.stages),
            ("zone", self.zones),
        ):
            if values:
                out[key] = ",".join(values)
        if self.years is not None:
            out["years"] = f"{self.years[0]}-{self.years[1]}"
        return out

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.to_params())


def top_sector(sector_id: str, sectors: pd.DataFrame | None) -> str:
    """The top-level sector of ``sector_id`` (itself if it has no parent)."""
    if sectors is None or "parent_id" not in sectors.columns:
        return sector_id
    parents = dict(zip(sectors["sector_id"], sectors["parent_id"], strict=True))
    seen: set[str] = set()
    current = sector_id
    while current not in seen:
        seen.add(current)
        parent = parents.get(current)
        if not isinstance(parent, str) or not parent:
            return current
        current = parent
    return current


def apply_filters(
    projects: pd.DataFrame, filters: Filters, *, sectors: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Projects matching ``filters`` (a new frame; the input is not changed).

    A project matches the sector filter by its top-level sector, the sub-sector filter by its
    own ``sector_id``, the years filter when its start–end span overlaps the range, and the
    zone filter by ``zone_id`` (after any assignment overlay).
    """
    keep = pd.Series(True, index=projects.index)
    if filters.sectors and "sector_id" in projects.columns:
        tops = (
            projects["sector_id"].astype("string").fillna("").map(lambda s: top_sector(s, sectors))
        )
        keep &= tops.isin(filters.sectors)
    if filters.subsectors and "sector_id" in projects.columns:
        keep &= projects["sector_id"].isin(filters.subsectors)
    if filters.stages and "stage" in projects.columns:
        keep &= projects["stage"].astype("string").isin(filters.stages).fillna(False)
    if filters.zones and "zone_id" in projects.columns:
        keep &= projects["zone_id"].astype("string").isin(filters.zones).fillna(False)
    if filters.years is not None and {"start_year", "end_year"} <= set(projects.columns):
        lo, hi = filters.years
        start = pd.to_numeric(projects["start_year"], errors="coerce")
        end = pd.to_numeric(projects["end_year"], errors="coerce").fillna(start)
        keep &= ((start <= hi) & (end >= lo)).fillna(False).astype(bool)
    return projects.loc[keep.astype(bool)].copy()


def filter_zones(zones: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Zones matching the zone filter (all zones when it is empty)."""
    if not filters.zones or "zone_id" not in zones.columns:
        return zones.copy()
    return zones.loc[zones["zone_id"].isin(filters.zones)].copy()


def sync_query(params: Mapping[str, str], *, owned: Iterable[str]) -> None:
    """Write ``params`` into the URL query; delete ``owned`` keys that are not in ``params``."""
    qp = st.query_params
    for key in owned:
        if key in params:
            if qp.get(key) != params[key]:
                qp[key] = params[key]
        elif key in qp:
            del qp[key]


# --------------------------------------------------------------------------------------------
# session assignments (project → zone), kept for the session in this issue


def stored_assignments() -> dict[str, str]:
    """Project → zone assignments saved in the store (the Saved work page), if any."""

    try:
        table = get_store().assignments()
    except WzgeoError as e:
        log.warning("store not readable: %s", e.en)
        return {}
    return dict(zip(table["project_id"].astype(str), table["zone_id"].astype(str), strict=True))


def all_assignments() -> dict[str, str]:
    """Saved assignments overlaid by this session's (the session's win)."""
    return {**stored_assignments(), **assignments()}


def assignments() -> dict[str, str]:
    """The session's project → zone assignments (mutable dict in session state)."""
    value: dict[str, str] = st.session_state.setdefault("assignments", {})
    return value


def _assignment_table(chosen: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"project_id": list(chosen), "zone_id": list(chosen.values())}, dtype="string"
    )


@st.cache_data(show_spinner=False)
def _locations(
    data_dir: str, chosen: tuple[tuple[str, str], ...], revision: tuple[str, int] = ("", 0)
) -> pd.DataFrame | None:
    """Project locations (plan > assigned > suggested) from
    ``wzgeo.analysis.siting``/``balance``."""
    tables = _plan_tables(data_dir)
    if tables.projects is None or tables.zones is None:
        return None
    assigned = _assignment_table(dict(chosen)) if chosen else None
    try:
        fit = _fit(data_dir, revision)
    except WzgeoError as e:  # a broken sector_fit.csv: locate without suggestions
        log.warning("sector fit not available: %s", e.en)
        return balance.locate_projects(tables.projects, zones=tables.zones, assignments=assigned)
    # the shipped tables' answer is stored (geodata/plan/siting.json): no solving at start-up
    return sitingcache.suggest_locations(tables.projects, tables.zones, fit, assignments=assigned)


def locations(assigned: Mapping[str, str] | None = None) -> pd.DataFrame | None:
    """Where each project sits (``project_id``, ``plan_zone_id``, ``zone_id``,
    ``location_label`` plan | assigned | suggested | unlocated), with this session's
    assignments (or ``assigned``, e.g. outside a session); ``None`` when the zones or
    projects table could not be loaded."""
    chosen = tuple(sorted((all_assignments() if assigned is None else assigned).items()))
    revision = store_revision()
    try:
        return _locations(str(geodata_dir()), chosen, revision)
    except WzgeoError as e:  # e.g. a saved assignment to a zone that no longer exists
        show_error(e)
        return _locations(str(geodata_dir()), (), revision)


def warm_caches() -> None:
    """Fill the shared caches the first page reads, outside any session.

    Plan tables, geometry, sector fit and the project locations with the saved assignments —
    the same calls, with the same arguments, as a new session makes, so the session finds
    them cached (:mod:`wzgeo.app.server` runs this when the server starts). A broken data
    file is left for the page to report.
    """
    data_dir = str(geodata_dir())
    revision = store_revision()
    _plan_tables(data_dir)  # these two keep load errors in their result
    _geometry(data_dir, revision)
    chosen = tuple(sorted(stored_assignments().items()))
    for warm in (lambda: _fit(data_dir, revision), lambda: _locations(data_dir, chosen, revision)):
        try:
            warm()
        except WzgeoError as e:  # e.g. a broken sector_fit.csv: the page reports it
            log.info("warm-up skipped a cache (the page will show why): %s", e.en)


def filtered_projects(
    projects: pd.DataFrame,
    filters: Filters,
    *,
    sectors: pd.DataFrame | None = None,
    assigned: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The projects placed in zones (:func:`effective_projects`) that match ``filters``
    (:func:`apply_filters`): what the pages list, map and sum."""
    return apply_filters(effective_projects(projects, assigned=assigned), filters, sectors=sectors)


def effective_projects(
    projects: pd.DataFrame, *, assigned: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Projects placed in zones: the plan's zone, else the session's assignment, else the
    suggested one (``wzgeo.analysis.siting``); ``location_label`` says which, ``plan_zone_id`` keeps
    the plan's own zone.

    ``assigned`` replaces the saved and session assignments (:func:`all_assignments`), e.g.
    outside a session (the server's warm-up).
    """
    out = projects.copy()
    loc = locations(assigned)
    if loc is not None:
        by_id = loc.drop_duplicates("project_id").set_index("project_id")
        key = out["project_id"].astype("string")
        out["plan_zone_id"] = key.map(by_id["plan_zone_id"])
        out["zone_id"] = key.map(by_id["zone_id"])
        out["location_label"] = key.map(by_id["location_label"]).astype("object")
        return out
    chosen = all_assignments() if assigned is None else dict(assigned)
    has_zone = (
        out["zone_id"].astype("string").fillna("") != ""
        if "zone_id" in out.columns
        else pd.Series(False, index=out.index)
    )
    out["location_label"] = has_zone.map({True: "plan", False: "unlocated"}).astype("object")
    if not chosen or "zone_id" not in out.columns:
        return out
    return apply_assignments(out, _assignment_table(chosen))


# --------------------------------------------------------------------------------------------
# sidebar


def _options(tables: PlanTables) -> dict[str, list[str]]:
    sectors = tables.sectors
    projects = tables.projects
    top: list[str] = []
    sub: list[str] = []
    if sectors is not None and "parent_id" in sectors.columns:
        parent = sectors["parent_id"].astype("string").fillna("")
        top = sectors.loc[parent == "", "sector_id"].tolist()
        sub = sectors.loc[parent != "", "sector_id"].tolist()
    elif projects is not None and "sector_id" in projects.columns:
        top = sorted(projects["sector_id"].dropna().unique().tolist())
    zones = tables.zones["zone_id"].tolist() if tables.zones is not None else []
    return {"sector": top, "subsector": sub, "zone": zones, "stage": list(STAGES)}


def names(tables: PlanTables) -> dict[str, str]:
    """id → display name (sectors and zones) in the current language."""
    col = "name_en" if lang() == "en" else "name_zh"
    out: dict[str, str] = {}
    for df, id_col in ((tables.sectors, "sector_id"), (tables.zones, "zone_id")):
        if df is not None and id_col in df.columns:
            shown = df[col] if col in df.columns else df[id_col]
            out.update(zip(df[id_col].astype(str), shown.astype(str), strict=True))
    return out


def _year_bounds(projects: pd.DataFrame | None) -> tuple[int, int] | None:
    if projects is None or not {"start_year", "end_year"} <= set(projects.columns):
        return None
    years = pd.concat(
        [
            pd.to_numeric(projects["start_year"], errors="coerce"),
            pd.to_numeric(projects["end_year"], errors="coerce"),
        ]
    ).dropna()
    if years.empty:
        return None
    return int(years.min()), int(years.max())


_FILTERS_DRAWN = "_filter_widgets_drawn"

#: On a browser session's first view of the map page, what the map's first paint does not
#: need follows by a rerun this many seconds later (:func:`first_view`).
FIRST_VIEW_DELAY_S = 1.0


def first_view(page: str) -> bool:
    """Whether this run is a browser session's first view of ``page``, whose parts that the
    first paint does not need are left for a rerun :data:`FIRST_VIEW_DELAY_S` later
    (:func:`finish_first_view` starts it).

    The map comes first: on the first view of the map page, the browser's work on the other
    widgets (loading the code of each kind of widget and drawing it, on the page's one main
    thread) delayed the map's first paint — the two data grids by ≈ 0.3 s, the sidebar's
    filter boxes and slider together with the export and print widgets below the map by
    another ≈ 0.3 s (bench/RESULTS.md, section app). Without a browser (Streamlit's AppTest:
    no request headers) there is no paint to wait for and everything is drawn at once.
    """
    return bool(st.context.headers) and not st.session_state.get(f"_first_view_done_{page}")


def finish_first_view(page: str) -> None:
    """A timed fragment whose first tick reruns the app with all of ``page`` (see
    :func:`first_view`)."""
    armed = f"_first_view_armed_{page}"

    @st.fragment(run_every=FIRST_VIEW_DELAY_S)
    def _later() -> None:
        if st.session_state.get(armed):  # the timer's first tick: draw the rest
            st.session_state[f"_first_view_done_{page}"] = True
            st.rerun()
        st.session_state[armed] = True

    _later()


def load_query(tables: PlanTables) -> None:
    """Once per session, before anything is drawn: the language and the filters from the URL
    query (ids the data knows only; the years within the data's)."""
    ss = st.session_state
    qp = st.query_params
    if not ss.get("_query_loaded"):
        ss["_query_loaded"] = True
        if qp.get("lang") in LANGS:
            ss["lang"] = qp.get("lang")
        opts = _options(tables)
        bounds = _year_bounds(tables.projects)
        loaded = Filters.from_params(qp.to_dict())
        for key, values in (
            ("sector", loaded.sectors),
            ("subsector", loaded.subsectors),
            ("stage", loaded.stages),
            ("zone", loaded.zones),
        ):
            ss[_FILTER_KEYS[key]] = [v for v in values if v in opts[key]]
        if bounds is not None:
            lo, hi = loaded.years or bounds
            lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
            ss[_FILTER_KEYS["years"]] = (lo, hi) if lo <= hi else bounds
        if qp.get("sel"):
            ss["highlight"] = qp.get("sel")
    if ss.get("lang") not in LANGS:
        ss["lang"] = "zh"


def render_sidebar(tables: PlanTables, *, filter_widgets: bool = True) -> Filters:
    """Language switch and filter widgets; the filters, also written to the URL.

    The URL query is read first when no run has read it yet (:func:`load_query`; app.py
    calls that earlier, for the page names). With ``filter_widgets=False`` (a browser
    session's first view of the map page, see :func:`first_view`) the filter widgets are left
    for the next run and the filters are those the session holds (from the URL query on a
    first run).
    """
    ss = st.session_state
    opts = _options(tables)
    bounds = _year_bounds(tables.projects)
    sb = st.sidebar
    load_query(tables)
    keep_choices()  # before any widget: option widgets keep their ids across a switch
    sb.radio(
        "语言 / Language",
        options=list(LANGS),
        format_func=lambda v: "中文" if v == "zh" else "English",
        key="lang",
        horizontal=True,
    )
    id_names = names(tables)
    _deployment_notice()
    sb.header(tr("筛选", "Filters"))
    if not any(opts.values()) or tables.projects is None:
        sb.caption(tr("数据未加载，筛选不可用。", "Data not loaded; filters unavailable."))

    def choose(name: str, title: str, format_func: Callable[[Any], str]) -> None:
        """A multiselect of the filter ``name`` (empty: all)."""
        sb.multiselect(
            title,
            opts[name],
            format_func=format_func,
            key=choice_key(_FILTER_KEYS[name]),
            placeholder=tr("全部", "All"),
        )

    ykey = _FILTER_KEYS["years"]
    with_years = bounds is not None and bounds[0] < bounds[1]
    if with_years and (not isinstance(ss.get(ykey), tuple | list) or len(ss[ykey]) != 2):
        ss[ykey] = bounds
    if filter_widgets or ss.get(_FILTERS_DRAWN):  # once drawn, never taken away
        ss[_FILTERS_DRAWN] = True
        choose("sector", tr("产业", "Sector"), lambda v: id_names.get(v, v))
        choose("subsector", tr("细分产业", "Sub-sector"), lambda v: id_names.get(v, v))
        choose("stage", tr("推进阶段", "Stage"), fmt(opts["stage"], stage_label))
        if with_years:
            assert bounds is not None
            sb.slider(
                tr("建设年份", "Years"),
                min_value=bounds[0],
                max_value=bounds[1],
                key=ykey,
            )
        choose("zone", tr("园区", "Zone"), lambda v: id_names.get(v, v))
    else:
        sb.caption(tr("筛选项随后显示……", "The filters follow…"))
    years: tuple[int, int] | None = None
    if with_years:
        assert bounds is not None
        value = ss[ykey]
        years = (int(value[0]), int(value[1]))
        if years == bounds:
            years = None
    filters = Filters(
        sectors=tuple(ss.get(_FILTER_KEYS["sector"], ())),
        subsectors=tuple(ss.get(_FILTER_KEYS["subsector"], ())),
        stages=tuple(ss.get(_FILTER_KEYS["stage"], ())),
        zones=tuple(ss.get(_FILTER_KEYS["zone"], ())),
        years=years,
    )
    params = filters.to_params()
    if lang() != "zh":
        params["lang"] = lang()
    sync_query(params, owned=(*_FILTER_KEYS, "lang"))
    ss["filters"] = filters
    return filters


def current_filters() -> Filters:
    """The filters set in the sidebar on this run."""
    value = st.session_state.get("filters")
    return value if isinstance(value, Filters) else Filters()
