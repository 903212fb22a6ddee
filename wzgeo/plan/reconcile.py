"""Reconcile the appendix project table: checks, garble detection, explicit corrections.

The PDF-to-text conversion damaged parts of the appendix. Everything here is *generic*: the
checks look for kinds of damage (several values in one row's cells, numbers outside the numeric
columns, a subtotal label without numbers, contents that fit a neighbouring row's name better
than their own, implausible ratios, duplicated words, numbering gaps), wherever they occur.
Each repair is an explicit :class:`Correction` that cites its evidence; what cannot be repaired
is flagged (:class:`Flag`), never guessed. Every stated count and subtotal is compared with the
rows (:class:`Check`), before and after the repairs.

This module orchestrates; the parts live in:

- :mod:`wzgeo.plan.appendix` — headings, blocks and subtotals (subtotal repairs);
- :mod:`wzgeo.plan.repairs` — row repairs (merged rows, shifted contents);
- :mod:`wzgeo.plan.projecttable` — rows, ids and their records with flags;
- :mod:`wzgeo.plan.crosschecks` — stated numbers compared with the rows;
- :mod:`wzgeo.plan.quality` — the records and the report.

Public entry point: :func:`reconcile`. The names that used to be defined here
(:data:`STAGES`, :data:`PROJECT_COLUMNS`, :class:`QualityReport`, ...) are re-exported.
"""

from __future__ import annotations

import hashlib
import logging

import pandas as pd

from wzgeo.plan import crosschecks
from wzgeo.plan.appendix import Block, read_structure, strip_industry
from wzgeo.plan.parse import ParsedPlan, normalize_text
from wzgeo.plan.projecttable import (
    MISSING_NAME,
    PLAN_END_YEAR,
    STATUS_TO_STAGE,
    TAX_OUTPUT_MAX,
    ProjectRow,
    assign_ids,
    project_record,
)
from wzgeo.plan.quality import Check, Correction, Findings, Flag, QualityReport
from wzgeo.plan.repairs import detect_content_shift, resolve_row_refs, split_merged_row
from wzgeo.plan.schema import PROJECT_CODES, PROJECT_COLUMNS, STAGES
from wzgeo.plan.similarity import content_similarity
from wzgeo.plan.tables import sector_ids_by

__all__ = [
    "MISSING_NAME",
    "PLAN_END_YEAR",
    "PROJECT_CODES",
    "PROJECT_COLUMNS",
    "STAGES",
    "STATUS_TO_STAGE",
    "TAX_OUTPUT_MAX",
    "Check",
    "Correction",
    "Flag",
    "QualityReport",
    "content_similarity",
    "reconcile",
]

logger = logging.getLogger(__name__)

_TEXT_CELLS = ("name", "content")


def _block_rows(
    b: Block,
    *,
    by_sector: dict[str, str],
    by_sub: dict[str, str],
    findings: Findings,
    normalized: dict[str, int],
) -> list[ProjectRow]:
    """The rows of one block, merged rows split; counts the wrap-normalized text cells."""
    sec = strip_industry(b.sector.name)
    sub = b.subsector.name if b.subsector else ""
    sid = by_sub.get(sub, "") if sub else by_sector.get(sec, "")
    if not sid:
        findings.notes.append(f"line {b.line}: no sector id for '{sec}/{sub}' in sectors.csv")
    rows: list[ProjectRow] = []
    for it in b.items:
        for c in _TEXT_CELLS:
            normalized[c] += normalize_text(it.cell(c)) != it.cell(c)
        parts = split_merged_row(it, b, sector=sec, subsector=sub, sector_id=sid, findings=findings)
        if parts is not None:
            rows.extend(parts)
            continue
        rows.append(
            ProjectRow(
                sec,
                sub,
                sid,
                int(it.cell("seq")),
                normalize_text(it.cell("name")),
                normalize_text(it.cell("content")),
                it.cell("years"),
                it.cell("investment"),
                it.cell("output"),
                it.cell("tax"),
                it.cell("land"),
                it.cell("status"),
                it.cell("remark"),
                it.line,
            )
        )
    return rows


def _id_order(projects: pd.DataFrame, pid: str) -> int:
    idx = projects.index[projects["project_id"] == pid]
    return int(idx[0]) if len(idx) else len(projects)


def reconcile(
    parsed: ParsedPlan, *, sectors: pd.DataFrame, zones: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, QualityReport]:
    """Turn the parsed appendix into the projects table and the quality report.

    Parameters
    ----------
    parsed
        From :func:`wzgeo.plan.parse.parse_plan`.
    sectors
        The sector taxonomy (``sector_id``, ``plan_sectors``, ``plan_subsectors``).
    zones
        The zones table (``zone_id``, ``name_zh``, ``host_township_zh``) used to recognise
        places in the project texts; without it no zone is assigned.

    Returns
    -------
    projects : pandas.DataFrame
        One row per project, columns :data:`PROJECT_COLUMNS` (values as Python objects; the
        caller types and writes them).
    report : QualityReport
        Checks, corrections, flags and notes.
    """
    findings = Findings()
    structure = read_structure(parsed.appendix, findings)
    by_sector = {p: ids[-1] for p, ids in sector_ids_by(sectors, "plan_sectors").items()}
    by_sub = {p: ids[-1] for p, ids in sector_ids_by(sectors, "plan_subsectors").items()}

    # 1. project rows, merged rows split
    rows: list[ProjectRow] = []
    printed_rows: dict[tuple[str, str], int] = {}
    normalized = dict.fromkeys(_TEXT_CELLS, 0)
    for b in structure.blocks:
        sub = b.subsector.name if b.subsector else ""
        printed_rows[(strip_industry(b.sector.name), sub)] = len(b.items)
        rows += _block_rows(
            b, by_sector=by_sector, by_sub=by_sub, findings=findings, normalized=normalized
        )

    # 2. content shifted between neighbouring rows (per sector, in table order)
    detect_content_shift(rows, findings)

    # 3. ids
    assign_ids(rows)
    resolve_row_refs(rows, findings)

    # 4. per-row parsing and flags
    records = [project_record(r, findings, zones) for r in rows]
    projects = pd.DataFrame.from_records(records, columns=list(PROJECT_COLUMNS))

    # 5. checks
    checks = crosschecks.count_checks(structure, printed_rows, projects)
    checks += crosschecks.sum_checks(structure, parsed, projects)
    crosschecks.fill_sum_evidence(findings, structure.subtotals, projects)
    checks += crosschecks.text_checks(parsed, projects)
    crosschecks.target_notes(parsed, findings)
    findings.notes.append(
        f"wrap whitespace next to Chinese characters removed in {normalized['name']} name "
        f"and {normalized['content']} content cells (PDF line wrapping); nothing else in the "
        "texts was changed"
    )
    crosschecks.sequence_notes(projects, findings)
    checks += crosschecks.land_text_checks(projects)

    sha = hashlib.sha256("\n".join(parsed.lines).encode("utf-8")).hexdigest()
    report = QualityReport(
        source_sha256=sha,
        checks=checks,
        corrections=findings.corrections,
        flags=sorted(findings.flags, key=lambda f: (_id_order(projects, f.project_id), f.flag)),
        notes=findings.notes,
    )
    report.summary = {
        "projects": len(projects),
        "projects_per_sector": {
            s: int(n) for s, n in projects.groupby("sector", sort=False).size().items()
        },
        "checks": len(checks),
        "checks_not_ok": len(report.mismatches),
        "corrections": len(findings.corrections),
        "flags": len(findings.flags),
    }
    return projects, report
