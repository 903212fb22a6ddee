"""The plot check's answer: one sentence per plot, in Chinese or English.

A planner reads the answer first and the tables after it, so the sentence says what matters
in words — the plot, its size, the zone it lies in (by name) and the share inside it, the
sector fit; or, outside every located zone, the nearest fitting zone and how far it is, and
which zones have no known location::

    地块 1（60.0 亩）位于高峰园内（100 %），产业适配：主导产业。
    Plot 1 (60.0 mu) lies in Gaofeng Park (100 %); sector fit: a focus sector of the zone.

Later findings (land-use class, overlaps with 永久基本农田 or 生态保护红线 …) lead the
sentence when present: pass them, most serious first, as :class:`Finding` objects — either
per call (``findings=``) or kept on the check result (``PlotCheck.findings``, plot id →
findings)::

    地块 1（60.0 亩）：占用永久基本农田 3.2 亩；位于高峰园内（100 %），产业适配：主导产业。

The functions read a check result (:class:`wzgeo.analysis.plotcheck.PlotCheck`) through the
attributes listed in :class:`CheckResult`; they never change it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from wzgeo.errors import WzgeoError

__all__ = ["CheckResult", "Finding", "answer_sentence", "answer_sentences", "summary_sentence"]

#: a plot at least this share (%) inside one zone lies "in" it (no "the rest outside")
_WHOLE_PCT = 99.95


@dataclass(frozen=True)
class Finding:
    """A fact about one plot that leads its answer sentence (most serious findings first).

    Attributes
    ----------
    zh, en
        The finding in Chinese and in English, short, without final punctuation
        (``"占用永久基本农田 3.2 亩"`` / ``"takes 3.2 mu of permanent basic farmland"``).
    kind
        What kind of finding (free text id, e.g. ``"farmland"``, ``"eco_redline"``), for
        readers that filter; not shown.
    """

    zh: str
    en: str
    kind: str = ""

    def text(self, lang: str) -> str:
        """The finding in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.en if lang == "en" else self.zh


class CheckResult(Protocol):
    """What the answer reads from a plot check result (``PlotCheck`` has all of it)."""

    @property
    def table(self) -> pd.DataFrame: ...
    @property
    def zone_overlaps(self) -> pd.DataFrame: ...
    @property
    def sector_id(self) -> str | None: ...
    @property
    def project_id(self) -> str | None: ...
    @property
    def zones_not_located(self) -> tuple[str, ...]: ...
    @property
    def zone_names(self) -> Mapping[str, tuple[str, str]]: ...
    @property
    def findings(self) -> Mapping[str, Sequence[Finding]]: ...


def _check_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise WzgeoError(
            f"不支持的语言 {lang!r}：请用 'zh' 或 'en'。",
            f"Unsupported language {lang!r}: use 'zh' or 'en'.",
        )


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    try:
        return bool(isinstance(v, float) and math.isnan(v))
    except TypeError:
        return False


def _num(v: Any) -> float:
    if _missing(v):
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _pct(x: float) -> str:
    v = round(x, 1)
    return f"{v:.0f} %" if v == int(v) else f"{v:.1f} %"


def _distance(m: float, lang: str) -> str:
    about = "about " if lang == "en" else "约 "
    if m < 1000:
        return f"{about}{round(m, -1) if m >= 100 else round(m):.0f} m"
    return f"{about}{m / 1000:,.1f} km"


class _Words:
    """Zone names, lists and joins in one language."""

    def __init__(self, check: CheckResult, lang: str) -> None:
        self.lang = lang
        self.names = getattr(check, "zone_names", None) or {}

    def zone(self, zone_id: Any) -> str:
        pair = self.names.get(str(zone_id))
        if pair is None:
            return str(zone_id)
        zh, en = pair
        return (en or zh) if self.lang == "en" else (zh or en)

    def zones(self, zone_ids: Iterable[Any]) -> str:
        shown = [self.zone(z) for z in zone_ids]
        if self.lang == "zh":
            return "、".join(shown)
        if len(shown) <= 2:
            return " and ".join(shown)
        return ", ".join(shown[:-1]) + " and " + shown[-1]

    def t(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh


_FIT = {
    "primary": ("产业适配：主导产业", "sector fit: a focus sector of the zone"),
    "compatible": ("产业适配：兼容", "sector fit: compatible"),
    "not_listed": (
        "产业不适配：该园区未列出此产业",
        "sector fit: not listed for this zone",
    ),
}


def _plot_label(rec: Mapping[Any, Any], w: _Words) -> str:
    pid = str(rec.get("plot_id", ""))
    name = rec.get("plot_name")
    area = _num(rec.get("area_mu"))
    size = "" if math.isnan(area) else f"{area:,.1f} " + w.t("亩", "mu")
    inner = [s for s in (name if isinstance(name, str) and name and name != pid else "", size) if s]
    head = w.t(f"地块 {pid}", f"Plot {pid}")
    if not inner:
        return head
    return head + w.t(f"（{'，'.join(inner)}）", f" ({', '.join(inner)})")


def _location(
    rec: Mapping[Any, Any],
    zones: Sequence[tuple[str, float]],
    check: CheckResult,
    w: _Words,
) -> list[str]:
    """The location clauses: in which zone(s), or outside and the nearest fitting zone."""
    fit = rec.get("fit_grade")
    fit = None if _missing(fit) else str(fit)
    fit_words = _FIT.get(fit) if fit else None
    clauses: list[str] = []
    if zones:
        main, share = zones[0]
        if len(zones) == 1 and share >= _WHOLE_PCT:
            where = w.t(
                f"位于{w.zone(main)}内（{_pct(share)}）", f"lies in {w.zone(main)} ({_pct(share)})"
            )
        elif len(zones) == 1:
            where = w.t(
                f"部分位于{w.zone(main)}内（{_pct(share)}，其余在园区外）",
                f"lies partly in {w.zone(main)} ({_pct(share)}; the rest outside every zone)",
            )
        else:
            parts_zh = "、".join(f"{w.zone(z)}（{_pct(s)}）" for z, s in zones)
            parts_en = ", ".join(f"{w.zone(z)} ({_pct(s)})" for z, s in zones)
            where = w.t(
                f"跨{len(zones)}个园区：{parts_zh}", f"spans {len(zones)} zones: {parts_en}"
            )
        if fit_words is not None:
            fit_text = w.t(*fit_words)
            if len(zones) > 1:
                fit_text = w.t(
                    f"按{w.zone(main)}判断，{fit_text}",
                    f"judged by {w.zone(main)}, {fit_text}",
                )
            clauses.append(where + w.t("，", "; ") + fit_text)
        else:
            clauses.append(where)
        return clauses
    not_located = tuple(getattr(check, "zones_not_located", ()) or ())
    clauses.append(
        w.t("不在任何已定位园区内", "lies outside every located zone")
        if not_located
        else w.t("不在任何园区内", "lies outside every zone")
    )
    near = rec.get("nearest_fitting_zone_id")
    dist = _num(rec.get("distance_to_fitting_zone_m"))
    if not _missing(near) and near and not math.isnan(dist):
        d = _distance(dist, w.lang)
        if check.sector_id or check.project_id:
            clauses.append(
                w.t(
                    f"最近的适配园区为{w.zone(near)}，{d}",
                    f"the nearest fitting zone is {w.zone(near)}, {d}",
                )
            )
        else:
            clauses.append(
                w.t(f"最近的园区为{w.zone(near)}，{d}", f"the nearest zone is {w.zone(near)}, {d}")
            )
    if not_located:
        many = len(not_located) > 1
        clauses.append(
            w.t(
                f"{w.zones(not_located)}位置未知，无法判断地块是否位于其中",
                f"{w.zones(not_located)} {'have' if many else 'has'} no known location, so "
                f"whether the plot lies in {'one of them' if many else 'it'} cannot be told",
            )
        )
    return clauses


def _count(v: Any) -> int:
    x = _num(v)
    return 0 if math.isnan(x) else int(x)


def _extras(rec: Mapping[Any, Any], check: CheckResult, w: _Words, n_plots: int) -> list[str]:
    """Further clauses: overlaps with other plots, repaired geometry, control indicators."""
    out: list[str] = []
    others = rec.get("overlapping_plots")
    if isinstance(others, list | tuple):
        others = ";".join(str(o) for o in others)
    if isinstance(others, str) and others:
        ids = [o for o in others.split(";") if o]
        out.append(
            w.t(
                f"与地块 {'、'.join(ids)} 重叠",
                f"overlaps plot{'s' if len(ids) > 1 else ''} {', '.join(ids)}",
            )
        )
    if rec.get("geometry_repaired") is True:
        out.append(w.t("几何无效，已修复后计算", "invalid geometry, repaired before measuring"))
    if check.project_id:
        counts = {r: _count(rec.get(f"indicators_{r}")) for r in ("pass", "fail", "unknown")}
        parts = []
        if counts["fail"]:
            parts.append(w.t(f"{counts['fail']} 项未达标", f"{counts['fail']} not met"))
        if counts["unknown"]:
            parts.append(
                w.t(
                    f"{counts['unknown']} 项无法判断（缺数据）",
                    f"{counts['unknown']} cannot be judged (data missing)",
                )
            )
        if counts["pass"] and not parts:
            parts.append(w.t("全部达标", "all met"))
        if parts:
            site = (
                w.t("（全部地块合为一个项目用地）", " (all plots as one site)")
                if n_plots > 1
                else ""
            )
            out.append(
                w.t("控制指标", "control indicators")
                + site
                + w.t("：", ": ")
                + w.t("、", ", ").join(parts)
            )
    return out


def _sentence(
    rec: Mapping[Any, Any],
    zones: Sequence[tuple[str, float]],
    findings: Sequence[Finding],
    check: CheckResult,
    w: _Words,
) -> str:
    head = _plot_label(rec, w)
    body = _location(rec, zones, check, w) + _extras(rec, check, w, len(check.table))
    if w.lang == "zh":
        lead = "；".join(f.text("zh") for f in findings)
        text = head + (f"：{lead}；" if lead else "") + "；".join(body)
        return text + "。"
    lead = "; ".join(f.text("en") for f in findings)
    text = head + (f": {lead}; " if lead else " ") + "; ".join(body)
    return text + "."


def _zones_by_plot(ov: pd.DataFrame | None) -> dict[str, list[tuple[str, float]]]:
    out: dict[str, list[tuple[str, float]]] = {}
    if ov is None or not len(ov):
        return out
    for pid, zid, share in zip(
        ov["plot_id"].astype(str), ov["zone_id"].astype(str), ov["share_pct"], strict=True
    ):
        out.setdefault(pid, []).append((zid, _num(share)))
    for v in out.values():
        v.sort(key=lambda zs: -zs[1] if not math.isnan(zs[1]) else 0.0)
    return out


def _findings_of(
    check: CheckResult, extra: Mapping[str, Sequence[Finding]] | None
) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for source in (getattr(check, "findings", None) or {}, extra or {}):
        for pid, fs in source.items():
            out.setdefault(str(pid), []).extend(fs)
    return out


def answer_sentences(
    check: CheckResult,
    *,
    lang: str,
    findings: Mapping[str, Sequence[Finding]] | None = None,
    limit: int | None = None,
) -> list[str]:
    """One answer sentence per plot of ``check``, in the table's order.

    Parameters
    ----------
    check
        A plot check result (:class:`wzgeo.analysis.plotcheck.PlotCheck`).
    lang
        ``"zh"`` or ``"en"``.
    findings
        Plot id → findings (most serious first) that lead that plot's sentence, after those
        kept on the check (``check.findings``).
    limit
        Only the first ``limit`` plots (a page shows a few; reports show all).

    Returns
    -------
    list of str

    Raises
    ------
    WzgeoError
        If ``lang`` is not ``"zh"`` or ``"en"``.
    """
    _check_lang(lang)
    w = _Words(check, lang)
    table = check.table if limit is None else check.table.iloc[:limit]
    by_plot = _zones_by_plot(check.zone_overlaps)
    found = _findings_of(check, findings)
    out = []
    for rec in table.to_dict("records"):
        pid = str(rec.get("plot_id", ""))
        out.append(_sentence(rec, by_plot.get(pid, []), found.get(pid, []), check, w))
    return out


def answer_sentence(
    check: CheckResult,
    plot_id: str | None = None,
    *,
    lang: str,
    findings: Sequence[Finding] = (),
) -> str:
    """The answer sentence for one plot of ``check``.

    Parameters
    ----------
    check
        A plot check result.
    plot_id
        Which plot; may be left out when ``check`` holds exactly one.
    lang
        ``"zh"`` or ``"en"``.
    findings
        Findings about this plot, most serious first; they lead the sentence (after those
        kept on the check).

    Returns
    -------
    str

    Raises
    ------
    WzgeoError
        Unknown plot id, no plot id for a check of several plots, or an unknown ``lang``.
    """
    _check_lang(lang)
    ids = check.table["plot_id"].astype(str) if "plot_id" in check.table else pd.Series([])
    if plot_id is None:
        if len(ids) != 1:
            raise WzgeoError(
                f"核查结果有 {len(ids)} 个地块，请指定地块编号。",
                f"the check holds {len(ids)} plots; give a plot id.",
            )
        plot_id = str(ids.iloc[0])
    hit = check.table.loc[ids.to_numpy() == str(plot_id)]
    if hit.empty:
        raise WzgeoError(
            f"核查结果中没有地块“{plot_id}”。",
            f"no plot '{plot_id}' in the check result.",
        )
    rec = {str(k): v for k, v in hit.iloc[0].to_dict().items()}
    ov = check.zone_overlaps
    if ov is not None and len(ov):
        ov = ov.loc[ov["plot_id"].astype(str) == str(plot_id)]
    zones = _zones_by_plot(ov).get(str(plot_id), [])
    found = _findings_of(check, {str(plot_id): findings}).get(str(plot_id), [])
    return _sentence(rec, zones, found, check, _Words(check, lang))


def summary_sentence(check: CheckResult, *, lang: str) -> str:
    """One sentence over all plots: how many, their total area, how many lie inside a zone,
    partly inside, or outside every (located) zone.

    Raises
    ------
    WzgeoError
        If ``lang`` is not ``"zh"`` or ``"en"``.
    """
    _check_lang(lang)
    t = check.table
    n = len(t)
    area = float(pd.to_numeric(t["area_mu"], errors="coerce").sum()) if n else 0.0
    inside_pct = pd.to_numeric(t.get("in_zones_pct", pd.Series(0.0, index=t.index)))
    inside_pct = inside_pct.fillna(0.0)
    whole = int((inside_pct >= _WHOLE_PCT).sum())
    outside = int((inside_pct <= 0).sum())
    partly = n - whole - outside
    located = "已定位" if getattr(check, "zones_not_located", ()) else ""
    if lang == "zh":
        parts = [
            f"{k:,} 个{v}"
            for k, v in (
                (whole, "位于园区内"),
                (partly, "部分位于园区内"),
                (outside, f"不在任何{located}园区内"),
            )
            if k
        ]
        return f"共 {n:,} 个地块，合计 {area:,.1f} 亩：" + "，".join(parts) + "。"
    where = "located zone" if located else "zone"
    parts = [
        f"{k:,} {v}"
        for k, v in (
            (whole, "inside a zone"),
            (partly, "partly inside"),
            (outside, f"outside every {where}"),
        )
        if k
    ]
    plural = "s" if n != 1 else ""
    return f"{n:,} plot{plural}, {area:,.1f} mu in all: " + ", ".join(parts) + "."
