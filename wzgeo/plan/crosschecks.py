"""Cross-checks: every number the plan states compared with what the project rows give.

The appendix states counts (in its headings) and sums (in its subtotal and total rows); the
text states some numbers twice (in prose and in 专栏1) or about the appendix (十(六)). Each
becomes a :class:`wzgeo.plan.quality.Check`, as printed (rows before repair) and after repair, so
that a reader sees both what the conversion broke and what the repairs restored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from wzgeo.plan.appendix import Structure, Subtotal, cells_values, strip_industry
from wzgeo.plan.parse import ParsedPlan, parse_numbers
from wzgeo.plan.projecttable import MONEY_FIELDS
from wzgeo.plan.quality import Check, Findings, compare, round2

__all__ = [
    "count_checks",
    "fill_sum_evidence",
    "land_text_checks",
    "sequence_notes",
    "sum_checks",
    "target_notes",
    "text_checks",
]


def _money_sums(projects: pd.DataFrame, mask: pd.Series | None = None) -> dict[str, float]:
    """Investment, output and tax summed over the rows in ``mask`` (all rows if ``None``)."""
    rows = projects if mask is None else projects.loc[mask]
    return {m: float(rows[f"{m}_yi"].dropna().sum()) for m in MONEY_FIELDS}


def _first_number(text: str) -> float | None:
    nums = parse_numbers(text)
    return nums[0] if nums else None


def count_checks(
    structure: Structure,
    printed_rows: Mapping[tuple[str, str], int],
    projects: pd.DataFrame,
) -> list[Check]:
    """The counts stated in the headings, compared with the rows as printed and repaired.

    Parameters
    ----------
    structure
        The appendix's headings and blocks.
    printed_rows
        Rows per (sector, sub-sector) as printed, before any split.
    projects
        The projects table (after repair).

    Returns
    -------
    list of Check
        Total, then per sector and sub-sector, ``as_printed`` and ``after_repair``.
    """
    checks: list[Check] = []
    total, total_line = structure.total, structure.total_line
    if total is not None:
        printed = sum(printed_rows.values())
        checks.append(compare("合计", "count", "as_printed", total.count, printed, total_line))
        checks.append(
            compare("合计", "count", "after_repair", total.count, len(projects), total_line)
        )
    seen: set[int] = set()
    for b in structure.blocks:
        sec = strip_industry(b.sector.name)
        if id(b.sector) not in seen:
            seen.add(id(b.sector))
            printed = sum(n for (s, _), n in printed_rows.items() if s == sec)
            comp = int((projects["sector"] == sec).sum())
            line = b.sector_line
            checks.append(compare(sec, "count", "as_printed", b.sector.count, printed, line))
            checks.append(compare(sec, "count", "after_repair", b.sector.count, comp, line))
        if b.subsector is not None:
            sub = b.subsector.name
            comp = int(((projects["sector"] == sec) & (projects["subsector"] == sub)).sum())
            label = f"{sec}/{sub}"
            checks.append(
                compare(label, "count", "as_printed", b.subsector.count, len(b.items), b.line)
            )
            checks.append(compare(label, "count", "after_repair", b.subsector.count, comp, b.line))
    return checks


def sum_checks(structure: Structure, parsed: ParsedPlan, projects: pd.DataFrame) -> list[Check]:
    """The sums stated in the total and subtotal rows, compared with the rows' sums.

    Parameters
    ----------
    structure
        The appendix's total heading and subtotals.
    parsed
        The parsed plan (for the total row's cells).
    projects
        The projects table (after repair).

    Returns
    -------
    list of Check
        Per money field: the total, then each subtotal, ``as_printed`` and ``after_repair``.
    """
    checks: list[Check] = []
    total_item = next((it for it in parsed.appendix if it.kind == "total"), None)
    if total_item is not None:
        stated = cells_values(total_item.cells)
        sums = _money_sums(projects)
        for m in MONEY_FIELDS:
            for stage in ("as_printed", "after_repair"):
                checks.append(
                    compare("合计", f"{m}_yi", stage, stated[m], sums[m], structure.total_line)
                )
    for st in structure.subtotals:
        mask = projects["sector"] == st.sector
        if not mask.any():
            continue
        sums = _money_sums(projects, mask)
        scope = f"{st.sector}（{st.label}）"
        for m in MONEY_FIELDS:
            printed = st.printed.get(m)
            note = "" if printed is not None else "the cell under this column is empty as printed"
            checks.append(
                compare(scope, f"{m}_yi", "as_printed", printed, sums[m], st.label_line, note)
            )
            checks.append(
                compare(scope, f"{m}_yi", "after_repair", st.values.get(m), sums[m], st.label_line)
            )
    return checks


def fill_sum_evidence(
    findings: Findings, subtotals: list[Subtotal], projects: pd.DataFrame
) -> None:
    """Complete the evidence of realigned subtotals with the sums of their rows.

    Parameters
    ----------
    findings
        Its corrections whose evidence holds the placeholder ``__SUMS__`` are completed.
    subtotals
        The subtotals (matched to a correction by line).
    projects
        The projects table (after repair).
    """
    for i, c in enumerate(findings.corrections):
        if "__SUMS__" not in c.evidence:
            continue
        st = next((s for s in subtotals if s.line in c.lines), None)
        if st is None:
            continue
        sums = _money_sums(projects, projects["sector"] == st.sector)
        comp = {m: round2(v) for m, v in sums.items()}

        def shown(value: object) -> str:
            return "blank" if value is None else str(value)  # a cell the plan left empty

        ev = (
            f"the rows of '{st.sector}' sum to investment {comp['investment']:.2f}, output "
            f"{comp['output']:.2f}, tax {comp['tax']:.2f}: the realigned reading "
            f"({c.after['investment']}, {c.after['output']}, {c.after['tax']}) matches them "
            f"(to rounding), the printed one ({shown(c.before['investment'])}, "
            f"{shown(c.before['output'])}, {shown(c.before['tax'])}) does not"
        )
        evidence = tuple(ev if e == "__SUMS__" else e for e in c.evidence)
        findings.corrections[i] = replace(c, evidence=evidence)


def text_checks(parsed: ParsedPlan, projects: pd.DataFrame) -> list[Check]:
    """Numbers the text states twice or about the appendix, compared.

    Parameters
    ----------
    parsed
        The parsed plan (targets and 专栏1 indicators).
    projects
        The projects table (after repair).

    Returns
    -------
    list of Check
        All ``after_repair``; none of the numbers is corrected.
    """
    checks: list[Check] = []
    ind = {r.seq: r for r in parsed.indicators}
    for t in parsed.targets:
        if t.metric == "output_total_yi" and t.kind == "baseline" and 1 in ind:
            checks.append(
                compare(
                    f"2020 规上工业产值: text ({t.section}) vs 专栏1 row 1",
                    "output_total_yi_2020",
                    "after_repair",
                    t.value,
                    _first_number(ind[1].v2020),
                    t.line,
                    f"text line {t.line} says {t.value:g}, 专栏1 (line {ind[1].line}) says "
                    f"'{ind[1].v2020}'; both kept as written, neither corrected",
                )
            )
        if t.metric == "output_total_yi" and t.kind == "target" and t.year == 2025 and 1 in ind:
            checks.append(
                compare(
                    "2025 规上工业产值: text vs 专栏1 row 1",
                    "output_total_yi_2025",
                    "after_repair",
                    t.value,
                    _first_number(ind[1].v2025),
                    t.line,
                )
            )
        if t.metric == "fixed_investment_cum_yi" and 2 in ind:
            checks.append(
                compare(
                    "工业固定资产投资 2021–2025 (cumulative): text vs 专栏1 row 2 '[300]'",
                    "fixed_investment_cum_yi",
                    "after_repair",
                    t.value,
                    _first_number(ind[2].v2025),
                    t.line,
                )
            )
        if t.metric == "project_count":
            checks.append(
                compare(
                    f"十(六) text: 策划重点项目 {t.value:g} 个 vs appendix rows",
                    "count",
                    "after_repair",
                    t.value,
                    float(len(projects)),
                    t.line,
                )
            )
        if t.metric == "project_investment_yi":
            comp = round2(_money_sums(projects)["investment"])
            diff = comp - t.value
            checks.append(
                Check(
                    f"十(六) text: 计划总投资 {t.value:g} 亿元 vs appendix",
                    "investment_yi",
                    "after_repair",
                    t.value,
                    comp,
                    round2(diff),
                    "ok" if abs(diff) < 1.0 else "mismatch",
                    t.line,
                    "the text rounds to whole 亿元; ok when within 1",
                )
            )
        if t.metric == "project_output_yi":
            comp = round2(_money_sums(projects)["output"])
            checks.append(
                Check(
                    f"十(六) text: 预计实现产值超过 {t.value:g} 亿元 vs appendix",
                    "output_yi",
                    "after_repair",
                    t.value,
                    comp,
                    round2(comp - t.value),
                    "ok" if comp > t.value else "mismatch",
                    t.line,
                    "the text says 'more than'; ok when the appendix total exceeds it",
                )
            )
    return checks


def target_notes(parsed: ParsedPlan, findings: Findings) -> None:
    """Note how the industries' 2025 output targets relate to the district's target.

    Parameters
    ----------
    parsed
        The parsed plan.
    findings
        The note is added here (nothing when a target is missing).
    """
    scale = [t for t in parsed.targets if t.metric == "sector_output_yi" and t.year == 2025]
    total = next(
        (
            t
            for t in parsed.targets
            if t.metric == "output_total_yi" and t.kind == "target" and t.year == 2025
        ),
        None,
    )
    if scale and total is not None:
        s = sum(t.value for t in scale)
        findings.notes.append(
            f"the {len(scale)} industry output targets for 2025 add up to {s:g} 亿元 "
            f"({', '.join(f'{t.subject_zh} {t.value:g}' for t in scale)}), "
            f"{'more' if s > total.value else 'less'} than the district target of "
            f"{total.value:g} 亿元 (line {total.line}); the plan does not say how they relate; "
            "both kept as written"
        )


_TEXT_MU = re.compile(r"占地约?\s*(\d+(?:\.\d+)?)\s*亩")
_TEXT_M2 = re.compile(r"(?:租用|租赁)?标准厂房\s*(\d+(?:\.\d+)?)\s*平方米")


def land_text_checks(projects: pd.DataFrame) -> list[Check]:
    """Land stated inside a content text (占地74亩, 租用标准厂房5000平方米) vs the land cell.

    Parameters
    ----------
    projects
        The projects table (after repair).

    Returns
    -------
    list of Check
        One per content that states land.
    """
    checks: list[Check] = []
    for rec in projects.to_dict("records"):
        content = str(rec["content_zh"])
        for rx, col, unit in ((_TEXT_MU, "land_mu", "亩"), (_TEXT_M2, "floor_m2", "m²")):
            m = rx.search(content)
            if not m:
                continue
            cell = rec[col]
            cell_v = None if cell is None or pd.isna(cell) else float(cell)
            checks.append(
                compare(
                    f"{rec['project_id']}: content '{m.group(0)}' vs land cell '{rec['land_raw']}'",
                    col,
                    "after_repair",
                    float(m.group(1)),
                    cell_v,
                    int(rec["source_line"]),
                    f"land stated in the content ({unit}) compared with the land column",
                )
            )
    return checks


def sequence_notes(projects: pd.DataFrame, findings: Findings) -> None:
    """Note, per block, whether the sequence numbers run 1..n without gaps or duplicates.

    Parameters
    ----------
    projects
        The projects table (after repair).
    findings
        One note per (sector, sub-sector) is added here.
    """
    for key, g in projects.groupby(["sector", "subsector"], sort=False):
        sec, sub = str(key[0]), str(key[1])
        seqs = [int(s) for s in g["seq"]]
        expected = list(range(1, len(seqs) + 1))
        if seqs != expected:
            dup = sorted({s for s in seqs if seqs.count(s) > 1})
            gaps = sorted(set(expected) - set(seqs))
            findings.notes.append(
                f"{sec}/{sub}: sequence numbers {seqs} are not 1..{len(seqs)} "
                f"(duplicates {dup}, gaps {gaps})"
            )
        else:
            findings.notes.append(
                f"{sec}{'/' + sub if sub else ''}: sequence numbers 1..{len(seqs)} without gaps "
                "or duplicates (after repair)"
            )
