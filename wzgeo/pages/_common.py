"""Small UI helpers shared by the pages (downloads, missing-data notices)."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from wzgeo import appstate
from wzgeo.appstate import PlanTables, tr

__all__ = ["download_table", "require_tables", "show_load_errors", "table_bytes"]


def show_load_errors(errors: tuple[tuple[str, str], ...]) -> None:
    """List data that could not be loaded (one notice, both languages)."""
    if not errors:
        return
    lines = [f"- {zh} / {en}" if zh != en else f"- {zh}" for zh, en in errors]
    st.warning(
        tr("以下数据或功能暂不可用：", "These data or functions are not available:")
        + "\n"
        + "\n".join(lines)
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
            )
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


def download_table(df: pd.DataFrame, *, stem: str, key: str) -> None:
    """CSV and Excel download buttons; headers labelled in the current language."""
    shown = appstate.col_labels(df)
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
