"""已保存的工作 Saved work: assignments, official zone boundaries, saved plots, history, revert,
export/import, login.

Thin page over :mod:`wzgeo.store`, :mod:`wzgeo.savedwork` and :mod:`wzgeo.auth`. The app adds
it to its navigation::

    from wzgeo.pages import saved_work
    st.Page(lambda: saved_work.render(lang=lang), title="已保存的工作 Saved work")

and may show who can edit anywhere else (e.g. the sidebar) with
``render_edit_status(lang=lang, interactive=False)`` (text only, no widgets).

State lives in ``st.session_state`` (per browser session): ``sw_user`` (the logged-in user)
and ``sw_seen`` (the version each project's assignment or each zone's boundary had when this
session displayed it; a save passes it as ``expected_version`` so edits from other sessions are
never overwritten).
"""

from __future__ import annotations

import contextlib
import getpass
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import streamlit as st

from wzgeo import auth, savedwork
from wzgeo._errors import WzgeoError
from wzgeo.store import ConflictError, Store, open_store

__all__ = ["current_editor", "get_store", "render", "render_edit_status"]

_USER_KEY = "sw_user"
_SEEN_KEY = "sw_seen"

_COLUMNS = {
    "change_id": ("编号", "Change"),
    "at": ("时间 (UTC)", "When (UTC)"),
    "by_user": ("修改人", "By"),
    "entity_type": ("类型", "Type"),
    "entity_id": ("对象", "Item"),
    "op": ("操作", "Operation"),
    "version": ("版本", "Version"),
    "value": ("值", "Value"),
    "why": ("原因", "Why"),
    "reverts_change_id": ("撤销的修改", "Reverts"),
    "project_id": ("项目", "Project"),
    "zone_id": ("园区", "Zone"),
    "source": ("来源", "Source"),
    "plot_id": ("地块", "Plot"),
    "area_mu_measured": ("实测面积（亩）", "Measured area (mu)"),
    "fit_grade": ("产业适配", "Sector fit"),
    "indicators_pass": ("指标达标", "Indicators passed"),
    "indicators_fail": ("指标未达标", "Indicators failed"),
    "indicators_unknown": ("指标未知", "Indicators unknown"),
    "check_result": ("检查结论", "Check result"),
    "n_notes": ("备注数", "Notes"),
}


def _t(zh: str, en: str, lang: str) -> str:
    """Chinese first with the English label ("zh"), or English only ("en")."""
    return en if lang == "en" else f"{zh} / {en}"


def _both(zh: str, en: str, lang: str) -> str:
    """A message: Chinese, then English on its own paragraph ("zh"); English only ("en")."""
    return en if lang == "en" else f"{zh}\n\n{en}"


def _show_error(err: WzgeoError, lang: str) -> None:
    st.error(_both(err.zh, err.en, lang))


def _labelled(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = df.copy()
    if "at" in out:
        out["at"] = out["at"].astype("string").str.slice(0, 19).str.replace("T", " ")
    return out.rename(columns={k: _t(*v, lang) for k, v in _COLUMNS.items() if k in out})


@st.cache_data(show_spinner=False)
def _planned_areas() -> dict[str, float]:
    return savedwork.planned_zone_areas_km2()


@st.cache_resource(show_spinner=False)
def _cached_store(path: str) -> Store:
    return open_store(path)


def get_store(path: str | None = None) -> Store:
    """The store at ``path`` (default ``$WZGEO_STORE`` / user data dir), cached per process.

    A :class:`~wzgeo.store.Store` holds no connection, so sharing it between sessions is safe.
    """
    from wzgeo.store import default_store_path

    return _cached_store(str(path or default_store_path()))


def current_editor(*, users_file: str | Path | None = None) -> str | None:
    """Who may edit in this session: the logged-in user, the local user, or None."""
    mode = auth.editing_mode(users_file)
    if not mode.configured:
        return str(st.session_state.get("sw_local_name") or _local_name())
    user = st.session_state.get(_USER_KEY)
    return str(user) if user in mode.users else None


def _local_name() -> str:
    with contextlib.suppress(OSError, KeyError):
        return getpass.getuser() or auth.LOCAL_USER
    return auth.LOCAL_USER


def render_edit_status(
    *, lang: str = "zh", users_file: str | Path | None = None, interactive: bool = True
) -> str | None:
    """Show who may edit (and a login/logout form); return the editing user or None.

    Outside the saved-work page (e.g. in the app's sidebar) call it with
    ``interactive=False``: it then only writes the status text and creates no widgets, so it
    cannot clash with the page's own login form.

    Parameters
    ----------
    lang
        ``"zh"`` (Chinese with English labels) or ``"en"``.
    users_file
        The users file; default ``$WZGEO_USERS`` / user config dir.
    interactive
        Show the login/logout controls (and, without users, the "record as" name field).
    """
    try:
        mode = auth.editing_mode(users_file)
    except WzgeoError as e:
        _show_error(e, lang)
        return None
    if not mode.configured:
        st.info(_both(mode.describe("zh"), mode.describe("en"), lang))
        if interactive:
            st.text_input(
                _t("记录为（修改人）", "Record changes as", lang),
                value=_local_name(),
                key="sw_local_name",
            )
        return current_editor(users_file=users_file)
    user = current_editor(users_file=users_file)
    if user is not None:
        if not interactive:
            st.success(_t(f"已登录：{user}，可以编辑", f"Logged in as {user}; you can edit", lang))
            return user
        c1, c2 = st.columns([3, 1])
        c1.success(_t(f"已登录：{user}，可以编辑", f"Logged in as {user}; you can edit", lang))
        if c2.button(_t("退出登录", "Log out", lang), key="sw_logout"):
            st.session_state.pop(_USER_KEY, None)
            st.rerun()
        return user
    st.warning(
        _t("只读浏览：编辑需要登录。", "Read-only: log in to edit. Viewing needs no login.", lang)
    )
    if interactive:
        with st.form("sw_login_form"):
            name = st.text_input(_t("用户名", "User name", lang), key="sw_login_name")
            password = st.text_input(
                _t("密码", "Password", lang), type="password", key="sw_login_password"
            )
            if st.form_submit_button(_t("登录", "Log in", lang)):
                try:
                    st.session_state[_USER_KEY] = auth.require_editor(
                        name.strip(), password, path=mode.path
                    )
                except WzgeoError as e:
                    _show_error(e, lang)
                else:
                    st.rerun()
    return None


def _flash(message: str) -> None:
    """Show ``message`` after a rerun (so every section shows the new state)."""
    st.session_state["sw_flash"] = message
    st.rerun()


def _seen() -> dict[str, int]:
    seen: dict[str, int] = st.session_state.setdefault(_SEEN_KEY, {})
    return seen


def _seen_key(entity_type: str, entity_id: str) -> str:
    """Key of ``sw_seen``: the project id for assignments, ``type:id`` for anything else."""
    return entity_id if entity_type == "assignment" else f"{entity_type}:{entity_id}"


def _conflict_hint(lang: str) -> None:
    st.info(
        _t(
            "您的修改未保存。请核对当前值，点击“载入最新”后再决定是否保存。",
            "Your change was not saved. Check the current value, click 'Load latest', "
            "then save again if you still want it.",
            lang,
        )
    )


def _assign_section(
    store: Store, editor: str | None, lang: str, zone_names: Mapping[str, str]
) -> str:
    st.subheader(_t("将项目安排到园区", "Assign a project to a zone", lang))
    project_ids = store.ids.project_ids
    if project_ids:
        project = st.selectbox(_t("项目", "Project", lang), sorted(project_ids), key="sw_project")
    else:
        project = st.text_input(
            _t("项目编号（如 AU-12）", "Project id (e.g. AU-12)", lang), key="sw_project"
        ).strip()
    if not project:
        return ""
    state = store.state("assignment", project)
    seen = _seen()
    seen.setdefault(project, state.version)
    if state.exists:
        st.caption(
            _t(
                f"当前：{state.value['zone_id'] if state.value else ''}（版本 {state.version}，"
                f"{state.by_user}，{(state.at or '')[:19].replace('T', ' ')} UTC）",
                f"Now: {state.value['zone_id'] if state.value else ''} (version "
                f"{state.version}, {state.by_user}, {(state.at or '')[:19].replace('T', ' ')} UTC)",
                lang,
            )
        )
    else:
        st.caption(_t("当前：未安排", "Now: not assigned", lang))
    if seen[project] != state.version:
        st.warning(
            _t(
                f"您查看后此项目已被修改（您看到版本 {seen[project]}，现在是 {state.version}）。",
                f"This project changed after you looked at it (you saw version {seen[project]}, "
                f"now {state.version}).",
                lang,
            )
        )
        if st.button(_t("载入最新", "Load latest", lang), key="sw_reload"):
            seen[project] = state.version
            st.rerun()
    zones = sorted(store.ids.zone_ids)
    current_zone = state.value.get("zone_id") if state.value else None
    with st.form("sw_assign_form"):
        zone = st.selectbox(
            _t("园区", "Zone", lang),
            zones,
            index=zones.index(current_zone) if current_zone in zones else 0,
            format_func=lambda z: f"{zone_names.get(z, z)} ({z})",
            key="sw_zone",
        )
        why = st.text_input(_t("原因（必填）", "Reason (required)", lang), key="sw_why")
        c1, c2 = st.columns(2)
        save = c1.form_submit_button(
            _t("保存安排", "Save assignment", lang), disabled=editor is None
        )
        remove = c2.form_submit_button(
            _t("取消安排", "Remove assignment", lang), disabled=editor is None or not state.exists
        )
    if (save or remove) and editor is not None:
        try:
            if save:
                change = store.assign(
                    project, zone, by=editor, why=why, expected_version=seen[project]
                )
            else:
                change = store.unassign(project, by=editor, why=why, expected_version=seen[project])
        except ConflictError as e:
            _show_error(e, lang)
            _conflict_hint(lang)
        except WzgeoError as e:
            _show_error(e, lang)
        else:
            seen[project] = change.version
            _flash(
                _t(
                    f"已保存：修改 {change.change_id}（{project} 版本 {change.version}）",
                    f"Saved: change {change.change_id} ({project} version {change.version})",
                    lang,
                )
            )
    return project


def _history_section(store: Store, editor: str | None, lang: str, default_id: str) -> None:
    st.subheader(_t("修改历史", "History", lang))
    c1, c2 = st.columns([3, 1])
    target = c1.text_input(
        _t("项目或园区编号", "Project or zone id", lang),
        placeholder=default_id,
        help=_t("留空：所选项目", "Empty: the selected project", lang),
        key="sw_history_id",
    ).strip()
    show_all = c2.checkbox(_t("全部", "All", lang), key="sw_history_all")
    history = store.history(None if show_all else (target or default_id or None))
    if history.empty:
        st.info(_t("没有修改记录。", "No changes recorded.", lang))
        return
    cols = ["change_id", "at", "by_user", "why", "entity_type", "entity_id", "op", "value",
            "version", "reverts_change_id"]  # fmt: skip
    shown = history[cols].iloc[::-1].reset_index(drop=True)
    st.dataframe(_labelled(shown, lang), hide_index=True, key="sw_history_table")
    with st.form("sw_revert_form"):
        change_id = st.selectbox(
            _t("要撤销的修改", "Change to revert", lang),
            shown["change_id"].tolist(),
            key="sw_revert_id",
        )
        why = st.text_input(_t("撤销原因（必填）", "Reason (required)", lang), key="sw_revert_why")
        force = st.checkbox(
            _t("也撤销之后的修改", "Also undo later changes", lang), key="sw_revert_force"
        )
        if st.form_submit_button(_t("撤销", "Revert", lang), disabled=editor is None):
            if editor is None:  # pragma: no cover - button disabled
                return
            try:
                change = store.revert(int(change_id), by=editor, why=why, force=force)
            except WzgeoError as e:
                _show_error(e, lang)
            else:
                _seen().pop(_seen_key(change.entity_type, change.entity_id), None)
                _flash(
                    _t(
                        f"已撤销修改 {change_id}（新修改 {change.change_id}）",
                        f"Reverted change {change_id} (new change {change.change_id})",
                        lang,
                    )
                )


def _boundary_preview(
    zone: str, planned_km2: Mapping[str, float], lang: str
) -> savedwork.BoundaryUpload | None:
    """The uploaded boundary file read for ``zone`` (shown), or None (nothing or an error)."""
    c1, c2 = st.columns([3, 1])
    upload = c1.file_uploader(
        _t("官方边界文件", "Official boundary file", lang),
        help=_t(
            "GeoJSON、GeoPackage、Shapefile (.zip)、KML/KMZ、部标 TXT、CSV/XLSX 坐标点、WKT",
            "GeoJSON, GeoPackage, Shapefile (.zip), KML/KMZ, 部标 TXT, CSV/XLSX points, WKT",
            lang,
        ),
        key="sw_boundary_file",
    )
    crs = c2.text_input(
        _t("坐标系（文件未声明时）", "CRS (if the file has none)", lang),
        placeholder="EPSG:4545",
        key="sw_boundary_crs",
    ).strip()
    if upload is None:
        return None
    try:
        found = savedwork.read_zone_boundary(
            upload.getvalue(),
            zone_id=zone,
            filename=upload.name,
            crs=crs or None,
            planned_km2=planned_km2.get(zone),
        )
    except WzgeoError as e:
        _show_error(e, lang)
        return None
    st.info(_both(found.describe("zh"), found.describe("en"), lang))
    for note in found.warnings:
        st.warning(note)
    return found


def _boundary_section(
    store: Store,
    editor: str | None,
    lang: str,
    zone_names: Mapping[str, str],
    planned_km2: Mapping[str, float],
) -> None:
    st.subheader(_t("官方园区边界", "Official zone boundaries", lang))
    zones = sorted(store.ids.zone_ids)
    zone = st.selectbox(
        _t("园区", "Zone", lang),
        zones,
        format_func=lambda z: f"{zone_names.get(z, z)} ({z})",
        key="sw_boundary_zone",
    )
    state = store.state("zone_boundary", zone)
    key = _seen_key("zone_boundary", zone)
    seen = _seen()
    seen.setdefault(key, state.version)
    if state.exists and state.value:
        when = (state.at or "")[:19].replace("T", " ")
        st.caption(
            _t(
                f"当前：官方边界，来源 {state.value.get('source')}（版本 {state.version}，"
                f"{state.by_user}，{when} UTC）",
                f"Now: official boundary from {state.value.get('source')} (version "
                f"{state.version}, {state.by_user}, {when} UTC)",
                lang,
            )
        )
    else:
        st.caption(
            _t("当前：示意范围（无官方边界）", "Now: schematic (no official boundary)", lang)
        )
    if seen[key] != state.version:
        st.warning(
            _t(
                f"您查看后此园区边界已被修改（您看到版本 {seen[key]}，现在是 {state.version}）。",
                f"This zone's boundary changed after you looked at it (you saw version "
                f"{seen[key]}, now {state.version}).",
                lang,
            )
        )
        if st.button(_t("载入最新", "Load latest", lang), key="sw_boundary_reload"):
            seen[key] = state.version
            st.rerun()
    found = _boundary_preview(zone, planned_km2, lang)
    with st.form("sw_boundary_form"):
        why = st.text_input(_t("原因（必填）", "Reason (required)", lang), key="sw_boundary_why")
        save = st.form_submit_button(
            _t("保存官方边界", "Save official boundary", lang),
            disabled=editor is None or found is None,
        )
    if save and editor is not None and found is not None:
        try:
            change = store.set_zone_boundary(
                zone, found.boundary, source=found.source, by=editor, why=why,
                expected_version=seen[key],
            )  # fmt: skip
        except ConflictError as e:
            _show_error(e, lang)
            _conflict_hint(lang)
        except WzgeoError as e:
            _show_error(e, lang)
        else:
            seen[key] = change.version
            _flash(
                _t(
                    f"已保存：修改 {change.change_id}（{zone} 官方边界，版本 {change.version}）",
                    f"Saved: change {change.change_id} ({zone} official boundary, version "
                    f"{change.version})",
                    lang,
                )
            )
    boundaries = store.zone_boundaries()
    if not boundaries.empty:
        shown = pd.DataFrame(boundaries.drop(columns="geometry"))
        st.dataframe(_labelled(shown, lang), hide_index=True, key="sw_boundaries")


def _plots_section(store: Store, lang: str) -> None:
    st.subheader(_t("已保存的地块", "Saved plots", lang))
    table = savedwork.saved_plots_table(store.plots())
    if table.empty:
        st.caption(_t("暂无。", "None yet.", lang))
        return
    st.dataframe(_labelled(table, lang), hide_index=True, key="sw_plots")


def _other_work_section(store: Store, lang: str) -> None:
    counts = store.counts()
    st.subheader(_t("其他已保存内容", "Other saved work", lang))
    st.caption(
        _t(
            f"地块 {counts['plot']}，官方园区边界 {counts['zone_boundary']}，"
            f"产业适配修改 {counts['sector_fit']}，用地指标修改 {counts['land_rule']}，"
            f"修改记录共 {counts['changes']} 条",
            f"plots {counts['plot']}, official zone boundaries {counts['zone_boundary']}, "
            f"sector-fit edits {counts['sector_fit']}, land-rule edits {counts['land_rule']}; "
            f"{counts['changes']} changes in total",
            lang,
        )
    )


def _transfer_section(store: Store, editor: str | None, lang: str) -> None:
    st.subheader(_t("导出 / 导入", "Export / import", lang))
    c1, c2 = st.columns(2)
    with c1:
        if st.button(_t("准备导出文件", "Prepare export", lang), key="sw_export"):
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "wzgeo-store.gpkg"
                store.export(out)
                st.session_state["sw_export_bytes"] = out.read_bytes()
        data = st.session_state.get("sw_export_bytes")
        if data:
            st.download_button(
                _t("下载 GeoPackage", "Download GeoPackage", lang),
                data=data,
                file_name="wzgeo-store.gpkg",
                mime="application/geopackage+sqlite3",
                key="sw_export_download",
            )
    with c2:
        upload = st.file_uploader(
            _t("导入 wzgeo 导出文件 (.gpkg)", "Import a wzgeo export (.gpkg)", lang),
            type=["gpkg"],
            key="sw_import_file",
            disabled=editor is None,
        )
        replace = st.checkbox(
            _t("替换现有内容（先自动备份）", "Replace current content (backed up first)", lang),
            key="sw_import_replace",
        )
        if st.button(
            _t("导入", "Import", lang), key="sw_import", disabled=editor is None or upload is None
        ):
            assert upload is not None
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "import.gpkg"
                path.write_bytes(upload.getvalue())
                try:
                    result = store.import_file(path, replace=replace)
                except WzgeoError as e:
                    _show_error(e, lang)
                else:
                    st.session_state.pop(_SEEN_KEY, None)
                    st.success(
                        _t(
                            f"已导入 {result['counts']['changes']} 条修改",
                            f"Imported {result['counts']['changes']} changes",
                            lang,
                        )
                    )


def render(
    store: Store | None = None,
    *,
    lang: str = "zh",
    users_file: str | Path | None = None,
    zone_names: Mapping[str, str] | None = None,
    planned_km2: Mapping[str, float] | None = None,
) -> None:
    """Draw the saved-work page.

    Parameters
    ----------
    store
        The store; default :func:`get_store` (``$WZGEO_STORE`` or the user data dir).
    lang
        ``"zh"`` (Chinese first, English labels) or ``"en"``.
    users_file
        The users file; default ``$WZGEO_USERS`` / user config dir.
    zone_names
        Optional ``zone_id`` → display name for the zone pickers.
    planned_km2
        ``zone_id`` → the plan's land area, shown beside a boundary's measured area; default
        :func:`wzgeo.savedwork.planned_zone_areas_km2`.
    """
    st.header(_t("已保存的工作", "Saved work", lang))
    try:
        store = store if store is not None else get_store()
    except WzgeoError as e:
        _show_error(e, lang)
        return
    st.caption(_t(f"存储文件：{store.path}", f"Store file: {store.path}", lang))
    flash = st.session_state.pop("sw_flash", None)
    if flash:
        st.success(flash)
    editor = render_edit_status(lang=lang, users_file=users_file)
    project = _assign_section(store, editor, lang, zone_names or {})
    st.subheader(_t("当前安排", "Current assignments", lang))
    assignments = store.assignments()
    if assignments.empty:
        st.caption(_t("暂无。", "None yet.", lang))
    else:
        shown = assignments[["project_id", "zone_id", "by_user", "at", "why", "version"]]
        st.dataframe(_labelled(shown, lang), hide_index=True, key="sw_assignments")
    _boundary_section(
        store, editor, lang, zone_names or {},
        planned_km2 if planned_km2 is not None else _planned_areas(),
    )  # fmt: skip
    _plots_section(store, lang)
    _history_section(store, editor, lang, project)
    _other_work_section(store, lang)
    _transfer_section(store, editor, lang)


def _run_as_page() -> None:
    """Entry point when the app loads this file with ``st.Page(".../saved_work.py")``."""
    from wzgeo import appstate

    lang = appstate.lang()
    render(lang=lang, zone_names=appstate.names(appstate.plan_tables()))


if __name__ == "__main__":
    _run_as_page()
