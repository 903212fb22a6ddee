"""Tests for wzgeo.analysis.answer: the plot check's one-sentence answer per plot.

Zones and plots are boxes in EPSG:4545 metres, so areas, shares and distances are known by
hand: a 100 m × 100 m plot is 10,000 m² = 15.0 亩; the zone boxes are 2 km apart.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from wzgeo.analysis.answer import Finding, answer_sentence, answer_sentences
from wzgeo.analysis.plotcheck import check_plots
from wzgeo.analysis.sectorfit import load_sector_fit
from wzgeo.errors import WzgeoError

FIT = load_sector_fit()
ZONES_GEO = gpd.GeoDataFrame(
    {
        "zone_id": ["gaofeng", "tianzi", "jiulong_a", "yudong"],
        "geometry_quality": ["schematic", "schematic", "not_located", "not_located"],
    },
    geometry=[
        box(530000, 3400000, 532000, 3402000),
        box(534000, 3400000, 536000, 3402000),
        None,
        None,
    ],
    crs="EPSG:4545",
).to_crs("EPSG:4326")
ZONES = pd.DataFrame(
    {
        "zone_id": ["gaofeng", "tianzi", "jiulong_a", "yudong"],
        "name_zh": ["高峰园", "天子园", "九龙园A区", "渝东新区"],
        "name_en": ["Gaofeng Park", "Tianzi Park", "Jiulong Park Area A", "Yudong New Area"],
    }
)


def _plots() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"plot_id": ["1", "2", "3", "4"]},
        geometry=[
            box(531000, 3401000, 531100, 3401100),  # inside gaofeng, 15 亩
            box(531950, 3400500, 532050, 3400600),  # half in gaofeng
            box(532990, 3401000, 533010, 3401100),  # between: 990 m from each zone
            box(539400, 3401000, 539500, 3401100),  # 3.4 km east of tianzi
        ],
        crs="EPSG:4545",
    )


def _check(**kw: object) -> object:
    return check_plots(_plots(), zones_geo=ZONES_GEO, zones=ZONES, fit=FIT, **kw)  # type: ignore[arg-type]


def test_sentences_in_chinese() -> None:
    # food: gaofeng primary (食品医药), tianzi not listed (汽车、绿色照明)
    s = answer_sentences(_check(sector_id="food"), lang="zh")
    assert s[0] == "地块 1（15.0 亩）位于高峰园内（100 %），产业适配：主导产业。"
    assert s[1] == "地块 2（15.0 亩）部分位于高峰园内（50 %，其余在园区外），产业适配：主导产业。"
    # 20 m × 100 m = 2000 m² = 3.0 亩, 990 m from gaofeng (fits) and from tianzi (does not)
    assert s[2].startswith(
        "地块 3（3.0 亩）不在任何已定位园区内；最近的适配园区为高峰园，约 990 m；"
    )
    assert s[2].endswith("九龙园A区、渝东新区位置未知，无法判断地块是否位于其中。")
    # the nearest *fitting* zone is gaofeng (7.4 km), not tianzi (3.4 km)
    assert "最近的适配园区为高峰园，约 7.4 km" in s[3]
    assert not any(re.search(r"gaofeng|jiulong_a|yudong|<NA>|None|nan", x) for x in s)


def test_sentences_in_english() -> None:
    s = answer_sentences(_check(sector_id="auto"), lang="en")
    assert s[0] == (
        "Plot 1 (15.0 mu) lies in Gaofeng Park (100 %); sector fit: not listed for this zone."
    )
    assert s[3].startswith(
        "Plot 4 (15.0 mu) lies outside every located zone; the nearest fitting zone is "
        "Tianzi Park, about 3.4 km; Jiulong Park Area A and Yudong New Area have no known "
        "location"
    )
    assert not any(re.search(r"[\u4e00-\u9fff]", x) for x in s)


def test_without_a_sector_the_nearest_zone_and_no_fit() -> None:
    s = answer_sentences(_check(), lang="zh")
    assert s[0] == "地块 1（15.0 亩）位于高峰园内（100 %）。"
    assert "最近的园区为天子园，约 3.4 km" in s[3]


def test_plot_spanning_two_zones_and_overlapping_plots() -> None:
    plots = gpd.GeoDataFrame(
        {"plot_id": ["a", "b"], "name": ["东厂区", ""]},
        # plot a: 200 m wide, across the edge where gaofeng and (moved) tianzi touch
        geometry=[box(531900, 3401000, 532100, 3401100), box(532000, 3401000, 532050, 3401050)],
        crs="EPSG:4545",
    )
    zones_geo = ZONES_GEO.to_crs("EPSG:4545")
    zones_geo.loc[1, "geometry"] = box(532000, 3400000, 534000, 3402000)  # touches gaofeng
    check = check_plots(
        plots, zones_geo=zones_geo.to_crs("EPSG:4326"), zones=ZONES, fit=FIT, sector_id="auto"
    )
    zh = answer_sentence(check, "a", lang="zh")
    # 200 m × 100 m = 20,000 m² = 30.0 亩; half in each zone; fit judged by the first listed
    assert zh.startswith("地块 a（东厂区，30.0 亩）跨2个园区：")
    assert "高峰园（50 %）" in zh and "天子园（50 %）" in zh
    assert "与地块 b 重叠" in zh
    en = answer_sentence(check, "b", lang="en")
    assert en.startswith("Plot b (3.8 mu) lies in Tianzi Park (100 %); sector fit: a focus")
    assert "overlaps plot a" in en


def test_findings_lead_the_sentence() -> None:
    check = _check(sector_id="food")
    farm = Finding("占用永久基本农田 3.2 亩", "takes 3.2 mu of permanent basic farmland", "farm")
    red = Finding("与生态保护红线重叠", "overlaps the ecological red line", "eco")
    kept = replace(check, findings={"1": (red,)})
    zh = answer_sentence(kept, "1", lang="zh", findings=[farm])
    assert zh == (
        "地块 1（15.0 亩）：与生态保护红线重叠；占用永久基本农田 3.2 亩；"
        "位于高峰园内（100 %），产业适配：主导产业。"
    )
    en = answer_sentences(kept, lang="en")[0]
    assert en.startswith("Plot 1 (15.0 mu): overlaps the ecological red line; lies in Gaofeng")
    report = kept.to_dict()
    assert report["findings"] == {"1": [{"kind": "eco", "zh": red.zh, "en": red.en}]}
    assert report["plots"][0]["answer_zh"].startswith("地块 1（15.0 亩）：与生态保护红线重叠")


def test_project_adds_the_control_indicators() -> None:
    projects = pd.DataFrame(
        {
            "project_id": ["FP-FD-01"],
            "sector_id": ["food"],
            "output_yi": [1.0],
            "investment_yi": [1.0],
            "tax_yi": [0.1],
            "land_mu": [15.0],
        }
    )
    sectors = pd.DataFrame({"sector_id": ["food"], "gbt4754_codes": ["13"]})
    check = check_plots(
        _plots().iloc[:1],
        zones_geo=ZONES_GEO,
        zones=ZONES,
        fit=FIT,
        project_id="FP-FD-01",
        projects=projects,
        sectors=sectors,
    )
    t = check.table.iloc[0]
    zh = answer_sentence(check, lang="zh")
    assert "控制指标：" in zh
    if t["indicators_fail"]:
        assert f"{int(t['indicators_fail'])} 项未达标" in zh
    assert "all plots as one site" not in answer_sentence(check, lang="en")


def test_report_json_is_led_by_the_answer() -> None:
    report = _check(sector_id="food").to_dict()
    assert list(report)[:2] == ["answer_zh", "answer_en"]
    assert report["answer_zh"][0] == "地块 1（15.0 亩）位于高峰园内（100 %），产业适配：主导产业。"
    assert list(report["plots"][0])[:2] == ["answer_zh", "answer_en"]
    assert report["zones_not_located"] == ["jiulong_a", "yudong"]
    json.dumps(report, ensure_ascii=False)


def test_notes_name_zones_in_words_when_the_zones_table_is_given() -> None:
    check = _check(sector_id="food")
    note_zh = next(n for n in check.notes_zh if "位置未知" in n)
    note_en = next(n for n in check.notes_en if "no known location" in n)
    assert "九龙园A区、渝东新区" in note_zh and "jiulong_a" not in note_zh
    assert "Jiulong Park Area A, Yudong New Area" in note_en
    reason = check.table.set_index("plot_id").loc["3", "fit_reason_zh"]
    assert "九龙园A区、渝东新区" in reason and "jiulong_a" not in reason


def test_bad_calls_are_explained() -> None:
    check = _check()
    with pytest.raises(WzgeoError, match="give a plot id"):
        answer_sentence(check, lang="zh")
    with pytest.raises(WzgeoError, match="no plot 'x'"):
        answer_sentence(check, "x", lang="zh")
    with pytest.raises(WzgeoError, match="Unsupported language"):
        answer_sentences(check, lang="fr")
