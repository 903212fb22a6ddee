"""数据说明 Data & quality: sources, licences, the schematic-geometry caveat, the quality report."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from wzgeo import appstate
from wzgeo.appstate import tr
from wzgeo.pages import _common
from wzgeo.paths import geodata_dir, plan_dir


def _read(path_name: str) -> str | None:
    path = geodata_dir() / path_name
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _layer_sources(geo: appstate.Geometry) -> pd.DataFrame:
    rows = []
    for key, layer in (("ui.district", geo.district), ("ui.river", geo.river)):
        if layer is None:
            continue
        attrs = getattr(layer, "attrs", {}) or {}
        rows.append(
            {
                "layer": appstate.lbl(key),
                "source": str(attrs.get("source", "")),
                "licence": str(attrs.get("licence", "")),
            }
        )
    return pd.DataFrame(rows, columns=["layer", "source", "licence"])


def render() -> None:
    st.title(tr("数据说明", "Data & quality"))
    st.warning("⚠️ " + appstate.lbl("ui.schematic_banner"))
    tables = appstate.plan_tables()
    geo = appstate.geometry()
    _common.show_load_errors(tables.errors + geo.errors)

    st.header(tr("园区边界精度", "Zone boundary quality"))
    if geo.zones_geo is not None and "geometry_quality" in geo.zones_geo.columns:
        cols = [
            c
            for c in ("zone_id", "name_zh", "geometry_quality", "area_km2_measured")
            if c in geo.zones_geo.columns
        ]
        quality = pd.DataFrame(geo.zones_geo[cols]).copy()
        quality["geometry_quality"] = quality["geometry_quality"].map(
            lambda v: appstate.value_label("geometry_quality", v)
        )
        _common.show_table(appstate.col_labels(quality), hide_index=True, key="dq_geometry")
    else:
        appstate.notice_missing("园区几何（wzgeo.zonegeom）", "zone geometry")

    st.header(tr("来源与许可", "Sources and licences"))
    sources = _layer_sources(geo)
    if not sources.empty:
        st.dataframe(
            sources.rename(
                columns={
                    "layer": tr("图层", "Layer"),
                    "source": tr("来源", "Source"),
                    "licence": tr("许可", "Licence"),
                }
            ),
            hide_index=True,
            key="dq_sources",
        )
    readme = _read("README.md")
    if readme:
        with st.expander(tr("geodata/README.md（数据文件说明）", "geodata/README.md (data files)")):
            st.markdown(readme)

    st.header(tr("规划数据质量报告", "Plan data quality report"))
    quality_md = plan_dir() / "quality.md"
    if quality_md.is_file():
        st.markdown(quality_md.read_text(encoding="utf-8"))
    else:
        st.info(
            tr(
                "质量报告 geodata/plan/quality.md 尚未生成（运行 wzgeo build-data）。",
                "The quality report geodata/plan/quality.md is not built yet "
                "(run wzgeo build-data).",
            )
        )


if __name__ == "__main__":
    render()
