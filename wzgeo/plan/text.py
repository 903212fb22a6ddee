"""Cell-level reading of the plan text: wrap spaces, table rows, numbers, years, land.

The plan reached us as a PDF converted to text with Markdown-style tables; these helpers read
single lines and cells *as written* and are used by :mod:`wzgeo.plan.parse` and
:mod:`wzgeo.plan.targets` (and the repairs, which re-read cells).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wzgeo.errors import WzgeoError

__all__ = [
    "CN_NUMERALS",
    "LandValue",
    "PlanParseError",
    "normalize_text",
    "parse_land",
    "parse_numbers",
    "parse_year_ranges",
    "split_row",
]

#: Chinese numerals used in chapter and section numbers (一、, （三）).
CN_NUMERALS = "一二三四五六七八九十"
_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_WS_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
_YEAR_RANGE = re.compile(r"((?:19|20)\d\d)\s*[-–—~至]\s*((?:19|20)\d\d)")
_LAND_MU = re.compile(r"(\d+(?:\.\d+)?)\s*亩")
_LAND_M2 = re.compile(r"(\d+(?:\.\d+)?)\s*(?:m\s*(?:²|2|\^2)|平方米)")
_ZERO = re.compile(r"^0+(?:\.0+)?$")


class PlanParseError(WzgeoError):
    """The text is not the plan, or a part the parser needs is missing."""


# --------------------------------------------------------------------------------------
# cell-level helpers
# --------------------------------------------------------------------------------------


def normalize_text(text: str) -> str:
    """Remove whitespace that PDF line wrapping put next to Chinese characters.

    Whitespace between two non-Chinese tokens (``Mini LED``) is kept, collapsed to one space.

    Parameters
    ----------
    text
        A cell as written.

    Returns
    -------
    str
        The cell without wrap spaces.
    """
    out = _WS_NEAR_CJK.sub("", text.strip())
    return re.sub(r"\s+", " ", out)


def split_row(line: str) -> tuple[str, ...]:
    """Split one Markdown table line into stripped cells (outer pipes removed).

    Parameters
    ----------
    line
        A line starting with ``|``.

    Returns
    -------
    tuple of str
        The cells, whitespace-stripped, as written otherwise.
    """
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return tuple(c.strip() for c in s.split("|"))


def parse_numbers(cell: str) -> list[float]:
    """All decimal numbers in a cell, in order (``"1.60 12.00"`` → ``[1.6, 12.0]``)."""
    return [float(m.group(0)) for m in _NUMBER.finditer(cell)]


def parse_year_ranges(cell: str) -> list[tuple[int, int]]:
    """All ``YYYY-YYYY`` ranges in a cell, in order."""
    return [(int(a), int(b)) for a, b in _YEAR_RANGE.findall(cell)]


@dataclass(frozen=True)
class LandValue:
    """One land-need token of the appendix.

    Attributes
    ----------
    kind
        ``"mu"`` (land, 亩), ``"m2"`` (standard-factory floor area, m²) or ``"existing"``
        (the cell says ``0``: the project uses land or buildings it already has).
    value
        The number (0 for ``"existing"``).
    raw
        The token as written.
    """

    kind: str
    value: float
    raw: str


def parse_land(cell: str) -> list[LandValue]:
    """Parse a land cell: ``150亩``, ``50000m²``, ``16000m ²``, ``0`` or several of them.

    Parameters
    ----------
    cell
        The cell as written.

    Returns
    -------
    list of LandValue
        One entry per token, in order; empty if the cell is empty or not understood.
    """
    s = cell.strip()
    if not s:
        return []
    if _ZERO.match(s):
        return [LandValue("existing", 0.0, s)]
    found: list[tuple[int, LandValue]] = []
    for m in _LAND_MU.finditer(s):
        found.append((m.start(), LandValue("mu", float(m.group(1)), m.group(0))))
    for m in _LAND_M2.finditer(s):
        found.append((m.start(), LandValue("m2", float(m.group(1)), m.group(0))))
    if not found:
        # a bare list of zeros, e.g. a merged "0 0"
        parts = s.split()
        if parts and all(_ZERO.match(p) for p in parts):
            return [LandValue("existing", 0.0, p) for p in parts]
        return []
    return [v for _, v in sorted(found, key=lambda t: t[0])]
