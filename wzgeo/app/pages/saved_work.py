"""已保存的工作 Saved work: assignments, official zone boundaries, saved plots, sector-fit and
land-rule edits, history, revert, export/import, login.

Thin page over :mod:`wzgeo.store.core`, :mod:`wzgeo.store.savedwork`, :mod:`wzgeo.store.savededits`
and
:mod:`wzgeo.store.auth`. The app adds it to its navigation::

    from wzgeo.app.pages import saved_work
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

import streamlit as st

from wzgeo.app import state as appstate
from wzgeo.app._text import plain
from wzgeo.app.pages._land_layers import layers_section
from wzgeo.app.pages._saved_work_boundaries import boundary_section, planned_areas, plots_section
from wzgeo.app.pages._saved_work_edits import (
    HISTORY_KEY,
    fit_section,
    landclass_section,
    rule_section,
)
from wzgeo.app.pages._saved_work_ui import (
    SEEN_KEY,
    both,
    flash,
    labelled,
    save_versioned,
    seen,
    seen_key,
    show_error,
    show_saved_table,
    show_version,
    t,
)
from wzgeo.app.state import choice_key
from wzgeo.errors import WzgeoError
from wzgeo.store import auth, transfer
from wzgeo.store.core import Store

__all__ = ["current_editor", "render", "render_edit_status"]

_USER_KEY = "sw_user"


def current_editor(*, users_file: str | Path | None = None, required: bool = False) -> str | None:
    """Who may edit in this session: the logged-in user, the local user, or None.

    Without configured users only a server on this machine alone has a local user who
    may edit; served on a network it is view-only (:func:`wzgeo.app.state.serving_on_network`).
    """
    mode = auth.editing_mode(users_file, required=required)
    if not mode.configured:
        if appstate.serving_on_network():
            return None
        return str(st.session_state.get("sw_local_name") or _local_name())
    user = st.session_state.get(_USER_KEY)
    return str(user) if user in mode.users else None


def _users_of(store: Store | None, users_file: str | Path | None) -> tuple[Path | None, bool]:
    """The users file for logins and whether the store requires it (it records it)."""
    if users_file is not None:
        return Path(users_file), False
    recorded = store.users_file() if store is not None else None
    return recorded, recorded is not None


def _local_name() -> str:
    with contextlib.suppress(OSError, KeyError):
        return getpass.getuser() or auth.LOCAL_USER
    return auth.LOCAL_USER


def render_edit_status(
    *,
    lang: str = "zh",
    users_file: str | Path | None = None,
    interactive: bool = True,
    store: Store | None = None,
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
    store
        The store: its recorded users file (if any) is the one logins are checked against,
        and a successful login records the users file when none is recorded yet.
    """
    try:
        users_file, required = _users_of(store, users_file)
        mode = auth.editing_mode(users_file, required=required)
    except WzgeoError as e:
        show_error(e, lang)
        return None
    if not mode.configured and appstate.serving_on_network():
        st.warning(
            t(
                "只读：本应用在网络上提供服务，但未配置用户，因此不能编辑。"
                "管理员可用 `wzgeo users add 用户名` 添加用户（文件位置 WZGEO_USERS）。",
                "View-only: this app is served on a network and no users are configured, so "
                "nobody can edit. An administrator adds users with `wzgeo users add NAME` "
                "(file: WZGEO_USERS).",
                lang,
            ),
            icon=":material/visibility:",
        )
        return None
    if not mode.configured:
        st.info(plain(both(mode.describe("zh"), mode.describe("en"), lang)), icon=":material/info:")
        if interactive:
            st.text_input(
                t("记录为（修改人）", "Record changes as", lang),
                value=_local_name(),
                key="sw_local_name",
            )
        return current_editor(users_file=users_file)
    if not mode.path.exists():
        st.error(
            plain(both(mode.describe("zh"), mode.describe("en"), lang)), icon=":material/error:"
        )
        return None
    user = current_editor(users_file=mode.path, required=required)
    if user is not None:
        if not interactive:
            st.success(
                plain(t(f"已登录：{user}，可以编辑", f"Logged in as {user}; you can edit", lang)),
                icon=":material/check_circle:",
            )
            return user
        c1, c2 = st.columns([3, 1])
        c1.success(
            plain(t(f"已登录：{user}，可以编辑", f"Logged in as {user}; you can edit", lang)),
            icon=":material/check_circle:",
        )
        if c2.button(t("退出登录", "Log out", lang), key="sw_logout"):
            st.session_state.pop(_USER_KEY, None)
            st.rerun()
        return user
    st.warning(
        t("只读浏览：编辑需要登录。", "Read-only: log in to edit. Viewing needs no login.", lang),
        icon=":material/warning:",
    )
    if interactive:
        with st.form("sw_login_form"):
            name = st.text_input(t("用户名", "User name", lang), key="sw_login_name")
            password = st.text_input(
                t("密码", "Password", lang), type="password", key="sw_login_password"
            )
            if st.form_submit_button(t("登录", "Log in", lang)):
                try:
                    st.session_state[_USER_KEY] = auth.require_editor(
                        name.strip(), password, path=mode.path, required=required,
                        limiter=appstate.login_limiter(), address=_client_address(),
                    )  # fmt: skip
                    if store is not None and not required:
                        store.record_users_file(mode.path)
                except WzgeoError as e:
                    show_error(e, lang)
                else:
                    st.rerun()
    return None


def _client_address() -> str | None:
    """The browser's address as the server sees it (for the login limiter)."""
    with contextlib.suppress(AttributeError, RuntimeError):
        return st.context.ip_address
    return None


def _invalid_section(store: Store, lang: str) -> None:
    """Stored values that fail the checks of a save (e.g. from an old import): listed as
    errors, left out of every table, map and analysis; reverting the change repairs them."""
    bad = store.invalid_values()
    if bad.empty:
        return
    st.error(
        t(
            f"有 {len(bad)} 个已保存的值无效，已从表格、地图和分析中略去。"
            f"请在下方“修改历史”中撤销对应的修改（勾选“全部”）。",
            f"{len(bad)} saved values are invalid and are left out of the tables, maps and "
            f"analyses. Revert their changes in the History below (tick 'All').",
            lang,
        ),
        icon=":material/error:",
    )
    st.dataframe(labelled(bad, lang), hide_index=True, key="sw_invalid")


def _assign_section(
    store: Store,
    editor: str | None,
    lang: str,
    zone_names: Mapping[str, str],
    project_names: Mapping[str, str],
) -> str:
    st.subheader(t("将项目安排到园区", "Assign a project to a zone", lang))
    project_ids = store.ids.project_ids
    if project_ids:
        project = st.selectbox(
            t("项目", "Project", lang),
            sorted(project_ids),
            format_func=lambda p: f"{p} {project_names.get(p, '')}".strip(),
            key=choice_key("sw_project"),
        )
    else:
        project = st.text_input(
            t("项目编号（如 AU-12）", "Project id (e.g. AU-12)", lang), key="sw_project"
        ).strip()
    if not project:
        return ""
    state = store.state("assignment", project)
    current_zone = state.value.get("zone_id") if state.value else None
    show_version(
        state,
        lang,
        now=(str(current_zone), str(current_zone)),
        empty=("未安排", "not assigned"),
        what=("此项目", "This project"),
        reload_key="sw_reload",
    )
    zones = sorted(store.ids.zone_ids)
    with st.form("sw_assign_form"):
        zone = st.selectbox(
            t("园区", "Zone", lang),
            zones,
            index=zones.index(current_zone) if current_zone in zones else 0,
            format_func=lambda z: f"{zone_names.get(z, z)} ({z})",
            key=choice_key("sw_zone"),
        )
        why = st.text_input(t("原因（必填）", "Reason (required)", lang), key="sw_why")
        c1, c2 = st.columns(2)
        save = c1.form_submit_button(
            t("保存安排", "Save assignment", lang), disabled=editor is None
        )
        remove = c2.form_submit_button(
            t("取消安排", "Remove assignment", lang), disabled=editor is None or not state.exists
        )
    if (save or remove) and editor is not None:
        save_versioned(
            lambda version: (
                store.assign(project, zone, by=editor, why=why, expected_version=version)
                if save
                else store.unassign(project, by=editor, why=why, expected_version=version)
            ),
            seen_key("assignment", project),
            lang,
            what=(project, project),
        )
    return project


def _history_section(store: Store, editor: str | None, lang: str, default_id: str) -> None:
    st.subheader(t("修改历史", "History", lang))
    c1, c2 = st.columns([3, 1])
    target = c1.text_input(
        t(
            "编号（项目、园区、产业匹配或用地指标）",
            "Id (project, zone, sector fit or land rule)",
            lang,
        ),
        placeholder=default_id,
        help=t(
            "留空：所选项目。产业匹配：产业|园区（如 auto|gaofeng）；"
            "用地指标：指标|行业代码|版本（如 plot_ratio|13|2008）；"
            "园区或产业编号也列出其产业匹配修改。",
            "Empty: the selected project. Sector fit: sector|zone (e.g. auto|gaofeng); "
            "land rule: indicator|code|edition (e.g. plot_ratio|13|2008); a zone or sector id "
            "also lists its sector-fit edits.",
            lang,
        ),
        key=HISTORY_KEY,
    ).strip()
    show_all = c2.checkbox(t("全部", "All", lang), key="sw_history_all")
    history = store.history(None if show_all else (target or default_id or None))
    if history.empty:
        st.info(t("没有修改记录。", "No changes recorded.", lang), icon=":material/info:")
        return
    cols = ["change_id", "at", "by_user", "why", "entity_type", "entity_id", "op", "value",
            "version", "reverts_change_id", "origin"]  # fmt: skip
    shown = history[cols].iloc[::-1].reset_index(drop=True)
    st.dataframe(labelled(shown, lang), hide_index=True, key="sw_history_table")
    with st.form("sw_revert_form"):
        change_id = st.selectbox(
            t("要撤销的修改", "Change to revert", lang),
            shown["change_id"].tolist(),
            key=choice_key("sw_revert_id"),
        )
        why = st.text_input(t("撤销原因（必填）", "Reason (required)", lang), key="sw_revert_why")
        force = st.checkbox(
            t("也撤销之后的修改", "Also undo later changes", lang), key="sw_revert_force"
        )
        if st.form_submit_button(t("撤销", "Revert", lang), disabled=editor is None):
            if editor is None:  # pragma: no cover - button disabled
                return
            try:
                change = store.revert(int(change_id), by=editor, why=why, force=force)
            except WzgeoError as e:
                show_error(e, lang)
            else:
                seen().pop(seen_key(change.entity_type, change.entity_id), None)
                flash(
                    t(
                        f"已撤销修改 {change_id}（新修改 {change.change_id}）",
                        f"Reverted change {change_id} (new change {change.change_id})",
                        lang,
                    )
                )


def _other_work_section(store: Store, lang: str) -> None:
    counts = store.counts()
    st.subheader(t("其他已保存内容", "Other saved work", lang))
    st.caption(
        t(
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
    st.subheader(t("导出 / 导入", "Export / import", lang))
    c1, c2 = st.columns(2)
    with c1:
        if st.button(t("准备导出文件", "Prepare export", lang), key="sw_export"):
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "wzgeo-store.gpkg"
                transfer.export_store(store, out)
                st.session_state["sw_export_bytes"] = out.read_bytes()
        data = st.session_state.get("sw_export_bytes")
        if data:
            st.download_button(
                t("下载 GeoPackage", "Download GeoPackage", lang),
                data=data,
                file_name="wzgeo-store.gpkg",
                mime="application/geopackage+sqlite3",
                key="sw_export_download",
            )
    with c2:
        upload = st.file_uploader(
            t("导入 wzgeo 导出文件 (.gpkg)", "Import a wzgeo export (.gpkg)", lang),
            type=["gpkg"],
            key="sw_import_file",
            disabled=editor is None,
        )
        replace = st.checkbox(
            t("替换现有内容（先自动备份）", "Replace current content (backed up first)", lang),
            key="sw_import_replace",
        )
        if st.button(
            t("导入", "Import", lang), key="sw_import", disabled=editor is None or upload is None
        ):
            assert upload is not None
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "import.gpkg"
                path.write_bytes(upload.getvalue())
                try:
                    result = transfer.import_store(store, path, replace=replace, by=editor)
                except WzgeoError as e:
                    show_error(e, lang)
                else:
                    st.session_state.pop(SEEN_KEY, None)
                    st.success(
                        t(
                            f"已导入 {result['counts']['changes']} 条修改",
                            f"Imported {result['counts']['changes']} changes",
                            lang,
                        ),
                        icon=":material/check_circle:",
                    )


def render(
    store: Store | None = None,
    *,
    lang: str = "zh",
    users_file: str | Path | None = None,
    zone_names: Mapping[str, str] | None = None,
    planned_km2: Mapping[str, float] | None = None,
    project_names: Mapping[str, str] | None = None,
) -> None:
    """Draw the saved-work page.

    Parameters
    ----------
    store
        The store; default :func:`wzgeo.app.state.get_store` (``$WZGEO_STORE`` or the user
        data dir).
    lang
        ``"zh"`` (Chinese first, English labels) or ``"en"``.
    users_file
        The users file; default ``$WZGEO_USERS`` / user config dir.
    zone_names
        Optional ``zone_id`` → display name for the zone pickers.
    planned_km2
        ``zone_id`` → the plan's land area, shown beside a boundary's measured area; default
        :func:`wzgeo.store.savedwork.planned_zone_areas_km2`.
    project_names
        Optional ``project_id`` → name, shown beside the id in the project picker.
    """
    st.header(t("保存的工作", "Saved work", lang))
    try:
        store = store if store is not None else appstate.get_store()
    except WzgeoError as e:
        show_error(e, lang)
        return
    st.caption(plain(t(f"存储文件：{store.path}", f"Store file: {store.path}", lang)))
    flash = st.session_state.pop("sw_flash", None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
    status = store.status()
    if status is not None:  # damaged (with the recovery command) or read-only: view only
        st.error(plain(both(*status, lang)), icon=":material/error:")
        editor = None
    else:
        editor = render_edit_status(lang=lang, users_file=users_file, store=store)
    try:
        _sections(store, editor, lang, zone_names, planned_km2, project_names)
    except WzgeoError as e:  # e.g. a damaged page met while reading: message, no traceback
        show_error(e, lang)


def _sections(
    store: Store,
    editor: str | None,
    lang: str,
    zone_names: Mapping[str, str] | None,
    planned_km2: Mapping[str, float] | None,
    project_names: Mapping[str, str] | None,
) -> None:
    _invalid_section(store, lang)
    project = _assign_section(store, editor, lang, zone_names or {}, project_names or {})
    st.subheader(t("当前安排", "Current assignments", lang))
    assignments = store.assignments()
    shown = assignments[["project_id", "zone_id", "by_user", "at", "why", "version"]]
    show_saved_table(shown, lang, key="sw_assignments", zone_names=zone_names)
    boundary_section(
        store, editor, lang, zone_names or {},
        planned_km2 if planned_km2 is not None else planned_areas(),
    )  # fmt: skip
    plots_section(store, lang)
    layers_section(store, editor, lang)
    fit_section(store, editor, lang, zone_names or {})
    rule_section(store, editor, lang)
    landclass_section(store, editor, lang)
    _history_section(store, editor, lang, project)
    _other_work_section(store, lang)
    _transfer_section(store, editor, lang)


def _run_as_page() -> None:
    """Entry point when the app loads this file with ``st.Page(".../saved_work.py")``."""
    lang = appstate.lang()
    tables = appstate.plan_tables()
    project_names = (
        dict(zip(tables.projects["project_id"], tables.projects["name_zh"], strict=True))
        if tables.projects is not None
        else {}
    )
    render(lang=lang, zone_names=appstate.names(tables), project_names=project_names)


if __name__ == "__main__":
    _run_as_page()
