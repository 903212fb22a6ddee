"""Repairs of project rows damaged by the PDF-to-text conversion.

Two kinds of damage are detected wherever they occur, and each repair is recorded as an
explicit :class:`wzgeo.plan.quality.Correction` citing its evidence:

- ``merged_row_split``: one table row whose cells each hold *k* values (two rows fused):
  split into *k* rows; a name that is lost stays lost (:data:`MISSING_NAME`), never invented;
- ``content_shift``: a run of rows whose contents fit the next (or previous) row's name better
  than their own: the contents are moved back, unless a text would be lost.

What looks damaged but cannot be repaired safely is flagged on the rows (``name_missing``,
``content_missing``, ``name_content_mismatch``, ``content_candidate_in_neighbour``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from wzgeo.plan.appendix import Block
from wzgeo.plan.parse import (
    AppendixItem,
    normalize_text,
    parse_land,
    parse_numbers,
    parse_year_ranges,
)
from wzgeo.plan.projecttable import MISSING_NAME, MONEY_FIELDS, ProjectRow
from wzgeo.plan.quality import Findings
from wzgeo.plan.similarity import content_similarity

__all__ = ["detect_content_shift", "resolve_row_refs", "split_merged_row"]

#: A content fits a neighbour's name when at least this share of the name's words is in it.
_SHIFT_MIN = 0.2
#: A single row whose content shares no word with its name is flagged when it fits a
#: neighbour's name at least this well.
_SINGLE_MISMATCH_MIN = 0.5
_PART_CELLS = ("name", "content", "years", "land", "status")


# --------------------------------------------------------------------------------------
# merged rows
# --------------------------------------------------------------------------------------


def _split_cells(
    item: AppendixItem, findings: Findings
) -> tuple[list[dict[str, str]], int, list[str]] | None:
    """Divide the cells of a row whose cells each hold k values: (parts, k, evidence)."""
    cells = {c: item.cell(c) for c in _PART_CELLS}
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
        findings.notes.append(
            f"line {item.line}: some cells hold several values ({counts}) but they do not agree; "
            "row left unsplit"
        )
        return None
    years = parse_year_ranges(cells["years"])
    nums = {m: item.cell(m).split() for m in MONEY_FIELDS}
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
    return parts, k, evidence


def split_merged_row(
    item: AppendixItem,
    block: Block,
    *,
    sector: str,
    subsector: str,
    sector_id: str,
    findings: Findings,
) -> list[ProjectRow] | None:
    """Split a row whose cells each hold *k* values into *k* rows, recording the correction.

    Parameters
    ----------
    item
        The appendix row.
    block
        The block it stands in (its heading's count is cited as evidence).
    sector, subsector, sector_id
        For the new rows.
    findings
        The correction (or, when the cells do not agree, a note) is added here. The
        correction's ``project_ids`` and ``after`` are filled by :func:`resolve_row_refs`
        once the rows have ids.

    Returns
    -------
    list of ProjectRow or None
        The rows (sequence numbers counted on from the row's own), ``None`` when the row is
        not a merged row.
    """
    split = _split_cells(item, findings)
    if split is None:
        return None
    parts, k, evidence = split
    seq0 = int(item.cell("seq"))
    new_rows = []
    for j, p in enumerate(parts):
        r = ProjectRow(
            sector,
            subsector,
            sector_id,
            seq0 + j,
            p["name"] or MISSING_NAME,
            normalize_text(p["content"]),
            p["years"],
            p["investment"],
            p["output"],
            p["tax"],
            p["land"],
            p["status"],
            item.cell("remark"),
            item.line,
        )
        r.flags.append("split_from_merged_row")
        if not p["name"]:
            r.flags.append("name_missing")
        if not p["content"]:
            r.flags.append("content_missing")
        new_rows.append(r)
    heading = block.subsector or block.sector
    where = subsector or sector
    evidence = [
        *evidence,
        f"the heading '{heading.name} ({heading.count}个)' states "
        f"{heading.count} projects; the table has {len(block.items)} rows",
        f"the parts get sequence numbers {seq0}–{seq0 + k - 1} (the row shows "
        f"only '{item.cell('seq')}')",
    ]
    findings.correct(
        kind="merged_row_split",
        lines=(item.line,),
        project_ids=(),  # filled by resolve_row_refs
        description=(
            f"Row '{item.cell('seq')}' of '{where}' holds {k} projects (two "
            "table rows fused by the conversion); split into one row per project. "
            "A lost name is left as the placeholder " + MISSING_NAME + "."
        ),
        description_zh=(
            f"“{where}”第 {item.cell('seq')} 行包含 {k} 个项目（转换时两行"
            f"合并）；拆分为每个项目一行。缺失的项目名称记为“{MISSING_NAME}”，不作推测。"
        ),
        evidence=tuple(evidence),
        before={
            "seq": item.cell("seq"),
            "name": normalize_text(item.cell("name")),
            "years": item.cell("years"),
            "investment": item.cell("investment"),
            "output": item.cell("output"),
            "tax": item.cell("tax"),
            "land": item.cell("land"),
            "status": item.cell("status"),
        },
        after={"__rows__": [id(r) for r in new_rows]},
    )
    return new_rows


def resolve_row_refs(rows: Sequence[ProjectRow], findings: Findings) -> None:
    """Fill in the rows' ids and values in the corrections that refer to rows.

    Parameters
    ----------
    rows
        All rows, with their ids (:func:`wzgeo.plan.projecttable.assign_ids`).
    findings
        Its ``merged_row_split`` and ``content_shift`` corrections are completed in place.
    """
    by_obj = {id(r): r for r in rows}
    for i, c in enumerate(findings.corrections):
        if c.kind == "merged_row_split":
            parts = [by_obj[x] for x in c.after.get("__rows__", [])]
            after: dict[str, Any] = {
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
            ids = tuple(r.project_id for r in parts)
        elif c.kind == "content_shift":
            ids = tuple(by_obj[x].project_id for x in c.after["__rows__"])
            after = {
                pid: by_obj[x].content for pid, x in zip(ids, c.after["__rows__"], strict=True)
            }
        else:
            continue
        findings.corrections[i] = replace(c, project_ids=ids, after=after)


# --------------------------------------------------------------------------------------
# contents shifted between neighbouring rows
# --------------------------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    return [x for x in re.split(r"(?<=[。；;])", text) if x.strip()]


def _fits_neighbour(rs: Sequence[ProjectRow], i: int, j: int) -> bool:
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


def detect_content_shift(rows: Sequence[ProjectRow], findings: Findings) -> None:
    """Find and repair runs of contents shifted by one row; flag single mismatches.

    Per sector, in table order: a run of two or more rows whose contents each fit the next
    (or previous) row's name better than their own is moved back, when no text is lost.

    Parameters
    ----------
    rows
        All rows; contents and flags are changed in place.
    findings
        Corrections and notes are added here.
    """
    by_sector: dict[str, list[ProjectRow]] = {}
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
                    _repair_shift(rs, i, j, direction, own, findings, sec)
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
                        findings.notes.append(
                            f"{sec} row {r.seq} '{r.name}' has no content; the sentence "
                            f"'{x}' of row {rs[m].seq} '{rs[m].name}' shares more words with "
                            f"row {r.seq}'s name ({content_similarity(r.name, x):.2f} vs "
                            f"{content_similarity(rs[m].name, x):.2f}) and may belong to it; "
                            "not moved: it stands in a row whose other sentences are that row's "
                            "own, so it may be that row's text"
                        )


def _recover_tail(
    rs: list[ProjectRow], vacated: int, step: int
) -> tuple[int, str, list[str]] | None:
    """The vacated row's content found as the last sentence of the row before the run.

    Returns ``(row index, sentence, evidence)`` when that row has two or more sentences,
    its last one fits the vacated row's name better than its own (by at least
    :data:`_SHIFT_MIN`), and the rest fits its own name at least as well as the vacated
    row's; else ``None`` (nothing is moved).
    """
    up = vacated - step
    if not (0 <= up < len(rs)) or rs[vacated].content:
        return None
    parts = _sentences(rs[up].content)
    if len(parts) < 2:
        return None
    last, rest = parts[-1], "".join(parts[:-1])
    fits_vacated = content_similarity(rs[vacated].name, last)
    fits_own = content_similarity(rs[up].name, last)
    rest_own = content_similarity(rs[up].name, rest)
    rest_vacated = content_similarity(rs[vacated].name, rest)
    if fits_vacated < _SHIFT_MIN or fits_vacated <= fits_own or rest_own < rest_vacated:
        return None
    rs[up].content = rest
    evidence = [
        f"the last sentence of row {rs[up].seq} ('{last}') fits row {rs[vacated].seq}'s "
        f"name '{rs[vacated].name}' ({fits_vacated:.2f}) better than row {rs[up].seq}'s own "
        f"name '{rs[up].name}' ({fits_own:.2f}); the rest of row {rs[up].seq} fits its own "
        f"name at least as well ({rest_own:.2f} vs {rest_vacated:.2f})",
        f"the rows below are shifted by one row, and row {rs[vacated].seq} would otherwise "
        f"be left without content: the shift begins with that sentence, appended to row "
        f"{rs[up].seq}'s cell by the conversion",
    ]
    return up, last, evidence


def _repair_shift(
    rs: list[ProjectRow],
    a: int,
    b: int,
    direction: str,
    own: list[float],
    findings: Findings,
    sec: str,
) -> None:
    """Contents a..b belong to the next (``down``) or previous (``up``) rows: move them."""
    step = 1 if direction == "down" else -1
    targets = list(range(a + step, b + step + 1)) if step == 1 else list(range(a - 1, b))
    # the row whose content is displaced out of the run (last target) must be empty or itself
    # part of the run, else its text would be lost
    spill = b + 1 if step == 1 else a - 1
    if not (0 <= spill < len(rs)):
        findings.notes.append(f"{sec}: content shift at the table edge; not repaired")
        return
    spilled = rs[spill].content if spill not in range(a, b + 1) else ""
    if spilled:
        findings.notes.append(
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
    # the shift may start inside the row above the run: its last sentence is then the
    # vacated row's own content (the conversion appended it to the previous cell)
    recovered = _recover_tail(rs, vacated, step) if step == 1 else None
    if recovered is None:
        rs[vacated].flags.append("content_missing")
        recovered_ev: list[str] = []
        lost_en = (
            f"row {rs[vacated].seq}'s own content is lost in the text and left empty (flag "
            "content_missing)."
        )
        lost_zh = f"第 {rs[vacated].seq} 行原有内容在文本中缺失，留空并标记 content_missing。"
    else:
        up, sentence, ev = recovered
        before = {rs[up].seq: rs[up].content + sentence, **before}
        rs[vacated].content = sentence
        rs[vacated].flags.append("content_shifted_repaired")
        rs[up].flags.append("content_shifted_repaired")
        recovered_ev = ev
        lost_en = (
            f"row {rs[vacated].seq}'s own content stood as the last sentence of row "
            f"{rs[up].seq}'s cell, where the shift begins; it is moved to row "
            f"{rs[vacated].seq}."
        )
        lost_zh = (
            f"第 {rs[vacated].seq} 行的内容位于第 {rs[up].seq} 行内容的最后一句（错行由此开始），"
            f"移回第 {rs[vacated].seq} 行。"
        )
    affected = sorted(set(targets) | {vacated} | ({recovered[0]} if recovered else set()))
    num_ev = [f"'{rs[t].name}': {rs[t].investment} 亿元, land '{rs[t].land}'" for t in targets]
    findings.correct(
        kind="content_shift",
        lines=tuple(rs[i].line for i in affected),
        project_ids=(),
        description=(
            f"In '{sec}', the contents of rows {rs[a].seq}–{rs[b].seq} sit one row "
            f"{'above' if step == 1 else 'below'} the names they describe, while names, years, "
            "numbers, land and status stay together. The contents were moved "
            f"{'down' if step == 1 else 'up'} by one row; " + lost_en
        ),
        description_zh=(
            f"“{sec}”第 {rs[a].seq}–{rs[b].seq} 行的建设内容与其名称错开一行（名称、年限、"
            f"数字、用地、进展仍在同一行）。将内容{'下' if step == 1 else '上'}移一行；" + lost_zh
        ),
        evidence=(
            *scores,
            "only the content column is displaced: each name keeps its own years, numbers, "
            "land and status, whose scale fits the name (" + "; ".join(num_ev) + ")",
            f"the row the contents move into last (row {rs[spill].seq}) had an empty content "
            "cell, as expected when every content slipped one row"
            if step == 1
            else "nothing is overwritten",
            *recovered_ev,
        ),
        before={str(k): v for k, v in before.items()},
        after={"__rows__": [id(rs[i]) for i in affected]},
    )
