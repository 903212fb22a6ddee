"""The appendix's structure: headings, blocks of project rows, and subtotals.

:func:`read_structure` walks the classified appendix lines (:func:`wzgeo.plan.parse.parse_appendix`)
and groups them: the total heading, one :class:`Block` per sector or sub-sector heading with its
project rows, and the :class:`Subtotal` rows. The conversion damaged some subtotals; these are
repaired here, each as an explicit correction:

- ``subtotal_label_detached``: a label (…小计) without numbers next to a row of numbers without
  a label: joined;
- ``subtotal_columns_shifted``: the three numbers stand in the wrong columns: realigned;
- a row of numbers without any label: taken as the subtotal of the sector above (noted,
  unverified).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from wzgeo.plan.parse import APPENDIX_COLUMNS, AppendixItem, Heading, normalize_text, parse_numbers
from wzgeo.plan.projecttable import MONEY_FIELDS
from wzgeo.plan.quality import Findings

__all__ = [
    "MONEY_COLUMNS",
    "Block",
    "Structure",
    "Subtotal",
    "cells_values",
    "read_structure",
    "strip_industry",
]

#: Appendix column index of each money field.
MONEY_COLUMNS: dict[str, int] = {m: APPENDIX_COLUMNS.index(m) for m in MONEY_FIELDS}


@dataclass
class Block:
    """The project rows under one sector or sub-sector heading.

    Attributes
    ----------
    sector, subsector
        The headings (``subsector`` ``None`` for a sector without sub-sectors).
    line
        1-based line of the block's own heading.
    sector_line
        1-based line of the sector heading.
    items
        The project rows, in text order.
    """

    sector: Heading
    subsector: Heading | None
    line: int
    sector_line: int
    items: list[AppendixItem] = field(default_factory=list)


@dataclass
class Subtotal:
    """A subtotal row.

    Attributes
    ----------
    label
        As written (``新材料产业小计``), or made up for a row without a label.
    line, label_line
        1-based lines of the numbers and of the label (different when detached).
    values
        Investment, output and tax (亿元) after any repair.
    printed
        The same as the converted text has them.
    sector
        The sector it sums (``产业`` removed).
    """

    label: str
    line: int
    label_line: int
    values: dict[str, float | None]
    printed: dict[str, float | None]
    sector: str


@dataclass
class Structure:
    """The appendix grouped: total heading, blocks, subtotals.

    Attributes
    ----------
    total
        The total heading (合计项目 N 个), if found.
    total_line
        Its 1-based line (0 if not found).
    blocks, subtotals
        In text order.
    """

    total: Heading | None = None
    total_line: int = 0
    blocks: list[Block] = field(default_factory=list)
    subtotals: list[Subtotal] = field(default_factory=list)


def strip_industry(name: str) -> str:
    """A sector name without its trailing 产业 (``新材料产业`` → ``新材料``)."""
    return re.sub(r"产业$", "", name)


def cells_values(cells: Sequence[str]) -> dict[str, float | None]:
    """Investment, output and tax of a row's cells (``None`` unless exactly one number)."""
    out: dict[str, float | None] = {}
    for k, i in MONEY_COLUMNS.items():
        nums = parse_numbers(cells[i]) if i < len(cells) else []
        out[k] = nums[0] if len(nums) == 1 else None
    return out


def read_structure(items: Sequence[AppendixItem], findings: Findings) -> Structure:
    """Group the appendix lines into headings, blocks and subtotals, repairing subtotals.

    Parameters
    ----------
    items
        From :func:`wzgeo.plan.parse.parse_appendix`.
    findings
        Corrections and notes are added here.

    Returns
    -------
    Structure
        The grouped appendix.
    """
    st = Structure()
    blocks, subtotals = st.blocks, st.subtotals
    sector: Heading | None = None
    pending: AppendixItem | None = None
    for it in items:
        if it.kind == "total":
            st.total, st.total_line = it.heading, it.line
        elif it.kind == "sector":
            sector = it.heading
            assert sector is not None
            blocks.append(Block(sector, None, it.line, it.line))
        elif it.kind == "subsector":
            if sector is None:
                findings.notes.append(
                    f"line {it.line}: sub-sector heading before any sector; ignored"
                )
                continue
            if blocks and blocks[-1].sector is sector and not blocks[-1].items:
                blocks[-1].subsector = it.heading
                blocks[-1].line = it.line
            else:
                blocks.append(Block(sector, it.heading, it.line, blocks[-1].sector_line))
        elif it.kind == "project":
            if not blocks:
                findings.notes.append(f"line {it.line}: project row before any heading; ignored")
                continue
            blocks[-1].items.append(it)
        elif it.kind == "numbers":
            if pending is not None:
                subtotals.append(_unlabelled(pending, sector, findings))
            pending = it
        elif it.kind in ("subtotal", "label"):
            label = normalize_text(it.cells[0])
            has_numbers = it.kind == "subtotal" and any(parse_numbers(c) for c in it.cells[1:])
            sec_name = strip_industry(sector.name) if sector else ""
            if not has_numbers and pending is not None:
                subtotals.append(_join_detached(pending, it, label, sec_name, findings))
                pending = None
                continue
            if pending is not None:
                subtotals.append(_unlabelled(pending, sector, findings))
                pending = None
            own = cells_values(it.cells) if it.kind == "subtotal" else {}
            scope = strip_industry(re.sub(r"小计$", "", label))
            subtotals.append(Subtotal(label, it.line, it.line, own, dict(own), scope))
            if it.kind == "subtotal":
                subtotals[-1].values = _realign(it, findings, sec_name)
        elif it.kind == "other":
            findings.notes.append(
                f"line {it.line}: table row not understood: {' | '.join(it.cells)}"
            )
    if pending is not None:
        subtotals.append(_unlabelled(pending, sector, findings))
    return st


def _join_detached(
    numbers: AppendixItem, it: AppendixItem, label: str, sec_name: str, findings: Findings
) -> Subtotal:
    """A subtotal label without numbers joined to the unlabelled row of numbers before it."""
    scope = strip_industry(re.sub(r"小计$", "", label))
    values = cells_values(numbers.cells)
    where = "on the next line" if it.kind == "subtotal" else "after the table"
    findings.correct(
        kind="subtotal_label_detached",
        lines=(numbers.line, it.line),
        project_ids=(),
        description=(
            f"The subtotal label '{label}' stands on its own {where} (line "
            f"{it.line}); its numbers are on the unlabelled row of line "
            f"{numbers.line}. Joined into one subtotal for '{sec_name}'."
        ),
        description_zh=(
            f"小计标签“{label}”单独成行（第 {it.line} 行），其数字在第 {numbers.line} "
            f"行的无标签行中；合并为“{sec_name}”的小计。"
        ),
        evidence=(
            f"line {numbers.line} has numbers in the investment/output/tax columns "
            "but no label, sequence number or name",
            f"line {it.line} has the label '{label}' but no numbers",
            f"the label names the sector of the rows just above ('{sec_name}')"
            if scope == sec_name
            else f"WARNING: the label names '{scope}', the rows above are '{sec_name}'",
        ),
        before={"numbers_line": numbers.line, "label_line": it.line},
        after={"subtotal": label, **values},
    )
    return Subtotal(label, numbers.line, it.line, values, dict(values), sec_name)


def _unlabelled(it: AppendixItem, sector: Heading | None, findings: Findings) -> Subtotal:
    name = strip_industry(sector.name) if sector else ""
    findings.notes.append(
        f"line {it.line}: a row of numbers without any label; taken as the subtotal of "
        f"'{name}' (the sector of the rows above) — unverified"
    )
    values = cells_values(it.cells)
    return Subtotal(f"{name}小计（无标签）", it.line, it.line, values, dict(values), name)


def _realign(it: AppendixItem, findings: Findings, sec_name: str) -> dict[str, float | None]:
    """Values of a subtotal row; numbers found outside the money columns are realigned."""
    positions = [i for i, c in enumerate(it.cells) if i > 0 and parse_numbers(c)]
    expected = [MONEY_COLUMNS[k] for k in MONEY_FIELDS]
    values = cells_values(it.cells)
    if positions == expected or not positions:
        return values
    contiguous = positions == list(range(positions[0], positions[0] + len(positions)))
    if len(positions) == len(expected) and contiguous:
        shift = positions[0] - expected[0]
        new = {k: parse_numbers(it.cells[MONEY_COLUMNS[k] + shift])[0] for k in MONEY_FIELDS}
        findings.correct(
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
            before={k: values[k] for k in MONEY_FIELDS},
            after=dict(new),
        )
        return dict(new)
    findings.notes.append(
        f"line {it.line}: subtotal numbers in unexpected columns {positions}; not realigned "
        f"({sec_name})"
    )
    return values
