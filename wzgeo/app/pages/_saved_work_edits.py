"""Saved-work page sections: edits of the sector × zone fit matrix, of the land-use rules and
of the industrial land class each sector needs (``geodata/sector_landclass.csv``,
:meth:`wzgeo.store.core.Store.set_sector_landclass`).

The shipped tables (``geodata/sector_fit.csv``, ``geodata/land_rules.csv``) stay read-only;
an edit is saved with :meth:`wzgeo.store.core.Store.set_sector_fit` or
:meth:`wzgeo.store.core.Store.set_land_rule` (who, why, version check) and every analysis sees it
through :func:`wzgeo.store.workspace.load_workspace`. What is shown beside the edit (shipped value,
reason, tables of edits) comes from :mod:`wzgeo.store.savededits`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from wzgeo import labels
from wzgeo.app._text import plain
from wzgeo.app.pages._saved_work_ui import (
    save_versioned,
    seen_key,
    show_error,
    show_reason,
    show_saved_table,
    show_version,
    t,
)
from wzgeo.app.state import choice_key
from wzgeo.errors import WzgeoError
from wzgeo.store import savededits
from wzgeo.store.core import Change, Store

__all__ = [
    "HISTORY_KEY",
    "fit_section",
    "landclass_section",
    "rule_section",
    "shipped_fit",
    "shipped_landclass",
    "shipped_rules",
]

#: Widget key of the history section's id field (the "show history" buttons fill it).
HISTORY_KEY = "sw_history_id"

_FIT_FORM_KEYS = ("sw_fit_grade", "sw_fit_why")
_CLASS_FORM_KEYS = ("sw_class_value", "sw_class_why")
_RULE_FORM_KEYS = ("sw_rule_threshold", "sw_rule_note", "sw_rule_source", "sw_rule_why")


@st.cache_data(show_spinner=False)
def _grade(grade: str | None, lang: str) -> str:
    """A fit grade in the page's language, without its code."""
    if grade is None:
        return t("（无）", "(none)", lang)
    zh, en = savededits.GRADE_LABELS.get(grade, (grade, grade))
    return t(zh, en, lang)


def shipped_fit() -> pd.DataFrame:
    """The shipped fit matrix (cached per process)."""
    from wzgeo.analysis.sectorfit import load_sector_fit

    return load_sector_fit()


@st.cache_data(show_spinner=False)
def shipped_rules() -> pd.DataFrame:
    """The shipped land-use rules (cached per process)."""
    from wzgeo.analysis.rules import load_rules

    return load_rules()


def _reset(keys: tuple[str, ...]) -> None:
    """Forget the form's inputs so they show the newly chosen item's values."""
    for key in keys:
        st.session_state.pop(key, None)


def _history_button(entity_id: str, lang: str, key: str) -> None:
    """A button that shows ``entity_id``'s history in the history section below."""
    if st.button(t("查看此项历史", "Show its history", lang), key=key):
        st.session_state[HISTORY_KEY] = entity_id
        st.session_state["sw_history_all"] = False


def _sector_name(sector_id: str, lang: str) -> str:
    return f"{labels.value_label('sector', sector_id, lang)} ({sector_id})"


def fit_section(
    store: Store,
    editor: str | None,
    lang: str,
    zone_names: Mapping[str, str],
    fit: pd.DataFrame | None = None,
) -> None:
    """Edit one cell of the sector × zone fit matrix; list the current edits.

    Parameters
    ----------
    store
        The store.
    editor
        Who may edit in this session (None: read-only, the save button is disabled).
    lang
        ``"zh"`` or ``"en"``.
    zone_names
        ``zone_id`` → display name.
    fit
        The shipped fit table; default :func:`shipped_fit`.
    """
    st.subheader(t("产业匹配修改", "Sector-fit edits", lang))
    fit = shipped_fit() if fit is None else fit
    try:
        edits = store.sector_fit_edits()
        sectors = savededits.sector_choices(fit, known=store.ids.sector_ids)
        zones = savededits.zone_choices(fit, known=store.ids.zone_ids)
    except WzgeoError as e:
        show_error(e, lang)
        return
    c1, c2 = st.columns(2)
    sector = c1.selectbox(
        t("产业", "Sector", lang),
        sectors,
        format_func=lambda s: _sector_name(s, lang),
        key=choice_key("sw_fit_sector"),
        on_change=_reset,
        args=(_FIT_FORM_KEYS,),
    )
    zone = c2.selectbox(
        t("园区", "Zone", lang),
        zones,
        format_func=lambda z: f"{zone_names.get(z, z)} ({z})",
        key=choice_key("sw_fit_zone"),
        on_change=_reset,
        args=(_FIT_FORM_KEYS,),
    )
    if sector is None or zone is None:
        return
    cell = savededits.fit_cell(fit, edits, sector, zone)
    shipped_zh = _grade(cell.shipped_grade, "zh")
    shipped_en = _grade(cell.shipped_grade, "en")
    st.markdown(
        f"**Shipped grade**: {shipped_en}" if lang == "en" else f"**随附等级**：{shipped_zh}"
    )
    if cell.reason_zh or cell.reason_en:
        # in English, the Chinese reason follows: it quotes 专栏12 itself
        parts = (cell.reason_en, cell.reason_zh) if lang == "en" else (cell.reason_zh,)
        st.caption("\n\n".join(p for p in parts if p))
    state = store.state("sector_fit", cell.entity_id)
    edited = (state.value or {}).get("grade")
    grades = list(savededits.GRADE_LABELS)
    _choice_edit(
        state,
        lang,
        editor,
        now=(f"用户修改为 {_grade(edited, 'zh')}", f"edited to {_grade(edited, 'en')}"),
        empty=("未修改（使用随附等级）", "not edited (the shipped grade applies)"),
        what=("此产业匹配", "This sector-fit cell"),
        prefix="sw_fit",
        choice=(("新等级", "New grade"), "grade"),
        options=grades,
        current=cell.grade if cell.grade in grades else grades[0],
        format_func=lambda g: _grade(g, lang),
        submit=("保存产业匹配", "Save sector fit"),
        save=lambda grade, by, why, version: store.set_sector_fit(
            sector, zone, grade, by=by, why=why, expected_version=version
        ),
        seen=("sector_fit", cell.entity_id),
        saved_what=(f"{sector} × {zone}", f"{sector} × {zone}"),
    )
    table = savededits.fit_edits_table(fit, edits)
    st.markdown(t("**当前产业匹配修改**", "**Current sector-fit edits**", lang))
    shown = table.rename(columns={"plan_grade": "shipped_grade", "grade": "edited_grade"})
    show_saved_table(shown, lang, key="sw_fit_edits")


def _choice_edit(
    state: Any,
    lang: str,
    editor: str | None,
    *,
    now: tuple[str, str],
    empty: tuple[str, str],
    what: tuple[str, str],
    prefix: str,
    choice: tuple[tuple[str, str], str],
    options: list[str],
    current: str,
    format_func: Callable[[str], str],
    submit: tuple[str, str],
    save: Callable[[str, str, str, int], Change],
    seen: tuple[str, str],
    saved_what: tuple[str, str],
) -> None:
    """One versioned edit picked from ``options`` (a fit grade, a land class): the saved
    version and its reason, a form (the choice, a required reason, save — disabled without
    ``editor``), the version-checked save, and the button showing the entity's history.

    Widget keys are ``{prefix}_{choice[1]}``, ``{prefix}_why``, ``{prefix}_reload``,
    ``{prefix}_form`` and ``{prefix}_history``.
    """
    show_version(state, lang, now=now, empty=empty, what=what, reload_key=f"{prefix}_reload")
    show_reason(state, lang)
    (label_zh, label_en), name = choice
    with st.form(f"{prefix}_form"):
        value = st.selectbox(
            t(label_zh, label_en, lang),
            options,
            index=options.index(current),
            format_func=format_func,
            key=choice_key(f"{prefix}_{name}"),
        )
        why = st.text_input(t("原因（必填）", "Reason (required)", lang), key=f"{prefix}_why")
        clicked = st.form_submit_button(t(*submit, lang), disabled=editor is None)
    if clicked and editor is not None:
        save_versioned(
            lambda version: save(value, editor, why, version),
            seen_key(*seen),
            lang,
            what=saved_what,
        )
    _history_button(seen[1], lang, f"{prefix}_history")


def _rule_label(row: Mapping[str, object], lang: str) -> str:
    from wzgeo.analysis.rules import INDICATORS

    zh, en, _unit = INDICATORS.get(str(row["indicator"]), (row["indicator"],) * 3)
    name = en if lang == "en" else zh
    code = row["gbt4754_code"]
    return f"{name} · {code} · {row['edition']} ({row['rule_id']})"


def _describe_shipped(rows: tuple[dict[str, object], ...], lang: str) -> str:
    if not rows:
        return t("随附文件中没有此条", "Not in the shipped file", lang)
    units = {"ratio": t("（比值）", "(ratio)", lang), "pct": "%"}
    parts = []
    for r in rows:
        unit = units.get(str(r.get("unit")), r.get("unit") or "")
        parts.append(f"{r['comparator']} {r['threshold']:g} {unit}".strip())
    return " ; ".join(parts)


def rule_section(
    store: Store,
    editor: str | None,
    lang: str,
    rules: pd.DataFrame | None = None,
) -> None:
    """Edit the threshold (and note / source) of one land-use rule; list the current edits.

    Parameters
    ----------
    store
        The store.
    editor
        Who may edit in this session (None: read-only, the save button is disabled).
    lang
        ``"zh"`` or ``"en"``.
    rules
        The shipped rules; default :func:`shipped_rules`.
    """
    st.subheader(t("用地控制指标修改", "Land-rule edits", lang))
    rules = shipped_rules() if rules is None else rules
    try:
        edits = store.land_rule_edits()
    except WzgeoError as e:
        show_error(e, lang)
        return
    choices = savededits.rule_choices(rules)
    by_id: dict[str, dict[str, Any]] = {
        str(r["rule_id"]): {str(k): v for k, v in r.items()} for r in choices.to_dict("records")
    }
    rule_id = st.selectbox(
        t("指标 · 行业代码 · 版本", "Indicator · GB/T 4754 code · edition", lang),
        list(by_id),
        format_func=lambda r: _rule_label(by_id[r], lang),
        key=choice_key("sw_rule_id"),
        on_change=_reset,
        args=(_RULE_FORM_KEYS,),
    )
    if rule_id is None:
        return
    row = by_id[rule_id]
    view = savededits.rule_view(rules, edits, rule_id)
    shipped = _describe_shipped(view.shipped, lang)
    st.markdown(f"**Shipped rule**: {shipped}" if lang == "en" else f"**随附指标**：{shipped}")
    sources = sorted({str(r["source"]) for r in view.shipped if r.get("source")})
    notes = sorted({str(r["note"]) for r in view.shipped if r.get("note")})
    for text in sources:
        st.caption(t("来源：", "Source: ", lang) + plain(text))
    for text in notes:
        st.caption(t("说明：", "Note: ", lang) + plain(text))
    if int(row["n_rows"]) > 1:
        st.warning(
            t(
                f"随附文件在此编号下有 {row['n_rows']} 行并列的指标；修改会把它们都设为同一个值。",
                f"The shipped file has {row['n_rows']} parallel rows under this id; an edit "
                f"sets all of them to the same value.",
                lang,
            ),
            icon=":material/warning:",
        )
    state = store.state("land_rule", rule_id)
    values = (state.value or {}).get("values") or {}
    now = ", ".join(f"{k}={v}" for k, v in sorted(values.items()))
    show_version(
        state,
        lang,
        now=(f"用户修改：{now}", f"edited: {now}"),
        empty=("未修改（使用随附指标）", "not edited (the shipped rule applies)"),
        what=("此用地指标", "This land rule"),
        reload_key="sw_rule_reload",
    )
    show_reason(state, lang)
    current = view.threshold
    with st.form("sw_rule_form"):
        threshold = st.number_input(
            t("新阈值", "New threshold", lang),
            value=float(current) if current is not None else 0.0,
            step=0.1,
            format="%g",
            key="sw_rule_threshold",
        )
        c1, c2 = st.columns(2)
        note = c1.text_input(
            t("说明（可选）", "Note (optional)", lang),
            help=t("留空：保留随附说明", "Blank: keep the shipped note", lang),
            key="sw_rule_note",
        )
        source = c2.text_input(
            t("来源（可选）", "Source (optional)", lang),
            help=t("留空：保留随附来源", "Blank: keep the shipped source", lang),
            key="sw_rule_source",
        )
        why = st.text_input(t("原因（必填）", "Reason (required)", lang), key="sw_rule_why")
        save = st.form_submit_button(
            t("保存用地指标", "Save land rule", lang), disabled=editor is None
        )
    if save and editor is not None:
        try:
            new_values = savededits.rule_edit_values(threshold, note=note, source=source)
        except WzgeoError as e:
            show_error(e, lang)
        else:
            save_versioned(
                lambda version: store.set_land_rule(
                    rule_id, new_values, by=editor, why=why, expected_version=version
                ),
                seen_key("land_rule", rule_id),
                lang,
                what=(rule_id, rule_id),
            )
    _history_button(rule_id, lang, "sw_rule_history")
    table = savededits.rule_edits_table(rules, edits)
    st.markdown(t("**当前用地指标修改**", "**Current land-rule edits**", lang))
    show_saved_table(table, lang, key="sw_rule_edits")


def shipped_landclass() -> pd.DataFrame:
    """The shipped land-class table (``geodata/sector_landclass.csv``; cached by mtime)."""
    from wzgeo.analysis.landuse import load_landclass

    return load_landclass()


def landclass_section(
    store: Store, editor: str | None, lang: str, table: pd.DataFrame | None = None
) -> None:
    """Edit the industrial land class one sector needs; list the current edits.

    The plot check's ``land_class`` (single, bulk, app, reports) uses the edited class: a
    plot of the required class or one that tolerates more (三类 ≥ 二类 ≥ 一类) passes.

    Parameters
    ----------
    store
        The store.
    editor
        Who may edit in this session (None: read-only, the save button is disabled).
    lang
        ``"zh"`` or ``"en"``.
    table
        The shipped land-class table; default :func:`shipped_landclass`.
    """
    st.subheader(t("工业用地类别修改", "Industrial land class edits", lang))
    try:
        table = shipped_landclass() if table is None else table
        edits = store.sector_landclass_edits()
        sectors = savededits.landclass_sector_choices(table, known=store.ids.sector_ids)
    except WzgeoError as e:
        show_error(e, lang)
        return
    sector = st.selectbox(
        t("产业", "Sector", lang),
        sectors,
        format_func=lambda s: _sector_name(s, lang),
        key=choice_key("sw_class_sector"),
        on_change=_reset,
        args=(_CLASS_FORM_KEYS,),
    )
    if sector is None:
        return
    rows = table.loc[table["sector_id"] == sector]
    shipped = str(rows["required_class"].iloc[0]) if len(rows) else ""
    st.markdown(
        f"**Shipped class**: {savededits.class_label(shipped, 'en')}"
        if lang == "en"
        else f"**随附类别**：{savededits.class_label(shipped, 'zh')}"
    )
    if len(rows):
        r = rows.iloc[0]
        st.caption(plain(" · ".join(str(r[c]) for c in ("gbj_example_zh", "source", "note")
                                    if str(r.get(c, "") or ""))))  # fmt: skip
    state = store.state("sector_landclass", sector)
    edited = (state.value or {}).get("required_class")
    options = ["1", "2", "3", "none"]
    current = ("none" if edited is None else str(edited)) if state.exists else shipped or "none"
    _choice_edit(
        state,
        lang,
        editor,
        now=(
            f"用户修改为 {savededits.class_label(edited, 'zh')}",
            f"edited to {savededits.class_label(edited, 'en')}",
        ),
        empty=("未修改（使用随附类别）", "not edited (the shipped class applies)"),
        what=("此产业的工业用地类别", "This sector's land class"),
        prefix="sw_class",
        choice=(("新类别", "New class"), "value"),
        options=options,
        current=current if current in options else "none",
        format_func=lambda v: savededits.class_label(None if v == "none" else v, lang),
        submit=("保存工业用地类别", "Save land class"),
        save=lambda value, by, why, version: store.set_sector_landclass(
            sector, value, by=by, why=why, expected_version=version
        ),
        seen=("sector_landclass", sector),
        saved_what=(sector, sector),
    )
    st.markdown(t("**当前工业用地类别修改**", "**Current land-class edits**", lang))
    show_saved_table(savededits.landclass_edits_table(table, edits), lang, key="sw_class_edits")
