"""Shared pieces of the saved-work page: bilingual text, labelled tables, versioned saves.

A versioned save remembers in ``st.session_state["sw_seen"]`` the version of the entity this
session displayed, passes it as ``expected_version`` and, on a conflict, shows the current
value instead of overwriting it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
import streamlit as st

from wzgeo import labels
from wzgeo.app._text import plain
from wzgeo.errors import WzgeoError
from wzgeo.store.core import Change, ConflictError, EntityState

__all__ = [
    "COLUMNS",
    "SEEN_KEY",
    "VALUES",
    "both",
    "flash",
    "labelled",
    "save_versioned",
    "seen",
    "seen_key",
    "show_error",
    "show_reason",
    "show_saved_table",
    "show_version",
    "t",
    "value_text",
]

SEEN_KEY = "sw_seen"

COLUMNS = {
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
    "origin": ("来源（导入）", "Origin (import)"),
    "problem": ("问题", "Problem"),
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
    "sector_id": ("产业", "Sector"),
    "shipped_grade": ("随附等级", "Shipped grade"),
    "edited_grade": ("修改后等级", "Edited grade"),
    "plan_required_class": ("随附工业用地类别", "Shipped land class"),
    "required_class": ("修改后工业用地类别", "Edited land class"),
    "rule_id": ("指标|行业代码|版本", "Indicator|code|edition"),
    "shipped_threshold": ("随附阈值", "Shipped threshold"),
    "threshold": ("现用阈值", "Threshold in effect"),
    "comparator": ("比较", "Comparator"),
    "unit": ("单位", "Unit"),
    "note": ("说明", "Note"),
}


#: coded values of the saved-work tables → (Chinese, English); fit grades and check results
#: come from :mod:`wzgeo.labels` (groups ``fit_grade`` and ``result``)
VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "entity_type": {
        "assignment": ("项目安排", "Assignment"),
        "plot": ("地块", "Plot"),
        "zone_boundary": ("园区边界", "Zone boundary"),
        "sector_fit": ("产业匹配", "Sector fit"),
        "land_rule": ("用地指标", "Land rule"),
        "sector_landclass": ("工业用地类别", "Industrial land class"),
    },
    "op": {"set": ("设置", "Set"), "delete": ("删除", "Delete")},
}
_VALUE_COLUMNS = {
    "entity_type": "entity_type",
    "op": "op",
    "fit_grade": "fit_grade",
    "shipped_grade": "fit_grade",
    "edited_grade": "fit_grade",
    "check_result": "result",
}


def t(zh: str, en: str, lang: str) -> str:
    """A label in the page's language: Chinese ("zh") or English ("en")."""
    return en if lang == "en" else zh


def both(zh: str, en: str, lang: str) -> str:
    """A message in the page's language (kept for callers; same as :func:`t`)."""
    return t(zh, en, lang)


def show_error(err: WzgeoError, lang: str) -> None:
    """Show a wzgeo error, the page's language first, then the other one (as the other
    pages do: an error is worth reading in either language)."""
    first, second = (err.en, err.zh) if lang == "en" else (err.zh, err.en)
    st.error(f"{plain(first)}\n\n{plain(second)}", icon=":material/error:")


def value_text(group: str, value: object, lang: str) -> object:
    """Display text of a coded value of the saved-work tables (other values unchanged).

    ``group`` is a key of :data:`VALUES` or a group of :mod:`wzgeo.labels`.
    """
    if not isinstance(value, str):
        return value
    pair = VALUES.get(group, {}).get(value)
    if pair is not None:
        return t(*pair, lang)
    return labels.label(f"{group}.{value}", lang, default=value)


def labelled(
    df: pd.DataFrame, lang: str, *, zone_names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """A copy with display column names, readable UTC times, coded values as words and
    (given ``zone_names``) zone ids as names."""
    out = df.copy()
    if "at" in out:
        out["at"] = out["at"].astype("string").str.slice(0, 19).str.replace("T", " ")
    for col, group in _VALUE_COLUMNS.items():
        if col in out:
            out[col] = out[col].map(lambda v, g=group: value_text(g, v, lang))
    if zone_names and "zone_id" in out:
        out["zone_id"] = out["zone_id"].map(
            lambda z: zone_names.get(z, z) if isinstance(z, str) else z
        )
    return out.rename(columns={k: t(*v, lang) for k, v in COLUMNS.items() if k in out})


def show_saved_table(
    table: pd.DataFrame, lang: str, *, key: str, zone_names: Mapping[str, str] | None = None
) -> None:
    """Show a table of saved work :func:`labelled`, or "None yet." when it is empty."""
    if table.empty:
        st.caption(t("暂无。", "None yet.", lang))
        return
    st.dataframe(labelled(table, lang, zone_names=zone_names), hide_index=True, key=key)


def show_reason(state: EntityState, lang: str) -> None:
    """Show why the entity's current value was saved (nothing when it has no saved value)."""
    if state.exists and state.why:
        st.caption(t("修改原因：", "Reason for the edit: ", lang) + plain(state.why))


def flash(message: str) -> None:
    """Show ``message`` after a rerun (so every section shows the new state)."""
    st.session_state["sw_flash"] = plain(message)
    st.rerun()


def seen() -> dict[str, int]:
    """The versions this session displayed (``seen_key`` → version)."""
    versions: dict[str, int] = st.session_state.setdefault(SEEN_KEY, {})
    return versions


def seen_key(entity_type: str, entity_id: str) -> str:
    """Key of ``sw_seen``: the project id for assignments, ``type:id`` for anything else."""
    return entity_id if entity_type == "assignment" else f"{entity_type}:{entity_id}"


def show_version(
    state: EntityState,
    lang: str,
    *,
    now: tuple[str, str],
    empty: tuple[str, str],
    what: tuple[str, str],
    reload_key: str,
) -> None:
    """Show the entity's current value and version; warn if it changed since displayed.

    Parameters
    ----------
    state
        The entity's current state.
    lang
        ``"zh"`` or ``"en"``.
    now, empty
        The current value in words (Chinese, English), and the words when it has none.
    what
        The entity in a warning ("此项目", "This project").
    reload_key
        Widget key of the "Load latest" button.
    """
    key = seen_key(state.entity_type, state.entity_id)
    versions = seen()
    versions.setdefault(key, state.version)
    if state.exists:
        when = (state.at or "")[:19].replace("T", " ")
        st.caption(
            plain(
                t(
                    f"当前：{now[0]}（版本 {state.version}，{state.by_user}，{when} UTC）",
                    f"Now: {now[1]} (version {state.version}, {state.by_user}, {when} UTC)",
                    lang,
                )
            )
        )
    else:
        st.caption(plain(t(f"当前：{empty[0]}", f"Now: {empty[1]}", lang)))
    if versions[key] != state.version:
        st.warning(
            t(
                f"您查看后{what[0]}已被修改（您看到版本 {versions[key]}，"
                f"现在是 {state.version}）。",
                f"{what[1]} changed after you looked at it (you saw version {versions[key]}, "
                f"now {state.version}).",
                lang,
            ),
            icon=":material/warning:",
        )
        if st.button(t("载入最新", "Load latest", lang), key=reload_key):
            versions[key] = state.version
            st.rerun()


def save_versioned(
    write: Callable[[int], Change], key: str, lang: str, *, what: tuple[str, str]
) -> None:
    """Call ``write(expected_version)`` with the displayed version; report the outcome.

    Parameters
    ----------
    write
        Makes the change, given the version this session displayed.
    key
        The entity's :func:`seen_key`.
    lang
        ``"zh"`` or ``"en"``.
    what
        The entity in the success message (Chinese, English).
    """
    versions = seen()
    try:
        change = write(versions[key])
    except ConflictError as e:
        show_error(e, lang)
        st.info(
            t(
                "您的修改未保存。请核对当前值，点击“载入最新”后再决定是否保存。",
                "Your change was not saved. Check the current value, click 'Load latest', "
                "then save again if you still want it.",
                lang,
            ),
            icon=":material/info:",
        )
    except WzgeoError as e:
        show_error(e, lang)
    else:
        versions[key] = change.version
        flash(
            t(
                f"已保存：修改 {change.change_id}（{what[0]}，版本 {change.version}）",
                f"Saved: change {change.change_id} ({what[1]}, version {change.version})",
                lang,
            )
        )
