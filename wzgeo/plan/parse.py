"""Parse the plan text into raw tables.

The plan (《重庆市万州区制造业高质量发展“十四五”规划》) reached us as a PDF converted to text
with Markdown-style tables. This module reads that text *as written*: it finds the tables and
statements and splits them into cells and values, but repairs nothing. Checking and repairing
the conversion's damage is :mod:`wzgeo.plan.reconcile`'s job.

Here: the appendix (headings and rows), 专栏12 (zones), 专栏1 (indicators) and the whole
document. Cell-level helpers live in :mod:`wzgeo.plan.text`, the statements of the running text
in :mod:`wzgeo.plan.targets`; both are re-exported.

Public entry point: :func:`parse_plan`. The smaller functions (:func:`split_row`,
:func:`parse_numbers`, :func:`parse_year_ranges`, :func:`parse_land`, :func:`parse_heading`,
:func:`parse_appendix`, ...) are public so that they can be tested on small fixtures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from wzgeo.plan.targets import TargetStatement, line_sections, parse_targets
from wzgeo.plan.text import (
    CN_NUMERALS,
    LandValue,
    PlanParseError,
    normalize_text,
    parse_land,
    parse_numbers,
    parse_year_ranges,
    split_row,
)

__all__ = [
    "APPENDIX_COLUMNS",
    "AppendixItem",
    "Heading",
    "IndicatorRow",
    "LandValue",
    "ParsedPlan",
    "PlanParseError",
    "TargetStatement",
    "ZoneEntry",
    "normalize_text",
    "parse_appendix",
    "parse_heading",
    "parse_indicators",
    "parse_land",
    "parse_numbers",
    "parse_plan",
    "parse_targets",
    "parse_year_ranges",
    "parse_zones",
    "split_row",
]

#: The ten columns of the appendix project table, in order (ASCII keys).
APPENDIX_COLUMNS: tuple[str, ...] = (
    "seq",
    "name",
    "content",
    "years",
    "investment",
    "output",
    "tax",
    "land",
    "status",
    "remark",
)

_SECTOR_HEADING = re.compile(rf"^([{CN_NUMERALS}]+)、\s*(.+?)\s*[（(]\s*(\d+)\s*个\s*[)）]$")
_SUBSECTOR_HEADING = re.compile(
    rf"^[（(]\s*([{CN_NUMERALS}]+)\s*[)）]\s*(.+?)\s*[（(]\s*(\d+)\s*个\s*[)）]$"
)
_TOTAL_HEADING = re.compile(r"^合计\s*项目\s*(\d+)\s*个$")


# --------------------------------------------------------------------------------------
# appendix headings
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A heading row of the appendix: the total, a sector or a sub-sector.

    Attributes
    ----------
    level
        ``"total"``, ``"sector"`` or ``"subsector"``.
    name
        The name as written without its number and count (``新材料产业``); empty for the total.
    count
        The stated number of projects.
    ordinal
        The Chinese ordinal (``一``), empty for the total.
    """

    level: str
    name: str
    count: int
    ordinal: str = ""


def parse_heading(cell: str) -> Heading | None:
    """Parse ``一、新材料产业 (33个)``, ``(一) 铜材料 (14个)`` or ``合计项目135个``.

    Returns ``None`` when the cell is not such a heading.
    """
    s = cell.strip()
    m = _TOTAL_HEADING.match(s)
    if m:
        return Heading("total", "", int(m.group(1)))
    m = _SECTOR_HEADING.match(s)
    if m:
        return Heading("sector", normalize_text(m.group(2)), int(m.group(3)), m.group(1))
    m = _SUBSECTOR_HEADING.match(s)
    if m:
        return Heading("subsector", normalize_text(m.group(2)), int(m.group(3)), m.group(1))
    return None


# --------------------------------------------------------------------------------------
# the appendix (项目库)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppendixItem:
    """One line of the appendix, classified but not interpreted.

    Attributes
    ----------
    kind
        ``"total"``, ``"sector"``, ``"subsector"`` (headings), ``"project"`` (first cell a
        sequence number), ``"subtotal"`` (first cell contains 小计), ``"numbers"`` (no label,
        only numbers), ``"label"`` (a line outside the table that contains 小计) or
        ``"other"`` (a table row that fits none of these).
    line
        1-based line number in the source text.
    cells
        The cells as written (for ``"label"``: the one line); padded to the ten appendix
        columns when a row is shorter.
    heading
        The parsed heading for heading rows.
    """

    kind: str
    line: int
    cells: tuple[str, ...]
    heading: Heading | None = None

    def cell(self, column: str) -> str:
        """The cell of one appendix column (see :data:`APPENDIX_COLUMNS`)."""
        i = APPENDIX_COLUMNS.index(column)
        return self.cells[i] if i < len(self.cells) else ""


def _is_separator(cells: Sequence[str]) -> bool:
    return all(re.fullmatch(r":?-*:?", c) for c in cells) and any("-" in c for c in cells)


def _is_header(cells: Sequence[str]) -> bool:
    first = cells[0] if cells else ""
    if first.startswith("序号"):
        return True
    return first == "" and any(("年产" in c or "年税收" in c) for c in cells)


def parse_appendix(lines: Sequence[str], *, start: int = 0) -> list[AppendixItem]:
    """Classify the appendix lines (table rows and 小计 labels outside the table).

    Parameters
    ----------
    lines
        The text's lines (without line ends).
    start
        0-based index of the first line of the appendix.

    Returns
    -------
    list of AppendixItem
        In text order. Column headers and separator rows are skipped.
    """
    items: list[AppendixItem] = []
    width = len(APPENDIX_COLUMNS)
    for i in range(start, len(lines)):
        raw = lines[i].strip()
        if not raw:
            continue
        lineno = i + 1
        if not raw.startswith("|"):
            if "小计" in raw or "合计" in raw:
                items.append(AppendixItem("label", lineno, (raw,)))
            continue
        cells = split_row(raw)
        if _is_separator(cells) or _is_header(cells):
            continue
        if len(cells) < width:
            cells = cells + ("",) * (width - len(cells))
        first = cells[0]
        heading = parse_heading(first)
        if heading is not None:
            items.append(AppendixItem(heading.level, lineno, cells, heading))
        elif re.fullmatch(r"\d+", first):
            items.append(AppendixItem("project", lineno, cells))
        elif "小计" in first or "合计" in first:
            items.append(AppendixItem("subtotal", lineno, cells))
        elif first == "" and any(parse_numbers(c) for c in cells[1:]):
            items.append(AppendixItem("numbers", lineno, cells))
        elif any(cells):
            items.append(AppendixItem("other", lineno, cells))
    return items


# --------------------------------------------------------------------------------------
# 专栏12 zones
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneEntry:
    """One zone paragraph of 专栏12, as written.

    Attributes
    ----------
    name_zh
        Zone name, wrap spaces removed (``九龙园A区``).
    level_zh
        The group it is listed under (``国家级经开区``, ``市级开发区``, ``中小企业集聚区``).
    land_km2
        The stated planned area (km²).
    land_label_zh
        How the area is labelled (``工业用地规划面积`` or ``规划面积``).
    focus_phrases
        The focus industries, split at ``、`` with 重点发展 / 等产业 removed.
    text
        The paragraph (normalized).
    line
        1-based line number.
    """

    name_zh: str
    level_zh: str
    land_km2: float
    land_label_zh: str
    focus_phrases: tuple[str, ...]
    text: str
    line: int


_ZONE_PARA = re.compile(
    r"^(?P<name>[^：:]+)[：:](?P<label>[^0-9]*?)(?P<area>\d+(?:\.\d+)?)\s*平方公里[，,]?(?P<rest>.*)$"
)


def _focus_phrases(rest: str) -> tuple[str, ...]:
    clause = re.split(r"[，,。；;]", rest.strip(), maxsplit=1)[0]
    clause = re.sub(r"^重点发展", "", clause)
    clause = re.sub(r"等?产业$", "", clause)
    return tuple(p.strip() for p in clause.split("、") if p.strip())


def _table_rows(lines: Sequence[str], first: int) -> Iterator[tuple[int, tuple[str, ...]]]:
    """(0-based line index, cells) of the first table at or after line index ``first``.

    Lines before the table are skipped; the table ends at the first non-empty line that is not
    a table row.
    """
    seen_table = False
    for i in range(first, len(lines)):
        s = lines[i].strip()
        if not s.startswith("|"):
            if seen_table and s:
                return
            continue
        seen_table = True
        yield i, split_row(s)


def _find_line(lines: Sequence[str], pattern: str, *, start: int = 0) -> int:
    rx = re.compile(pattern)
    for i in range(start, len(lines)):
        if rx.search(lines[i]):
            return i
    return -1


def parse_zones(lines: Sequence[str]) -> list[ZoneEntry]:
    """Parse the zone paragraphs of 专栏12 (万州区制造业空间布局).

    Raises
    ------
    PlanParseError
        When 专栏12 or its table is missing.
    """
    start = _find_line(lines, r"^\s*专栏\s*12\s")
    if start < 0:
        raise PlanParseError(
            "找不到“专栏 12 万州区制造业空间布局”：请确认输入文件是万州区制造业“十四五”规划全文。",
            "Cannot find '专栏 12' (spatial layout): check that the input is the full plan text.",
        )
    zones: list[ZoneEntry] = []
    for i, cells in _table_rows(lines, start + 1):
        if len(cells) < 2 or _is_separator(cells):
            continue
        level = normalize_text(re.sub(r"</?p>", " ", cells[0]))
        for para in re.findall(r"<p>(.*?)</p>", cells[1]):
            text = normalize_text(para)
            m = _ZONE_PARA.match(text)
            if not m:
                continue
            zones.append(
                ZoneEntry(
                    name_zh=normalize_text(m.group("name")),
                    level_zh=level,
                    land_km2=float(m.group("area")),
                    land_label_zh=m.group("label").strip(),
                    focus_phrases=_focus_phrases(m.group("rest")),
                    text=text,
                    line=i + 1,
                )
            )
    if not zones:
        raise PlanParseError(
            "专栏12 中没有找到园区段落（“名称：……规划面积 X 平方公里……”）。",
            "No zone paragraphs ('name: ... area X 平方公里 ...') found in 专栏12.",
        )
    return zones


# --------------------------------------------------------------------------------------
# 专栏1 indicators
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRow:
    """One data row of 专栏1, cells as written (category filled down from the row above)."""

    category_zh: str
    seq: int
    name_zh: str
    attribute_zh: str
    v2020: str
    v2023: str
    v2025: str
    growth: str
    line: int


def parse_indicators(lines: Sequence[str]) -> list[IndicatorRow]:
    """Parse the indicator table of 专栏1.

    Raises
    ------
    PlanParseError
        When 专栏1 or its rows are missing.
    """
    start = _find_line(lines, r"^\s*专栏\s*1\s")
    rows: list[IndicatorRow] = []
    category = ""
    for i, cells in _table_rows(lines, start + 1 if start >= 0 else len(lines)):
        if len(cells) < 7 or _is_separator(cells) or not re.fullmatch(r"\d+", cells[1]):
            continue
        if cells[0]:
            category = normalize_text(cells[0])
        rows.append(
            IndicatorRow(
                category_zh=category,
                seq=int(cells[1]),
                name_zh=normalize_text(cells[2]),
                attribute_zh=cells[3],
                v2020=cells[4],
                v2023=cells[5],
                v2025=cells[6],
                growth=cells[7] if len(cells) > 7 else "",
                line=i + 1,
            )
        )
    if not rows:
        raise PlanParseError(
            "找不到“专栏 1 指标表”或其中没有数据行。",
            "Cannot find the indicator table '专栏 1' or it has no data rows.",
        )
    return rows


# --------------------------------------------------------------------------------------
# the whole document
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedPlan:
    """The plan's tables and statements, as written.

    Attributes
    ----------
    lines
        The text's lines.
    zones, indicators, appendix, targets
        See :func:`parse_zones`, :func:`parse_indicators`, :func:`parse_appendix`,
        :func:`parse_targets`.
    sections
        For each line, the section it is in.
    """

    lines: tuple[str, ...]
    zones: tuple[ZoneEntry, ...]
    indicators: tuple[IndicatorRow, ...]
    appendix: tuple[AppendixItem, ...]
    targets: tuple[TargetStatement, ...]
    sections: tuple[str, ...] = field(default=(), repr=False)


def parse_plan(text: str) -> ParsedPlan:
    """Parse the whole plan text.

    Parameters
    ----------
    text
        The plan as text (UTF-8 decoded).

    Returns
    -------
    ParsedPlan

    Raises
    ------
    PlanParseError
        When a part the project needs (专栏1, 专栏12, the appendix) is missing.
    """
    lines = tuple(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    start = _find_line(lines, r"^\s*附件[：:]")
    if start < 0:
        raise PlanParseError(
            "找不到附件“重点产业项目库”（以“附件：”开头的行）：请确认输入文件是规划全文。",
            "Cannot find the appendix (a line starting with '附件：', the project library): "
            "check that the input is the full plan text.",
        )
    appendix = parse_appendix(lines, start=start + 1)
    if not any(it.kind == "project" for it in appendix):
        raise PlanParseError(
            "附件中没有找到项目行（第一列为序号的表格行）。",
            "No project rows (table rows whose first cell is a number) found in the appendix.",
        )
    return ParsedPlan(
        lines=lines,
        zones=tuple(parse_zones(lines)),
        indicators=tuple(parse_indicators(lines)),
        appendix=tuple(appendix),
        targets=tuple(parse_targets(lines[:start])),
        sections=tuple(line_sections(lines)),
    )
