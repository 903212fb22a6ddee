"""目标 Targets: 专栏1 indicators, industry/land/intensity targets vs the project pipeline."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import streamlit as st

from wzgeo.analysis import intensity
from wzgeo.app import state as appstate
from wzgeo.app.pages import _common
from wzgeo.app.state import choice_key, tr
from wzgeo.geo.units import MU_PER_KM2

_CJK_FONT = "Noto Sans CJK SC, Noto Sans SC, WenQuanYi Micro Hei, sans-serif"


def _chart(chart: alt.Chart) -> alt.Chart:
    """Common chart settings: a CJK font so Chinese labels render."""
    return chart.configure(font=_CJK_FONT).configure_axis(labelLimit=240)


def _year_columns(indicators: pd.DataFrame) -> dict[int, str]:
    """Map year → numeric column of the indicators table (e.g. ``value_2020``)."""
    out: dict[int, str] = {}
    for col in indicators.columns:
        m = re.fullmatch(r"(?:value_|v)?(20\d\d)(?:_value)?", str(col))
        if m and pd.api.types.is_numeric_dtype(indicators[col]):
            out[int(m.group(1))] = str(col)
    return dict(sorted(out.items()))


def indicators_section(indicators: pd.DataFrame) -> None:
    st.header(
        tr(
            "专栏1 主要指标：2020 → 2023 → 2025",
            "Box 1 (专栏1) main indicators: 2020 → 2023 → 2025",
        )
    )
    indicators = indicators.copy()
    if appstate.lang() == "en":  # English names and words, the plan's Chinese name beside
        if "indicator_id" in indicators.columns:
            indicators["name_en"] = indicators["indicator_id"].map(
                lambda i: appstate.value_label("box1_indicator", i)
            )
        for col, group in (
            ("category_zh", "indicator_category"),
            ("attribute_zh", "indicator_attribute"),
        ):
            if col in indicators.columns:
                indicators[col] = indicators[col].map(lambda v, g=group: appstate.value_label(g, v))
    shown = (
        indicators[
            [
                c
                for c in (
                    "seq",
                    "category_zh",
                    "name_en",
                    "name_zh",
                    "attribute_zh",
                    "value_2020_text",
                    "value_2023_text",
                    "value_2025_text",
                    "growth_text",
                )
                if c in indicators.columns
            ]
        ]
        .fillna("")
        .rename(
            columns={
                "category_zh": tr("类别", "Category"),
                "name_en": "Indicator",
                "attribute_zh": tr("属性", "Type"),
                "value_2020_text": tr("2020 年", "2020"),
                "value_2023_text": tr("2023 年", "2023"),
                "value_2025_text": tr("2025 年", "2025"),
                "growth_text": tr("年均增速", "Annual growth"),
            }
        )
    )
    st.dataframe(appstate.col_labels(shown), hide_index=True, key="targets_indicators")
    st.caption(
        tr(
            "数值按规划原文列出；方括号 [ ] 为累计值。",
            "Values as written in the plan; [ ] marks cumulative values.",
        )
    )
    years = _year_columns(indicators)
    if len(years) < 2 or "name_zh" not in indicators.columns:
        return
    long = indicators.melt(
        id_vars=[c for c in ("name_zh", "unit") if c in indicators.columns],
        value_vars=list(years.values()),
        var_name="col",
        value_name="value",
    ).dropna(subset=["value"])
    long["year"] = long["col"].map({v: str(k) for k, v in years.items()})
    names = long["name_zh"].drop_duplicates().tolist()
    if not names:
        return
    english: dict[str, str] = {}
    if appstate.lang() == "en" and "indicator_id" in indicators.columns:
        english = {
            str(n): appstate.value_label("box1_indicator", i)
            for n, i in zip(indicators["name_zh"], indicators["indicator_id"], strict=True)
        }
    name = st.selectbox(
        tr("指标", "Indicator"),
        names,
        format_func=appstate.fmt(names, lambda n: english.get(str(n), str(n))),
        key=choice_key("targets_indicator"),
    )
    one = long.loc[long["name_zh"] == name]
    y_title = english.get(str(name), str(name))
    chart = (
        alt.Chart(one)
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title=tr("年份", "Year"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=y_title),
            tooltip=[
                alt.Tooltip("year:O", title=tr("年份", "Year")),
                alt.Tooltip("value:Q", title=y_title),
            ],
        )
        .properties(height=260)
    )
    st.altair_chart(_chart(chart), width="stretch")


def _sector_of(subject: str, sectors: pd.DataFrame | None) -> str | None:
    if sectors is None:
        return None
    for col in ("name_zh", "plan_sectors"):
        if col not in sectors.columns:
            continue
        for sid, value in zip(sectors["sector_id"], sectors[col].astype("string"), strict=True):
            if isinstance(value, str) and subject in value.split(";"):
                return str(sid)
    return None


def industry_section(
    targets: pd.DataFrame, projects: pd.DataFrame, sectors: pd.DataFrame | None
) -> None:
    st.header(tr("产业规模目标与项目库预计产值", "Industry targets vs the pipeline's output"))
    rows = targets.loc[targets["metric"] == "sector_output_yi"].copy()
    if rows.empty:
        st.info(
            tr("目标表中没有产业产值目标。", "No sector output targets in the targets table."),
            icon=":material/info:",
        )
        return
    if "sector_id" not in rows.columns:
        rows["sector_id"] = rows["subject_zh"].map(lambda s: _sector_of(str(s), sectors))
    tops = (
        projects["sector_id"]
        .astype("string")
        .fillna("")
        .map(lambda s: appstate.top_sector(s, sectors))
    )
    pipeline = pd.to_numeric(projects["output_yi"], errors="coerce").groupby(tops).sum()
    table = pd.DataFrame(
        {
            "sector_id": rows["sector_id"],
            "sector": rows["sector_id"].map(lambda s: appstate.value_label("sector", s)),
            "target_yi": pd.to_numeric(rows["value"], errors="coerce"),
            "pipeline_output_yi": rows["sector_id"].map(pipeline).fillna(0.0),
        }
    ).reset_index(drop=True)
    target_label = tr("2025 年目标（亿元）", "2025 target (100 M CNY)")
    pipe_label = tr("项目库预计产值（亿元）", "Pipeline expected output (100 M CNY)")
    long = table.melt(
        id_vars=["sector"],
        value_vars=["target_yi", "pipeline_output_yi"],
        var_name="series",
        value_name="yi",
    )
    long["series"] = long["series"].map(
        {"target_yi": target_label, "pipeline_output_yi": pipe_label}
    )
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("sector:N", title=tr("产业", "Sector"), sort=None, axis=alt.Axis(labelAngle=0)),
            xOffset="series:N",
            y=alt.Y("yi:Q", title=tr("亿元", "100 M CNY")),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top", labelLimit=0)),
            tooltip=[
                alt.Tooltip("sector:N", title=tr("产业", "Sector")),
                alt.Tooltip("series:N", title=tr("数据", "Series")),
                alt.Tooltip("yi:Q", title=tr("亿元", "100 M CNY"), format=".1f"),
            ],
        )
        .properties(height=300)
    )
    st.altair_chart(_chart(chart), width="stretch")
    shown = table.rename(
        columns={"target_yi": target_label, "pipeline_output_yi": pipe_label}
    ).drop(columns=["sector_id"])
    st.dataframe(appstate.col_labels(shown), hide_index=True, key="targets_industry")
    st.caption(
        tr(
            "项目库预计产值为各项目达产后的年产值之和（按当前筛选），不等于某一年份的实际产值。",
            "Pipeline output sums each project's expected annual output at full production "
            "(current filters); it is not the output of any given year.",
        )
    )


def land_section(targets: pd.DataFrame, zones: pd.DataFrame, projects: pd.DataFrame) -> None:
    st.header(tr("用地目标与园区规划、项目用地需求", "Land targets vs planned zones and need"))
    land = targets.loc[(targets["metric"] == "industrial_land_km2") & (targets["kind"] == "target")]
    planned = float(pd.to_numeric(zones["planned_land_km2"], errors="coerce").sum())
    need_mu = float(pd.to_numeric(projects["land_mu"], errors="coerce").sum())
    rows = [
        (tr(f"{int(y)} 年目标", f"{int(y)} target"), float(v))
        for y, v in zip(land["year"], land["value"], strict=True)
    ]
    rows.append((tr("13 个园区规划用地合计", "13 zones' planned land"), planned))
    rows.append((tr("项目库新增用地需求", "Pipeline land need"), need_mu / MU_PER_KM2))
    table = pd.DataFrame(rows, columns=["item", "land_km2"])
    chart = (
        alt.Chart(table)
        .mark_bar()
        .encode(
            y=alt.Y("item:N", title=None, sort=None),
            x=alt.X("land_km2:Q", title=tr("用地（km²）", "Land (km²)")),
            tooltip=[
                alt.Tooltip("item:N", title=tr("项目", "Item")),
                alt.Tooltip("land_km2:Q", title=tr("用地（km²）", "Land (km²)"), format=".2f"),
            ],
        )
        .properties(height=180)
    )
    st.altair_chart(_chart(chart), width="stretch")
    st.caption(
        tr(
            "项目用地需求只计“亩”，标准厂房面积（m²）是建筑面积，不计入用地。",
            "Land need counts only 亩 (mu); standard-factory floor space (m²) is building floor "
            "area and is not added to land.",
        )
    )


def intensity_section(zones: pd.DataFrame, projects: pd.DataFrame) -> None:
    st.header(tr("地均产出与 50 / 70 亿元/km² 目标", "Output per km² vs the 50 / 70 targets"))
    if projects.empty:
        st.info(
            tr("当前筛选下没有项目。", "No projects match the current filters."),
            icon=":material/info:",
        )
        return
    table: pd.DataFrame = intensity.district_intensity(projects, zones=zones)
    basis_label = {
        "land_need": tr("项目自身用地", "Projects' own land"),
        "planned_zones": tr("园区规划用地", "Zones' planned land"),
        "target_land_2025": tr("2025 年目标用地 20 km²", "2025 target land 20 km²"),
        "target_land_2035": tr("2035 年目标用地 35 km²", "2035 target land 35 km²"),
        "baseline_2020": tr("2020 年经开区（基期）", "2020 development zone (baseline)"),
    }
    table = table.assign(item=table["basis"].map(basis_label).fillna(table["basis"]))
    bars = (
        alt.Chart(table)
        .mark_bar()
        .encode(
            y=alt.Y("item:N", title=None, sort=None),
            x=alt.X("intensity_yi_per_km2:Q", title=appstate.lbl("intensity_yi_per_km2")),
            tooltip=[
                alt.Tooltip("item:N", title=tr("面积口径", "Area basis")),
                alt.Tooltip(
                    "intensity_yi_per_km2:Q",
                    title=appstate.lbl("intensity_yi_per_km2"),
                    format=".1f",
                ),
            ],
        )
    )
    rules = pd.DataFrame(
        {
            "target": [50, 70],
            "label": [
                tr("2025 年目标 50", "2025 target 50"),
                tr("2035 年目标 70", "2035 target 70"),
            ],
        }
    )
    lines = (
        alt.Chart(rules)
        .mark_rule(color="#c0392b", strokeDash=[4, 3])
        .encode(x="target:Q", tooltip=[alt.Tooltip("label:N", title=tr("目标", "Target"))])
    )
    # the target lines say what they are (not only in a tooltip), above the plot where no
    # bar is: the 2025 label ends at its line, the 2035 one starts at its line
    marks = alt.layer(
        *(
            alt.Chart(rules.iloc[[i]])
            .mark_text(
                align="right" if i == 0 else "left",
                baseline="bottom",
                dx=-3 if i == 0 else 3,
                dy=-4,
                color="#c0392b",
                fontSize=11,
            )
            .encode(x="target:Q", y=alt.value(0), text="label:N")
            for i in range(len(rules))
        )
    )
    st.altair_chart(_chart((bars + lines + marks).properties(height=240)), width="stretch")
    shown = table[["item", "output_yi", "area_km2", "intensity_yi_per_km2"]].round(2)
    shown = appstate.col_labels(shown).rename(columns={"item": tr("面积口径", "Area basis")})
    st.dataframe(shown, hide_index=True, key="targets_intensity")


def render() -> None:
    st.title(tr("目标", "Targets"))
    tables = _common.require_tables("indicators", "targets", "zones", "projects")
    if tables is None:
        return
    assert tables.indicators is not None and tables.targets is not None
    assert tables.zones is not None and tables.projects is not None
    projects = appstate.filtered_projects(
        tables.projects, appstate.current_filters(), sectors=tables.sectors
    )
    indicators_section(tables.indicators)
    industry_section(tables.targets, projects, tables.sectors)
    land_section(tables.targets, tables.zones, projects)
    intensity_section(tables.zones, projects)


if __name__ == "__main__":
    render()
