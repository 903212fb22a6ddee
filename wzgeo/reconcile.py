"""Reconcile the appendix project table: checks, garble detection, explicit corrections.

The PDF-to-text conversion damaged parts of the appendix. Everything here is *generic*: the
checks look for kinds of damage (several values in one row's cells, numbers outside the numeric
columns, a subtotal label without numbers, contents that fit a neighbouring row's name better
than their own, implausible ratios, duplicated words, numbering gaps), wherever they occur.
Each repair is an explicit :class:`Correction` that cites its evidence; what cannot be repaired
is flagged (:class:`Flag`), never guessed. Every stated count and subtotal is compared with the
rows (:class:`Check`), before and after the repairs.

Public entry point: :func:`reconcile`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from wzgeo.planparse import (
    AppendixItem,
    Heading,
    ParsedPlan,
    normalize_text,
    parse_land,
    parse_numbers,
    parse_year_ranges,
)

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

#: Placeholder for a project name lost in the conversion (never invented).
MISSING_NAME = "（原文缺失）"
#: The plan period ends in this year.
PLAN_END_YEAR = 2025
#: Tax above this share of output is implausible for a manufacturing project (the appendix's
#: median is about 0.05, its next-highest value 0.25).
TAX_OUTPUT_MAX = 0.30
#: Ordered project stages.
STAGES: tuple[str, ...] = (
    "planning",
    "tracking",
    "negotiating",
    "signed",
    "building",
    "operating",
)
#: 项目进展情况 as written → stage.
STATUS_TO_STAGE: dict[str, str] = {
    "策划": "planning",
    "跟踪": "tracking",
    "在谈": "negotiating",
    "签约": "signed",
    "已签约": "signed",
    "在建": "building",
    "投产": "operating",
}
#: Project-id prefix per finest sector id (docs/ARCHITECTURE.md).
PROJECT_CODES: dict[str, str] = {
    "nm_copper": "NM-CU",
    "nm_aluminium": "NM-AL",
    "nm_building": "NM-BM",
    "nm_synthetic": "NM-SY",
    "food": "FP-FD",
    "pharma": "FP-PH",
    "auto": "AU",
    "lighting": "GL",
    "equipment": "EQ",
    "electronics": "EI",
}
#: Column order of projects.csv.
PROJECT_COLUMNS: tuple[str, ...] = (
    "project_id",
    "sector",
    "subsector",
    "sector_id",
    "seq",
    "name_zh",
    "content_zh",
    "start_year",
    "end_year",
    "investment_yi",
    "output_yi",
    "tax_yi",
    "land_mu",
    "floor_m2",
    "land_raw",
    "status_zh",
    "stage",
    "zone_id",
    "zone_candidates",
    "zone_source",
    "place_mentions",
    "quality_flags",
    "source_line",
)

_MONEY = ("investment", "output", "tax")
_MONEY_COL = {"investment": 4, "output": 5, "tax": 6}
_TOL = 0.005
_SHIFT_MIN = 0.2
_SINGLE_MISMATCH_MIN = 0.5


# --------------------------------------------------------------------------------------
# report records
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """A stated number compared with what the rows give.

    Attributes
    ----------
    scope
        What the stated number covers (``合计``, a sector, a sub-sector, a text statement).
    field
        ``count``, ``investment_yi``, ``output_yi``, ``tax_yi`` or a text metric.
    stage
        ``as_printed`` (the stated value as the converted text has it, rows before repair) or
        ``after_repair``.
    stated, computed
        The two numbers (``None`` when the stated cell is empty).
    difference
        ``computed - stated`` (``None`` if either is missing).
    status
        ``ok``, ``mismatch`` or ``missing``.
    line
        1-based line of the stated number in the source.
    note
        Anything a reader needs to judge the difference.
    """

    scope: str
    field: str
    stage: str
    stated: float | None
    computed: float | None
    difference: float | None
    status: str
    line: int
    note: str = ""


@dataclass(frozen=True)
class Correction:
    """One explicit repair, with its evidence.

    Attributes
    ----------
    correction_id
        ``C01``, ``C02``, ...
    kind
        ``merged_row_split``, ``subtotal_columns_shifted``, ``subtotal_label_detached``,
        ``content_shift``.
    lines
        Source lines concerned.
    project_ids
        Projects whose values changed.
    description
        What was done (English).
    description_zh
        The same in Chinese.
    evidence
        Why (each item one observation from the text or the numbers).
    before, after
        The values before and after.
    """

    correction_id: str
    kind: str
    lines: tuple[int, ...]
    project_ids: tuple[str, ...]
    description: str
    description_zh: str
    evidence: tuple[str, ...]
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Flag:
    """A problem left as it is (not repairable from the text), attached to a project."""

    project_id: str
    flag: str
    detail: str
    line: int


@dataclass
class QualityReport:
    """Everything the reconciliation found: checks, corrections, flags, notes.

    Attributes
    ----------
    source_name, source_sha256
        The parsed file (name only, so the report does not depend on where it lives).
    summary
        Counts.
    checks, corrections, flags
        See :class:`Check`, :class:`Correction`, :class:`Flag`.
    notes
        Other observations (normalizations applied, places that are not zones, ...).
    """

    source_name: str = ""
    source_sha256: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def mismatches(self) -> list[Check]:
        """Checks whose status is not ``ok``."""
        return [c for c in self.checks if c.status != "ok"]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (stable key order)."""
        return {
            "source": {"name": self.source_name, "sha256": self.source_sha256},
            "summary": self.summary,
            "checks": [asdict(c) for c in self.checks],
            "corrections": [
                {**asdict(c), "lines": list(c.lines), "project_ids": list(c.project_ids)}
                for c in self.corrections
            ],
            "flags": [asdict(f) for f in self.flags],
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        """The report as JSON text (UTF-8 characters kept, 2-space indent, ``\\n`` at end)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def to_markdown(self) -> str:
        """The report as a readable Markdown page."""
        out: list[str] = [
            "# 规划数据质量报告 / Plan data quality report",
            "",
            f"Source: `{self.source_name}` (sha256 `{self.source_sha256[:16]}…`). "
            "Generated by `wzgeo build-data`; do not edit by hand.",
            "",
            "## Summary",
            "",
        ]
        for k, v in self.summary.items():
            if isinstance(v, dict):
                v = ", ".join(f"{a} {b}" for a, b in v.items())
            out.append(f"- {k}: {v}")
        out += [
            "",
            "## Differences between stated and computed values",
            "",
            "Every heading count, subtotal and total of the appendix, and the numbers the text "
            "states in two places, compared before (`as_printed`) and after the repairs below.",
            "",
            "| scope | field | stage | stated | computed | difference | status | line | note |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for c in self.checks:
            if c.status == "ok" and c.stage == "as_printed":
                continue
            out.append(
                f"| {c.scope} | {c.field} | {c.stage} | {_fmt(c.stated)} | {_fmt(c.computed)} | "
                f"{_fmt(c.difference)} | {c.status} | {c.line} | {_md(c.note)} |"
            )
        n_ok = sum(1 for c in self.checks if c.status == "ok")
        out += [
            "",
            f"({len(self.checks)} checks in all, {n_ok} ok; `as_printed` checks that are ok "
            "are listed only in quality.json.)",
            "",
            "## Corrections (repairs, each with its evidence)",
            "",
        ]
        for cor in self.corrections:
            out += [
                f"### {cor.correction_id} · {cor.kind} · lines {', '.join(map(str, cor.lines))}",
                "",
                f"{cor.description}",
                "",
                f"{cor.description_zh}",
                "",
                "Projects: " + (", ".join(cor.project_ids) if cor.project_ids else "—"),
                "",
                "Evidence:",
                "",
            ]
            out += [f"- {_md(e)}" for e in cor.evidence]
            out += [
                "",
                f"Before: `{json.dumps(cor.before, ensure_ascii=False)}`",
                "",
                f"After: `{json.dumps(cor.after, ensure_ascii=False)}`",
                "",
            ]
        out += [
            "## Flags (not repaired)",
            "",
            "| project | flag | detail | line |",
            "|---|---|---|---|",
        ]
        out += [f"| {f.project_id} | {f.flag} | {_md(f.detail)} | {f.line} |" for f in self.flags]
        out += ["", "## Notes", ""]
        out += [f"- {_md(n)}" for n in self.notes]
        return "\n".join(out) + "\n"


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def _r2(x: float) -> float:
    return round(x + 0.0, 2) + 0.0


# --------------------------------------------------------------------------------------
# name ↔ content similarity
# --------------------------------------------------------------------------------------

_STOP: tuple[str, ...] = (
    "产业园",
    "生产线",
    "项目",
    "建设",
    "生产",
    "年产",
    "产品",
    "基地",
    "万州",
    "制造",
    "产业",
    "加工",
    "设备",
    "车间",
    "技术",
    "新建",
    "建成",
    "形成",
    "能力",
    "系列",
    "主要",
)
_QUANTITY = re.compile(r"\d+(?:\.\d+)?\s*(?:[万亿千百])?\s*[吨套台辆件只条张块个]?")


def _tokens(text: str) -> set[str]:
    t = _QUANTITY.sub(" ", normalize_text(text))
    for w in _STOP:
        t = t.replace(w, " ")
    toks: set[str] = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", t):
        toks.update(run[i : i + 2] for i in range(len(run) - 1))
    toks.update(w.upper() for w in re.findall(r"[A-Za-z]{2,}", t))
    return toks


def content_similarity(name: str, content: str) -> float:
    """How well a project name and a content text agree (0–1).

    Character bigrams of the Chinese text plus Latin words (``PCB``, ``LED``), without generic
    words such as 项目, 建设, 生产; the share of the name's tokens found in the content.

    Parameters
    ----------
    name, content
        Texts as written.

    Returns
    -------
    float
        0 when either has no tokens.
    """
    a, b = _tokens(name), _tokens(content)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a)


# --------------------------------------------------------------------------------------
# working rows
# --------------------------------------------------------------------------------------


@dataclass
class _Row:
    sector: str
    subsector: str
    sector_id: str
    seq: int
    name: str
    content: str
    years: str
    investment: str
    output: str
    tax: str
    land: str
    status: str
    remark: str
    line: int
    flags: list[str] = field(default_factory=list)
    project_id: str = ""


@dataclass
class _Block:
    sector: Heading
    subsector: Heading | None
    line: int
    sector_line: int
    items: list[AppendixItem] = field(default_factory=list)


@dataclass
class _Subtotal:
    label: str
    line: int
    label_line: int
    values: dict[str, float | None]
    printed: dict[str, float | None]
    sector: str


def _strip_industry(name: str) -> str:
    return re.sub(r"产业$", "", name)


def _sector_lookup(sectors: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    by_sector: dict[str, str] = {}
    by_sub: dict[str, str] = {}
    for _, r in sectors.iterrows():
        for p in str(r["plan_sectors"]).split(";"):
            if p:
                by_sector[p] = str(r["sector_id"])
        for p in str(r["plan_subsectors"]).split(";"):
            if p:
                by_sub[p] = str(r["sector_id"])
    return by_sector, by_sub


def _cells_values(cells: Sequence[str]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for k, i in _MONEY_COL.items():
        nums = parse_numbers(cells[i]) if i < len(cells) else []
        out[k] = nums[0] if len(nums) == 1 else None
    return out


# --------------------------------------------------------------------------------------
# the reconciliation
# --------------------------------------------------------------------------------------


class _Ctx:
    def __init__(self) -> None:
        self.corrections: list[Correction] = []
        self.flags: list[Flag] = []
        self.notes: list[str] = []

    def correct(self, **kw: Any) -> None:
        cid = f"C{len(self.corrections) + 1:02d}"
        self.corrections.append(Correction(correction_id=cid, **kw))


def _structure(
    items: Sequence[AppendixItem], ctx: _Ctx
) -> tuple[Heading | None, int, list[_Block], list[_Subtotal]]:
    total: Heading | None = None
    total_line = 0
    blocks: list[_Block] = []
    subtotals: list[_Subtotal] = []
    sector: Heading | None = None
    pending: AppendixItem | None = None
    for it in items:
        if it.kind == "total":
            total, total_line = it.heading, it.line
        elif it.kind == "sector":
            sector = it.heading
            assert sector is not None
            blocks.append(_Block(sector, None, it.line, it.line))
        elif it.kind == "subsector":
            if sector is None:
                ctx.notes.append(f"line {it.line}: sub-sector heading before any sector; ignored")
                continue
            if blocks and blocks[-1].sector is sector and not blocks[-1].items:
                blocks[-1].subsector = it.heading
                blocks[-1].line = it.line
            else:
                blocks.append(_Block(sector, it.heading, it.line, blocks[-1].sector_line))
        elif it.kind == "project":
            if not blocks:
                ctx.notes.append(f"line {it.line}: project row before any heading; ignored")
                continue
            blocks[-1].items.append(it)
        elif it.kind == "numbers":
            if pending is not None:
                subtotals.append(_unlabelled(pending, sector, ctx))
            pending = it
        elif it.kind in ("subtotal", "label"):
            label = normalize_text(it.cells[0])
            own = _cells_values(it.cells) if it.kind == "subtotal" else {}
            has_numbers = it.kind == "subtotal" and any(parse_numbers(c) for c in it.cells[1:])
            scope = _strip_industry(re.sub(r"小计$", "", label))
            sec_name = _strip_industry(sector.name) if sector else ""
            if not has_numbers and pending is not None:
                values = _cells_values(pending.cells)
                where = "on the next line" if it.kind == "subtotal" else "after the table"
                ctx.correct(
                    kind="subtotal_label_detached",
                    lines=(pending.line, it.line),
                    project_ids=(),
                    description=(
                        f"The subtotal label '{label}' stands on its own {where} (line "
                        f"{it.line}); its numbers are on the unlabelled row of line "
                        f"{pending.line}. Joined into one subtotal for '{sec_name}'."
                    ),
                    description_zh=(
                        f"小计标签“{label}”单独成行（第 {it.line} 行），其数字在第 {pending.line} "
                        f"行的无标签行中；合并为“{sec_name}”的小计。"
                    ),
                    evidence=(
                        f"line {pending.line} has numbers in the investment/output/tax columns "
                        "but no label, sequence number or name",
                        f"line {it.line} has the label '{label}' but no numbers",
                        f"the label names the sector of the rows just above ('{sec_name}')"
                        if scope == sec_name
                        else f"WARNING: the label names '{scope}', the rows above are '{sec_name}'",
                    ),
                    before={"numbers_line": pending.line, "label_line": it.line},
                    after={"subtotal": label, **values},
                )
                subtotals.append(
                    _Subtotal(label, pending.line, it.line, values, dict(values), sec_name)
                )
                pending = None
            else:
                if pending is not None:
                    subtotals.append(_unlabelled(pending, sector, ctx))
                    pending = None
                subtotals.append(_Subtotal(label, it.line, it.line, own, dict(own), scope))
                if it.kind == "subtotal":
                    subtotals[-1].values = _realign(it, ctx, sec_name)
        elif it.kind == "other":
            ctx.notes.append(f"line {it.line}: table row not understood: {' | '.join(it.cells)}")
    if pending is not None:
        subtotals.append(_unlabelled(pending, sector, ctx))
    return total, total_line, blocks, subtotals


def _unlabelled(it: AppendixItem, sector: Heading | None, ctx: _Ctx) -> _Subtotal:
    name = _strip_industry(sector.name) if sector else ""
    ctx.notes.append(
        f"line {it.line}: a row of numbers without any label; taken as the subtotal of "
        f"'{name}' (the sector of the rows above) — unverified"
    )
    values = _cells_values(it.cells)
    return _Subtotal(f"{name}小计（无标签）", it.line, it.line, values, dict(values), name)


def _realign(it: AppendixItem, ctx: _Ctx, sec_name: str) -> dict[str, float | None]:
    """Values of a subtotal row; numbers found outside the money columns are realigned."""
    positions = [i for i, c in enumerate(it.cells) if i > 0 and parse_numbers(c)]
    expected = [_MONEY_COL[k] for k in _MONEY]
    values = _cells_values(it.cells)
    if positions == expected or not positions:
        return values
    contiguous = positions == list(range(positions[0], positions[0] + len(positions)))
    if len(positions) == len(expected) and contiguous:
        shift = positions[0] - expected[0]
        new = {k: parse_numbers(it.cells[_MONEY_COL[k] + shift])[0] for k in _MONEY}
        ctx.correct(
            kind="subtotal_columns_shifted",
            lines=(it.line,),
            project_ids=(),
            description=(
                f"The numbers of subtotal '{normalize_text(it.cells[0])}' stand {abs(shift)} "
                f"column(s) {'right' if shift > 0 else 'left'} of the investment/output/tax "
                "columns; read them as investment, output, tax."
            ),
            description_zh=(
                f"小计“{normalize_text(it.cells[0])}”的三个数字整体错位 {abs(shift)} 列"
                "（投资估算列为空）；按投资、产值、税收读取。"
            ),
            evidence=(
                f"numeric cells at columns {positions} instead of {expected} (0-based, 0 = 序号)",
                "the cell under 投资估算 is empty while the land-need column holds a bare "
                "decimal, which no subtotal row uses",
                "__SUMS__",
            ),
            before={k: values[k] for k in _MONEY},
            after=dict(new),
        )
        return dict(new)
    ctx.notes.append(
        f"line {it.line}: subtotal numbers in unexpected columns {positions}; not realigned "
        f"({sec_name})"
    )
    return values


def _split_merged(item: AppendixItem, ctx: _Ctx) -> list[dict[str, str]] | None:
    """Split a row whose cells each hold k values into k rows; None if not merged."""
    cells = {c: item.cell(c) for c in ("name", "content", "years", "land", "status")}
    counts = {
        "years": len(parse_year_ranges(item.cell("years"))),
        "investment": len(parse_numbers(item.cell("investment"))),
        "output": len(parse_numbers(item.cell("output"))),
        "tax": len(parse_numbers(item.cell("tax"))),
        "land": len(parse_land(item.cell("land"))),
        "status": len(item.cell("status").split()),
    }
    k = max(counts.values())
    if k <= 1:
        return None
    multi = {c: n for c, n in counts.items() if n > 1}
    if any(n != k for n in multi.values()) or len(multi) < 3:
        ctx.notes.append(
            f"line {item.line}: some cells hold several values ({counts}) but they do not agree; "
            "row left unsplit"
        )
        return None
    years = parse_year_ranges(cells["years"])
    nums = {m: item.cell(m).split() for m in _MONEY}
    lands = [lv.raw for lv in parse_land(cells["land"])]
    statuses = cells["status"].split()
    raw_content = cells["content"]
    sentences = [s for s in re.split(r"(?<=。)\s*", raw_content) if s.strip()]
    if len(sentences) != k:
        sentences = [s for s in re.split(r"\s{1,}", raw_content) if s.strip()]
    contents = sentences if len(sentences) == k else [""] * k
    names_raw = [p for p in cells["name"].split() if p]
    names: list[str]
    if len(names_raw) == k and all(re.search(r"(项目|基地|工厂|园)$", p) for p in names_raw):
        names = [normalize_text(p) for p in names_raw]
        name_owner = -1
    else:
        name = normalize_text(cells["name"])
        scores = [content_similarity(name, c) for c in contents]
        name_owner = max(range(k), key=lambda j: (scores[j], -j))
        names = [name if j == name_owner else "" for j in range(k)]
    parts: list[dict[str, str]] = []
    for j in range(k):
        parts.append(
            {
                "name": names[j],
                "content": contents[j],
                "years": f"{years[j][0]}-{years[j][1]}" if len(years) == k else cells["years"],
                "investment": nums["investment"][j] if len(nums["investment"]) == k else "",
                "output": nums["output"][j] if len(nums["output"]) == k else "",
                "tax": nums["tax"][j] if len(nums["tax"]) == k else "",
                "land": lands[j] if len(lands) == k else "",
                "status": statuses[j] if len(statuses) == k else "",
            }
        )
    evidence = [
        f"cells with {k} values each: "
        + ", ".join(f"{c} ({n})" for c, n in multi.items())
        + f" — as written: years '{cells['years']}', investment '{item.cell('investment')}', "
        f"output '{item.cell('output')}', tax '{item.cell('tax')}', land '{cells['land']}', "
        f"status '{cells['status']}'",
        f"the content cell has {len(sentences)} sentence(s)"
        + (" — one per project" if len(sentences) == k else " — could not be divided"),
    ]
    if name_owner >= 0:
        evidence.append(
            f"the name cell holds one name; it is kept on part {name_owner + 1} (the part whose "
            f"content shares most words with it; ties go to the first part, where the name "
            f"stands); the other name(s) are lost in the text and not invented"
        )
    parts_meta = {"k": k, "name_owner": name_owner, "evidence": evidence}
    parts.append({"__meta__": json.dumps(parts_meta, ensure_ascii=False)})
    return parts


def _status_stage(status: str) -> str:
    return STATUS_TO_STAGE.get(status.strip(), "")


def reconcile(
    parsed: ParsedPlan, *, sectors: pd.DataFrame, zones: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, QualityReport]:
    """Turn the parsed appendix into the projects table and the quality report.

    Parameters
    ----------
    parsed
        From :func:`wzgeo.planparse.parse_plan`.
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
    ctx = _Ctx()
    total, total_line, blocks, subtotals = _structure(parsed.appendix, ctx)
    by_sector, by_sub = _sector_lookup(sectors)

    # 1. project rows, merged rows split
    rows: list[_Row] = []
    printed_rows: dict[tuple[str, str], int] = {}
    normalized = {"name": 0, "content": 0}
    for b in blocks:
        sec = _strip_industry(b.sector.name)
        sub = b.subsector.name if b.subsector else ""
        sid = by_sub.get(sub, "") if sub else by_sector.get(sec, "")
        if not sid:
            ctx.notes.append(f"line {b.line}: no sector id for '{sec}/{sub}' in sectors.csv")
        printed_rows[(sec, sub)] = len(b.items)
        for it in b.items:
            base = {c: it.cell(c) for c in ("name", "content", "years", "land", "status")}
            for c in ("name", "content"):
                normalized[c] += normalize_text(base[c]) != base[c]
            base.update({m: it.cell(m) for m in _MONEY})
            parts = _split_merged(it, ctx)
            if parts is None:
                rows.append(
                    _Row(
                        sec,
                        sub,
                        sid,
                        int(it.cell("seq")),
                        normalize_text(base["name"]),
                        normalize_text(base["content"]),
                        base["years"],
                        base["investment"],
                        base["output"],
                        base["tax"],
                        base["land"],
                        base["status"],
                        it.cell("remark"),
                        it.line,
                    )
                )
                continue
            meta = json.loads(parts.pop()["__meta__"])
            seq0 = int(it.cell("seq"))
            new_rows = []
            for j, p in enumerate(parts):
                r = _Row(
                    sec,
                    sub,
                    sid,
                    seq0 + j,
                    p["name"] or MISSING_NAME,
                    normalize_text(p["content"]),
                    p["years"],
                    p["investment"],
                    p["output"],
                    p["tax"],
                    p["land"],
                    p["status"],
                    it.cell("remark"),
                    it.line,
                )
                r.flags.append("split_from_merged_row")
                if not p["name"]:
                    r.flags.append("name_missing")
                if not p["content"]:
                    r.flags.append("content_missing")
                new_rows.append(r)
                rows.append(r)
            block_heading = b.subsector or b.sector
            ev = list(meta["evidence"])
            ev.append(
                f"the heading '{block_heading.name} ({block_heading.count}个)' states "
                f"{block_heading.count} projects; the table has {len(b.items)} rows"
            )
            ev.append(
                f"the parts get sequence numbers {seq0}–{seq0 + meta['k'] - 1} (the row shows "
                f"only '{it.cell('seq')}')"
            )
            ctx.correct(
                kind="merged_row_split",
                lines=(it.line,),
                project_ids=(),  # filled after ids are assigned
                description=(
                    f"Row '{it.cell('seq')}' of '{sub or sec}' holds {meta['k']} projects (two "
                    "table rows fused by the conversion); split into one row per project. "
                    "A lost name is left as the placeholder " + MISSING_NAME + "."
                ),
                description_zh=(
                    f"“{sub or sec}”第 {it.cell('seq')} 行包含 {meta['k']} 个项目（转换时两行"
                    f"合并）；拆分为每个项目一行。缺失的项目名称记为“{MISSING_NAME}”，不作推测。"
                ),
                evidence=tuple(ev),
                before={
                    "seq": it.cell("seq"),
                    "name": normalize_text(base["name"]),
                    "years": base["years"],
                    "investment": base["investment"],
                    "output": base["output"],
                    "tax": base["tax"],
                    "land": base["land"],
                    "status": base["status"],
                },
                after={"__rows__": [id(r) for r in new_rows]},
            )

    # 2. content shifted between neighbouring rows (per sector, in table order)
    _detect_content_shift(rows, ctx)

    # 3. ids
    counters: dict[str, int] = {}
    for r in rows:
        code = PROJECT_CODES.get(r.sector_id, r.sector_id.upper() or "XX")
        counters[code] = counters.get(code, 0) + 1
        r.project_id = f"{code}-{r.seq:02d}"
    _resolve_row_refs(rows, ctx)

    # 4. per-row parsing and flags
    records = [_record(r, ctx, zones) for r in rows]
    projects = pd.DataFrame.from_records(records, columns=list(PROJECT_COLUMNS))

    # 5. checks
    checks = _count_checks(total, total_line, blocks, printed_rows, projects)
    checks += _sum_checks(total, total_line, parsed, subtotals, projects)
    _fill_sum_evidence(ctx, subtotals, projects)
    checks += _text_checks(parsed, projects)
    _target_notes(parsed, ctx)
    ctx.notes.append(
        f"wrap whitespace next to Chinese characters removed in {normalized['name']} name "
        f"and {normalized['content']} content cells (PDF line wrapping); nothing else in the "
        "texts was changed"
    )
    _seq_checks(projects, ctx)
    checks += _land_text_checks(projects)

    sha = hashlib.sha256("\n".join(parsed.lines).encode("utf-8")).hexdigest()
    report = QualityReport(
        source_sha256=sha,
        checks=checks,
        corrections=ctx.corrections,
        flags=sorted(ctx.flags, key=lambda f: (_id_order(projects, f.project_id), f.flag)),
        notes=ctx.notes,
    )
    report.summary = {
        "projects": len(projects),
        "projects_per_sector": {
            s: int(n) for s, n in projects.groupby("sector", sort=False).size().items()
        },
        "checks": len(checks),
        "checks_not_ok": len(report.mismatches),
        "corrections": len(ctx.corrections),
        "flags": len(ctx.flags),
    }
    return projects, report


def _id_order(projects: pd.DataFrame, pid: str) -> int:
    idx = projects.index[projects["project_id"] == pid]
    return int(idx[0]) if len(idx) else len(projects)


def _resolve_row_refs(rows: list[_Row], ctx: _Ctx) -> None:
    by_obj = {id(r): r for r in rows}
    for i, c in enumerate(ctx.corrections):
        if c.kind != "merged_row_split":
            continue
        refs = c.after.get("__rows__", [])
        parts = [by_obj[x] for x in refs]
        after = {
            "rows": [
                {
                    "project_id": r.project_id,
                    "seq": r.seq,
                    "name": r.name,
                    "content": r.content,
                    "years": r.years,
                    "investment": r.investment,
                    "output": r.output,
                    "tax": r.tax,
                    "land": r.land,
                    "status": r.status,
                }
                for r in parts
            ]
        }
        ctx.corrections[i] = Correction(
            c.correction_id,
            c.kind,
            c.lines,
            tuple(r.project_id for r in parts),
            c.description,
            c.description_zh,
            c.evidence,
            c.before,
            after,
        )
    for i, c in enumerate(ctx.corrections):
        if c.kind != "content_shift":
            continue
        ids = tuple(by_obj[x].project_id for x in c.after["__rows__"])
        moved: dict[str, Any] = {
            pid: by_obj[x].content for pid, x in zip(ids, c.after["__rows__"], strict=True)
        }
        ctx.corrections[i] = Correction(
            c.correction_id,
            c.kind,
            c.lines,
            ids,
            c.description,
            c.description_zh,
            c.evidence,
            c.before,
            moved,
        )


def _sentences(text: str) -> list[str]:
    return [x for x in re.split(r"(?<=[。；;])", text) if x.strip()]


def _fits_neighbour(rs: Sequence[_Row], i: int, j: int) -> bool:
    """Every sentence of row i's content fits row j's name better than row i's own name."""
    if not (0 <= j < len(rs)) or not rs[i].content:
        return False
    whole = content_similarity(rs[j].name, rs[i].content)
    if whole < _SHIFT_MIN or whole <= content_similarity(rs[i].name, rs[i].content):
        return False
    return all(
        content_similarity(rs[j].name, x) > content_similarity(rs[i].name, x)
        for x in _sentences(rs[i].content)
    )


def _detect_content_shift(rows: list[_Row], ctx: _Ctx) -> None:
    """Find runs where row i's content fits row i+1's name (or i-1's) better than its own."""
    by_sector: dict[str, list[_Row]] = {}
    for r in rows:
        by_sector.setdefault(r.sector, []).append(r)
    for sec, rs in by_sector.items():
        n = len(rs)
        own = [content_similarity(r.name, r.content) for r in rs]
        down = [_fits_neighbour(rs, i, i + 1) for i in range(n)]
        up = [_fits_neighbour(rs, i, i - 1) for i in range(n)]
        for direction, marks in (("down", down), ("up", up)):
            i = 0
            while i < n:
                if not marks[i]:
                    i += 1
                    continue
                j = i
                while j + 1 < n and marks[j + 1]:
                    j += 1
                if j - i + 1 >= 2:
                    _repair_shift(rs, i, j, direction, own, ctx, sec)
                i = j + 1
        for k, r in enumerate(rs):
            if "content_shifted_repaired" in r.flags or not r.content:
                continue
            best = (
                max(content_similarity(rs[m].name, r.content) for m in (k - 1, k + 1) if 0 <= m < n)
                if n > 1
                else 0.0
            )
            if own[k] == 0.0 and best >= _SINGLE_MISMATCH_MIN:
                r.flags.append("name_content_mismatch")
        # a sentence that fits an emptied neighbour's name: reported, never moved
        for k, r in enumerate(rs):
            if "content_missing" not in r.flags:
                continue
            for m in (k - 1, k + 1):
                if not (0 <= m < n) or not rs[m].content:
                    continue
                for x in _sentences(rs[m].content):
                    if content_similarity(r.name, x) > content_similarity(rs[m].name, x):
                        r.flags.append("content_candidate_in_neighbour")
                        ctx.notes.append(
                            f"{sec} row {r.seq} '{r.name}' has no content; the sentence "
                            f"'{x}' of row {rs[m].seq} '{rs[m].name}' shares more words with "
                            f"row {r.seq}'s name ({content_similarity(r.name, x):.2f} vs "
                            f"{content_similarity(rs[m].name, x):.2f}) and may belong to it; "
                            "not moved: it stands in a row whose other sentences are that row's "
                            "own, so it may be that row's text"
                        )


def _repair_shift(
    rs: list[_Row], a: int, b: int, direction: str, own: list[float], ctx: _Ctx, sec: str
) -> None:
    """Contents a..b belong to the next (``down``) or previous (``up``) rows: move them."""
    step = 1 if direction == "down" else -1
    targets = list(range(a + step, b + step + 1)) if step == 1 else list(range(a - 1, b))
    # the row whose content is displaced out of the run (last target) must be empty or itself
    # part of the run, else its text would be lost
    spill = b + 1 if step == 1 else a - 1
    if not (0 <= spill < len(rs)):
        ctx.notes.append(f"{sec}: content shift at the table edge; not repaired")
        return
    spilled = rs[spill].content if spill not in range(a, b + 1) else ""
    if spilled:
        ctx.notes.append(
            f"{sec}: rows {rs[a].seq}–{rs[b].seq} look shifted but row {rs[spill].seq} has its "
            "own content that would be lost; not repaired, flagged"
        )
        for r in rs[a : b + 1]:
            r.flags.append("name_content_mismatch")
        return
    before = {rs[i].seq: rs[i].content for i in range(min(a, spill), max(b, spill) + 1)}
    scores = []
    for i in range(a, b + 1):
        t = i + step
        scores.append(
            f"row {rs[i].seq} content fits row {rs[t].seq}'s name '{rs[t].name}' "
            f"({content_similarity(rs[t].name, rs[i].content):.2f}) better than its own name "
            f"'{rs[i].name}' ({own[i]:.2f})"
        )
    moved = [rs[i].content for i in range(a, b + 1)]
    vacated = a if step == 1 else b
    for i, c in zip(targets, moved, strict=True):
        rs[i].content = c
        rs[i].flags.append("content_shifted_repaired")
    rs[vacated].content = ""
    rs[vacated].flags.append("content_missing")
    affected = sorted(set(targets) | {vacated})
    num_ev = [f"'{rs[t].name}': {rs[t].investment} 亿元, land '{rs[t].land}'" for t in targets]
    ctx.correct(
        kind="content_shift",
        lines=tuple(rs[i].line for i in affected),
        project_ids=(),
        description=(
            f"In '{sec}', the contents of rows {rs[a].seq}–{rs[b].seq} sit one row "
            f"{'above' if step == 1 else 'below'} the names they describe, while names, years, "
            "numbers, land and status stay together. The contents were moved "
            f"{'down' if step == 1 else 'up'} by one row; row {rs[vacated].seq}'s own content "
            "is lost in the text and left empty (flag content_missing)."
        ),
        description_zh=(
            f"“{sec}”第 {rs[a].seq}–{rs[b].seq} 行的建设内容与其名称错开一行（名称、年限、"
            f"数字、用地、进展仍在同一行）。将内容{'下' if step == 1 else '上'}移一行；第 "
            f"{rs[vacated].seq} 行原有内容在文本中缺失，留空并标记 content_missing。"
        ),
        evidence=(
            *scores,
            "only the content column is displaced: each name keeps its own years, numbers, "
            "land and status, whose scale fits the name (" + "; ".join(num_ev) + ")",
            f"the row the contents move into last (row {rs[spill].seq}) had an empty content "
            "cell, as expected when every content slipped one row"
            if step == 1
            else "nothing is overwritten",
        ),
        before={str(k): v for k, v in before.items()},
        after={"__rows__": [id(rs[i]) for i in affected]},
    )


_ZONE_AMBIGUOUS_PARENTS = re.compile(r"^(.+园)([AB])区$")


def _zone_patterns(zones: pd.DataFrame | None) -> list[tuple[str, list[str]]]:
    """(phrase, zone ids) to look for in the project texts, longest phrases first."""
    if zones is None or zones.empty:
        return []
    pats: dict[str, list[str]] = {}
    for _, z in zones.iterrows():
        zid, name = str(z["zone_id"]), str(z["name_zh"])
        pats.setdefault(name, []).append(zid)
        m = _ZONE_AMBIGUOUS_PARENTS.match(name)
        if m:
            pats.setdefault(m.group(1), []).append(zid)
        stem = re.sub(r"中小企业集聚区$", "", name)
        if stem != name:
            pats.setdefault(stem + "中小企业集聚区", []).append(zid)
            pats.setdefault(stem, []).append(zid)
        town = str(z.get("host_township_zh", "") or "")
        note = str(z.get("host_township_note", "") or "")
        if town and note.startswith("by name"):  # never search presumed townships
            pats.setdefault(town, []).append(zid)
    out = [(p, sorted(set(ids))) for p, ids in pats.items()]
    return sorted(out, key=lambda t: (-len(t[0]), t[0]))


_PLACE_RUN = re.compile(r"[\u4e00-\u9fffA-Za-z0-9()（）]{1,30}园(?![区内外])")
_PLACE_VERB = re.compile(r"^.*?(?:位于|租用|租赁|依托|入驻|落户|进驻)")
_GENERIC_PLACES = frozenset({"产业园", "工业园", "园"})


def _find_places(
    text: str, patterns: list[tuple[str, list[str]]]
) -> tuple[list[str], list[str], list[str]]:
    """Return (zone ids, ambiguous candidates, other park names) mentioned in the text."""
    zones_found: list[str] = []
    candidates: list[str] = []
    consumed = text
    for phrase, ids in patterns:
        if phrase in consumed:
            if len(ids) == 1:
                zones_found.append(ids[0])
            else:
                candidates.extend(ids)
            consumed = consumed.replace(phrase, "＿" * len(phrase))
    others: list[str] = []
    for m in _PLACE_RUN.finditer(consumed):
        p = _PLACE_VERB.sub("", m.group(0))
        p = re.sub(r"^(?:建设|引进|打造)", "", p)
        if p not in _GENERIC_PLACES and len(p) >= 3 and p not in others:
            others.append(p)
    return sorted(set(zones_found)), sorted(set(candidates)), others


def _fmt_num(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".")


def _record(r: _Row, ctx: _Ctx, zones: pd.DataFrame | None) -> dict[str, Any]:
    flags = list(r.flags)
    pid = r.project_id
    yrs = parse_year_ranges(r.years)
    start = end = None
    if len(yrs) == 1:
        start, end = yrs[0]
        if start > end:
            flags.append("year_order")
            ctx.flags.append(Flag(pid, "year_order", f"start {start} after end {end}", r.line))
        if end > PLAN_END_YEAR:
            flags.append("ends_after_plan_period")
            ctx.flags.append(
                Flag(
                    pid,
                    "ends_after_plan_period",
                    f"planned years '{r.years}' end after the plan period (2021–"
                    f"{PLAN_END_YEAR}); kept as written",
                    r.line,
                )
            )
    else:
        flags.append("years_unparsed")
        ctx.flags.append(Flag(pid, "years_unparsed", f"years cell '{r.years}'", r.line))
    money: dict[str, float | None] = {}
    for m in _MONEY:
        nums = parse_numbers(getattr(r, m))
        money[m] = nums[0] if len(nums) == 1 else None
        if len(nums) != 1:
            flags.append(f"{m}_unparsed")
            ctx.flags.append(Flag(pid, f"{m}_unparsed", f"cell '{getattr(r, m)}'", r.line))
    out_v, tax_v = money["output"], money["tax"]
    if out_v and tax_v is not None and tax_v / out_v > TAX_OUTPUT_MAX:
        flags.append("tax_output_implausible")
        ctx.flags.append(
            Flag(
                pid,
                "tax_output_implausible",
                f"tax {tax_v:.2f} is {tax_v / out_v:.0%} of output {out_v:.2f} 亿元 (above "
                f"{TAX_OUTPUT_MAX:.0%}; the appendix's median is about 5%); kept as written, "
                "unverified",
                r.line,
            )
        )
    lands = parse_land(r.land)
    land_mu = floor_m2 = None
    if len(lands) == 1:
        lv = lands[0]
        if lv.kind == "mu":
            land_mu = lv.value
        elif lv.kind == "m2":
            floor_m2 = lv.value
        else:
            land_mu = 0.0
            flags.append("uses_existing_land")
    elif r.land.strip():
        flags.append("land_unparsed")
        ctx.flags.append(Flag(pid, "land_unparsed", f"land cell '{r.land}'", r.line))
    stage = _status_stage(r.status)
    if not stage:
        flags.append("stage_unknown")
        ctx.flags.append(Flag(pid, "stage_unknown", f"status '{r.status}'", r.line))
    for what, text in (("name", r.name), ("content", r.content)):
        for dup in re.finditer(r"([\u4e00-\u9fff]{2,4})\1", text):
            flags.append("duplicated_text")
            ctx.flags.append(
                Flag(
                    pid,
                    "duplicated_text",
                    f"'{dup.group(0)}' in the {what} (a word written twice; kept as written)",
                    r.line,
                )
            )
    if "content_missing" in flags:
        ctx.flags.append(
            Flag(pid, "content_missing", "the content of this row is lost in the text", r.line)
        )
    if "content_candidate_in_neighbour" in flags:
        ctx.flags.append(
            Flag(
                pid,
                "content_candidate_in_neighbour",
                "a sentence of a neighbouring row fits this name better; see the notes; not moved",
                r.line,
            )
        )
    if "name_missing" in flags:
        ctx.flags.append(
            Flag(
                pid,
                "name_missing",
                f"the name is lost in the text; shown as {MISSING_NAME}",
                r.line,
            )
        )
    if "name_content_mismatch" in flags:
        ctx.flags.append(
            Flag(
                pid,
                "name_content_mismatch",
                "the content shares no words with the name but fits a neighbouring row; "
                "not repaired (no run of shifted rows)",
                r.line,
            )
        )
    zone_id = zone_source = ""
    candidates: list[str] = []
    text = "\n".join((r.name, r.content, r.remark))
    zids, cands, others = _find_places(text, _zone_patterns(zones))
    if len(zids) == 1 and not cands:
        zone_id, zone_source = zids[0], "plan_text"
    elif zids or cands:
        candidates = sorted(set(zids) | set(cands))
        zone_source = "plan_text_ambiguous"
        flags.append("zone_ambiguous")
        ctx.flags.append(
            Flag(
                pid,
                "zone_ambiguous",
                f"the text names a place that fits several zones ({';'.join(candidates)}); "
                "zone_id left empty",
                r.line,
            )
        )
    if others:
        flags.append("place_not_zone")
        ctx.flags.append(
            Flag(
                pid,
                "place_not_zone",
                "the text names " + "、".join(others) + ", which is not one of the 13 zones of "
                "专栏12; not mapped to a zone",
                r.line,
            )
        )
    return {
        "project_id": pid,
        "sector": r.sector,
        "subsector": r.subsector,
        "sector_id": r.sector_id,
        "seq": r.seq,
        "name_zh": r.name,
        "content_zh": r.content,
        "start_year": start,
        "end_year": end,
        "investment_yi": money["investment"],
        "output_yi": money["output"],
        "tax_yi": money["tax"],
        "land_mu": land_mu,
        "floor_m2": floor_m2,
        "land_raw": r.land,
        "status_zh": r.status,
        "stage": stage,
        "zone_id": zone_id,
        "zone_candidates": ";".join(candidates),
        "zone_source": zone_source,
        "place_mentions": ";".join(others),
        "quality_flags": ";".join(dict.fromkeys(flags)),
        "source_line": r.line,
    }


# --------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------


def _check(
    scope: str,
    fld: str,
    stage: str,
    stated: float | None,
    computed: float | None,
    line: int,
    note: str = "",
) -> Check:
    if stated is None or computed is None:
        return Check(scope, fld, stage, stated, computed, None, "missing", line, note)
    diff = _r2(computed - stated)
    status = "ok" if abs(diff) < _TOL else "mismatch"
    if status == "mismatch" and not note and abs(diff) <= 0.021:
        note = "small: the size of a rounding difference (values given to 0.01)"
    return Check(scope, fld, stage, _r2(stated), _r2(computed), diff, status, line, note)


def _count_checks(
    total: Heading | None,
    total_line: int,
    blocks: Sequence[_Block],
    printed_rows: Mapping[tuple[str, str], int],
    projects: pd.DataFrame,
) -> list[Check]:
    checks: list[Check] = []
    if total is not None:
        printed = sum(printed_rows.values())
        checks.append(_check("合计", "count", "as_printed", total.count, printed, total_line))
        checks.append(
            _check("合计", "count", "after_repair", total.count, len(projects), total_line)
        )
    seen: set[int] = set()
    for b in blocks:
        sec = _strip_industry(b.sector.name)
        if id(b.sector) not in seen:
            seen.add(id(b.sector))
            printed = sum(n for (s, _), n in printed_rows.items() if s == sec)
            comp = int((projects["sector"] == sec).sum())
            line = b.sector_line
            checks.append(_check(sec, "count", "as_printed", b.sector.count, printed, line))
            checks.append(_check(sec, "count", "after_repair", b.sector.count, comp, line))
        if b.subsector is not None:
            sub = b.subsector.name
            comp = int(((projects["sector"] == sec) & (projects["subsector"] == sub)).sum())
            label = f"{sec}/{sub}"
            checks.append(
                _check(label, "count", "as_printed", b.subsector.count, len(b.items), b.line)
            )
            checks.append(_check(label, "count", "after_repair", b.subsector.count, comp, b.line))
    return checks


def _sum_checks(
    total: Heading | None,
    total_line: int,
    parsed: ParsedPlan,
    subtotals: Sequence[_Subtotal],
    projects: pd.DataFrame,
) -> list[Check]:
    checks: list[Check] = []
    total_item = next((it for it in parsed.appendix if it.kind == "total"), None)
    if total_item is not None:
        stated = _cells_values(total_item.cells)
        for m in _MONEY:
            comp = float(projects[f"{m}_yi"].dropna().sum())
            for stage in ("as_printed", "after_repair"):
                checks.append(_check("合计", f"{m}_yi", stage, stated[m], comp, total_line))
    for st in subtotals:
        mask = projects["sector"] == st.sector
        if not mask.any():
            continue
        for m in _MONEY:
            comp = float(projects.loc[mask, f"{m}_yi"].dropna().sum())
            checks.append(
                _check(
                    f"{st.sector}（{st.label}）",
                    f"{m}_yi",
                    "as_printed",
                    st.printed.get(m),
                    comp,
                    st.label_line,
                    ""
                    if st.printed.get(m) is not None
                    else "the cell under this column is empty as printed",
                )
            )
            checks.append(
                _check(
                    f"{st.sector}（{st.label}）",
                    f"{m}_yi",
                    "after_repair",
                    st.values.get(m),
                    comp,
                    st.label_line,
                )
            )
    return checks


def _fill_sum_evidence(ctx: _Ctx, subtotals: Sequence[_Subtotal], projects: pd.DataFrame) -> None:
    for i, c in enumerate(ctx.corrections):
        if "__SUMS__" not in c.evidence:
            continue
        st = next((s for s in subtotals if s.line in c.lines), None)
        if st is None:
            continue
        mask = projects["sector"] == st.sector
        comp = {m: _r2(float(projects.loc[mask, f"{m}_yi"].dropna().sum())) for m in _MONEY}
        ev = (
            f"the rows of '{st.sector}' sum to investment {comp['investment']:.2f}, output "
            f"{comp['output']:.2f}, tax {comp['tax']:.2f}: the realigned reading "
            f"({c.after['investment']}, {c.after['output']}, {c.after['tax']}) matches them "
            f"(to rounding), the printed one ({c.before['investment']}, {c.before['output']}, "
            f"{c.before['tax']}) does not"
        )
        ctx.corrections[i] = Correction(
            c.correction_id,
            c.kind,
            c.lines,
            c.project_ids,
            c.description,
            c.description_zh,
            tuple(ev if e == "__SUMS__" else e for e in c.evidence),
            c.before,
            c.after,
        )


def _text_checks(parsed: ParsedPlan, projects: pd.DataFrame) -> list[Check]:
    """Numbers the text states twice or about the appendix, compared."""
    checks: list[Check] = []
    ind = {r.seq: r for r in parsed.indicators}
    for t in parsed.targets:
        if t.metric == "output_total_yi" and t.kind == "baseline" and 1 in ind:
            nums = parse_numbers(ind[1].v2020)
            checks.append(
                _check(
                    f"2020 规上工业产值: text ({t.section}) vs 专栏1 row 1",
                    "output_total_yi_2020",
                    "after_repair",
                    t.value,
                    nums[0] if nums else None,
                    t.line,
                    f"text line {t.line} says {t.value:g}, 专栏1 (line {ind[1].line}) says "
                    f"'{ind[1].v2020}'; both kept as written, neither corrected",
                )
            )
        if t.metric == "output_total_yi" and t.kind == "target" and t.year == 2025 and 1 in ind:
            nums = parse_numbers(ind[1].v2025)
            checks.append(
                _check(
                    "2025 规上工业产值: text vs 专栏1 row 1",
                    "output_total_yi_2025",
                    "after_repair",
                    t.value,
                    nums[0] if nums else None,
                    t.line,
                )
            )
        if t.metric == "fixed_investment_cum_yi" and 2 in ind:
            nums = parse_numbers(ind[2].v2025)
            checks.append(
                _check(
                    "工业固定资产投资 2021–2025 (cumulative): text vs 专栏1 row 2 '[300]'",
                    "fixed_investment_cum_yi",
                    "after_repair",
                    t.value,
                    nums[0] if nums else None,
                    t.line,
                )
            )
        if t.metric == "project_count":
            checks.append(
                _check(
                    f"十(六) text: 策划重点项目 {t.value:g} 个 vs appendix rows",
                    "count",
                    "after_repair",
                    t.value,
                    float(len(projects)),
                    t.line,
                )
            )
        if t.metric == "project_investment_yi":
            comp = _r2(float(projects["investment_yi"].dropna().sum()))
            diff = comp - t.value
            checks.append(
                Check(
                    f"十(六) text: 计划总投资 {t.value:g} 亿元 vs appendix",
                    "investment_yi",
                    "after_repair",
                    t.value,
                    comp,
                    _r2(diff),
                    "ok" if abs(diff) < 1.0 else "mismatch",
                    t.line,
                    "the text rounds to whole 亿元; ok when within 1",
                )
            )
        if t.metric == "project_output_yi":
            comp = _r2(float(projects["output_yi"].dropna().sum()))
            checks.append(
                Check(
                    f"十(六) text: 预计实现产值超过 {t.value:g} 亿元 vs appendix",
                    "output_yi",
                    "after_repair",
                    t.value,
                    comp,
                    _r2(comp - t.value),
                    "ok" if comp > t.value else "mismatch",
                    t.line,
                    "the text says 'more than'; ok when the appendix total exceeds it",
                )
            )
    return checks


def _target_notes(parsed: ParsedPlan, ctx: _Ctx) -> None:
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
        ctx.notes.append(
            f"the {len(scale)} industry output targets for 2025 add up to {s:g} 亿元 "
            f"({', '.join(f'{t.subject_zh} {t.value:g}' for t in scale)}), "
            f"{'more' if s > total.value else 'less'} than the district target of "
            f"{total.value:g} 亿元 (line {total.line}); the plan does not say how they relate; "
            "both kept as written"
        )


_TEXT_MU = re.compile(r"占地约?\s*(\d+(?:\.\d+)?)\s*亩")
_TEXT_M2 = re.compile(r"(?:租用|租赁)?标准厂房\s*(\d+(?:\.\d+)?)\s*平方米")


def _land_text_checks(projects: pd.DataFrame) -> list[Check]:
    """Land stated inside a content text (占地74亩, 租用标准厂房5000平方米) vs the land cell."""
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
                _check(
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


def _seq_checks(projects: pd.DataFrame, ctx: _Ctx) -> None:
    for key, g in projects.groupby(["sector", "subsector"], sort=False):
        sec, sub = str(key[0]), str(key[1])
        seqs = [int(s) for s in g["seq"]]
        expected = list(range(1, len(seqs) + 1))
        if seqs != expected:
            dup = sorted({s for s in seqs if seqs.count(s) > 1})
            gaps = sorted(set(expected) - set(seqs))
            ctx.notes.append(
                f"{sec}/{sub}: sequence numbers {seqs} are not 1..{len(seqs)} "
                f"(duplicates {dup}, gaps {gaps})"
            )
        else:
            ctx.notes.append(
                f"{sec}{'/' + sub if sub else ''}: sequence numbers 1..{len(seqs)} without gaps "
                "or duplicates (after repair)"
            )
