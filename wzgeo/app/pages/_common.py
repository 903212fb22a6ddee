"""Small UI helpers shared by the pages (downloads, missing-data notices)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from wzgeo.app import state as appstate
from wzgeo.app.state import PlanTables, tr
from wzgeo.geo.units import fmt_sig

if TYPE_CHECKING:  # pandas' Styler (≈ 0.05–0.1 s to import) loads with the first table shown,
    # after the map page has sent its map, not in the server's warm-up before it
    from pandas.io.formats.style import Styler

__all__ = [
    "as_text",
    "download_frame",
    "download_table",
    "in_lang",
    "present",
    "require_tables",
    "search",
    "selectable_table",
    "show_load_errors",
    "show_table",
    "styled",
    "table_bytes",
    "with_zone_names",
    "zone_name",
]

#: shown instead of a missing value (Streamlit would show "None")
MISSING = "—"
_CJK = re.compile(r"[\u4e00-\u9fff]")
#: coded columns (beyond those of ``appstate.display_values``) → label group
_CODED = {
    "suggestion_status": "suggestion_status",
    "fit_grade": "fit_grade",
    "result": "result",
    "zone_geometry_quality": "geometry_quality",
    "geometry_quality": "geometry_quality",
}
#: columns holding zone ids, shown as zone names
_ZONE_COLUMNS = ("plan_zone_id", "nearest_fitting_zone_id", "zones_overlapped")
#: columns holding text in both languages ("中文 / English"), shown in the current one
_BILINGUAL = ("measured_note", "geometry_note", "note")


def in_lang(text: object) -> object:
    """The current language's part of a library text written ``"中文 / English"`` (or
    ``"English / 中文"``).

    Texts that are not written that way (or are not text) are returned unchanged.
    """
    if not isinstance(text, str) or " / " not in text:
        return text
    first, _sep, second = text.partition(" / ")
    if _CJK.search(first) and not _CJK.search(second):
        zh, en = first, second
    elif _CJK.search(second) and not _CJK.search(first):
        zh, en = second, first
    else:
        return text
    return en if appstate.lang() == "en" else zh


def with_zone_names(text: str, tables: PlanTables | None = None) -> str:
    """``text`` with the zone ids it mentions (``gaofeng``) replaced by zone names."""
    names = appstate.names(tables if tables is not None else appstate.plan_tables())
    zone_ids = [z for z in names if re.fullmatch(r"[a-z][a-z_]*", z)]
    if not zone_ids:
        return text
    pattern = re.compile(r"\b(" + "|".join(sorted(zone_ids, key=len, reverse=True)) + r")\b")
    return pattern.sub(lambda m: names[m.group(1)], text)


def zone_name(zone_id: object, tables: PlanTables | None = None) -> str:
    """Display name of a zone id in the current language (the id when unknown)."""
    names = appstate.names(tables if tables is not None else appstate.plan_tables())
    return names.get(str(zone_id), str(zone_id))


def _flags(value: object) -> object:
    if not isinstance(value, str) or not value:
        return value
    return "；".join(appstate.value_label("quality_flag", f) for f in value.split(";") if f)


def present(df: pd.DataFrame, tables: PlanTables | None = None) -> pd.DataFrame:
    """``df`` as users read it: coded values as labels, zone ids as names, one language.

    Columns keep their ASCII names (label them with ``appstate.col_labels``); a column whose
    ids became names is renamed (``sector_id`` → ``sector``, ``zone_id`` → ``zone``) so that
    its header does not say "id" above a name.
    """
    tables = tables if tables is not None else appstate.plan_tables()
    out = appstate.display_values(df, tables)
    renames = {}
    if "sector_id" in out.columns and "sector" not in out.columns:
        renames["sector_id"] = "sector"
    if "project_id" in out.columns and "zone_id" in out.columns and "zone" not in out.columns:
        renames["zone_id"] = "zone"
    names = appstate.names(tables)
    for col, group in _CODED.items():
        if col in out.columns:
            out[col] = out[col].map(
                lambda v, g=group: v if v is None or v is pd.NA else appstate.value_label(g, v)
            )
    for col in _ZONE_COLUMNS:
        if col in out.columns:
            out[col] = out[col].map(
                lambda v: (
                    "、".join(names.get(z.strip(), z.strip()) for z in re.split(r"[;,]", v))
                    if isinstance(v, str) and v
                    else v
                )
            )
    if "quality_flags" in out.columns:
        out["quality_flags"] = out["quality_flags"].map(_flags)
    for col in _BILINGUAL:
        if col in out.columns:
            out[col] = out[col].map(in_lang)
    return out.rename(columns=renames)


def search(df: pd.DataFrame, text: str, tables: PlanTables | None = None) -> pd.DataFrame:
    """Rows where any cell contains ``text`` (case-insensitive, literal), as stored or as
    shown (``签约`` finds ``signed``, ``九龙园B区`` finds ``jiulong_b``)."""
    if not text:
        return df

    def joined(frame: pd.DataFrame) -> pd.Series:
        return frame.astype("string").fillna("").agg(" ".join, axis=1)

    hay = joined(df) + " " + joined(present(df, tables))
    return df.loc[hay.str.contains(text, case=False, regex=False)]


def _cell(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return tr("是", "yes") if value else tr("否", "no")
    if isinstance(value, float):
        # 0.01, or more decimals for 3 significant digits (1 m² = 0.0015 亩, not 0)
        text = fmt_sig(value)
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def as_text(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every cell as the text users read (as :func:`styled` shows it)."""
    return df.apply(lambda col: col.map(lambda v: MISSING if _missing(v) else _cell(v)))


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like cells
        return False


def styled(df: pd.DataFrame) -> Styler:
    """``df`` for ``st.dataframe``: numbers to 0.01 (3 significant digits at least), yes/no
    in the current language.

    Sorting in the table still uses the numbers. ``na_rep`` is "—", but ``st.dataframe``
    draws an empty cell as its own grey "None" placeholder whatever the Styler says (checked
    with Streamlit 1.67); :func:`as_text` (HTML report) does show "—".
    """
    return df.style.format(_cell, na_rep=MISSING)


def show_table(df: pd.DataFrame, **kwargs: Any) -> Any:
    """``st.dataframe`` of ``df`` (already presented and labelled) with :func:`styled`."""
    return st.dataframe(styled(df), **kwargs)


def selectable_table(
    shown: pd.DataFrame,
    tables: PlanTables,
    *,
    id_column: str,
    key: str,
    name: Callable[[str], str] | None = None,
) -> None:
    """Show ``shown`` presented and labelled, one row selectable; a selected row's
    ``id_column`` value becomes the map's highlight, with a link to the map page.

    ``name`` gives the item's name in the link (default: the id itself).
    """
    event = show_table(
        appstate.col_labels(present(shown, tables)),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
    )
    rows = list(event.selection.rows) if event is not None else []
    if not rows:
        return
    item = str(shown.iloc[rows[0]][id_column])
    st.session_state["highlight"] = item
    text = item if name is None else name(item)
    st.page_link(
        "wzgeo/app/pages/map.py",
        label=tr(f"在地图上查看 {text}", f"Show {text} on the map"),
        icon="🗺️",
    )


def show_load_errors(errors: tuple[tuple[str, str], ...]) -> None:
    """List data that could not be loaded (one notice, both languages)."""
    if not errors:
        return
    lines = [f"- {zh} / {en}" if zh != en else f"- {zh}" for zh, en in errors]
    st.warning(
        tr("以下数据或功能暂不可用：", "These data or functions are not available:")
        + "\n"
        + "\n".join(lines),
        icon=":material/warning:",
    )


def require_tables(*names: str) -> PlanTables | None:
    """The plan tables if all ``names`` are loaded; else a notice and ``None``."""
    tables = appstate.plan_tables()
    missing = [n for n in names if getattr(tables, n) is None]
    if missing:
        show_load_errors(tables.errors)
        st.info(
            tr(
                f"本页需要的数据表尚未就绪：{', '.join(missing)}（运行 wzgeo build-data）。",
                f"Tables this page needs are not ready: {', '.join(missing)} "
                "(run wzgeo build-data).",
            ),
            icon=":material/info:",
        )
        return None
    return tables


def table_bytes(df: pd.DataFrame, *, fmt: str, sheet: str = "wzgeo") -> bytes:
    """CSV (UTF-8 with BOM, so Excel opens Chinese) or XLSX bytes of ``df`` as displayed."""
    if fmt == "csv":
        return df.to_csv(index=False).encode("utf-8-sig")
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        df.to_excel(writer, index=False, sheet_name=sheet[:31])
    return buf.getvalue()


def download_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` as downloaded: headers labelled in the current language, yes/no columns as
    words of that language (not ``True``/``False``)."""
    yes_no = {True: tr("是", "yes"), False: tr("否", "no")}
    bools = [str(c) for c in df.columns if pd.api.types.is_bool_dtype(df[c])]
    return appstate.col_labels(df.assign(**{c: df[c].map(yes_no) for c in bools}))


def download_table(df: pd.DataFrame, *, stem: str, key: str) -> None:
    """CSV and Excel download buttons of :func:`download_frame`."""
    shown = download_frame(df)
    c1, c2 = st.columns(2)
    c1.download_button(
        tr("下载 CSV", "Download CSV"),
        data=table_bytes(shown, fmt="csv"),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key=f"{key}_csv",
    )
    c2.download_button(
        tr("下载 Excel", "Download Excel"),
        data=table_bytes(shown, fmt="xlsx", sheet=stem),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
    )
