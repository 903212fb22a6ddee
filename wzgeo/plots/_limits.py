"""How much an untrusted plot file may make the reader do, and the counters that enforce it.

A plot file comes from anyone who can reach the app's upload. Its size in bytes says little
about the work it causes (a 1.5 MB spreadsheet can hold a 1.5 GB string; a small zip can
hold a million squares), so the reader counts what matters while it reads, and stops at the
first count over its limit with a bilingual message saying which limit and how to fix the
file:

- plots (features), vertices, table cells and columns, nesting depth of JSON;
- zip archives (zipped Shapefile, KMZ, XLSX): members, expanded size, compression ratio;
- the reading process itself (:mod:`wzgeo.plots._isolate`): memory, CPU time and wall-clock
  time, so that whatever the counts miss still cannot hurt the server.

The limits are read when :func:`wzgeo.plots.io.read_plots` is called, from this module's
constants (and :mod:`wzgeo.plots._safezip`'s zip limits), with the process limits overridable by the
environment variables below, so an installation can tune them without code.

=========================  =======================================  =========
environment variable       limit                                    default
=========================  =======================================  =========
``WZGEO_PARSE_MEMORY_MB``  memory a reading process may add (MB)    1024
``WZGEO_PARSE_CPU_S``      CPU seconds per file                     60
``WZGEO_PARSE_WALL_S``     seconds per file, waiting included       90
``WZGEO_PARSE_WORKERS``    files read at the same time (per server) 2
=========================  =======================================  =========
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass

from wzgeo.errors import InputFileError

__all__ = [
    "MAX_COLUMNS",
    "MAX_JSON_DEPTH",
    "MAX_PLOTS",
    "MAX_TABLE_CELLS",
    "MAX_VERTICES",
    "MAX_ZIP_MEMBERS",
    "PARSE_CPU_S",
    "PARSE_MEMORY_MB",
    "PARSE_WALL_S",
    "PARSE_WORKERS",
    "Counter",
    "Limits",
    "current_limits",
    "short_list",
]

logger = logging.getLogger(__name__)

MAX_PLOTS = 20_000
"""Most plots (features) one file may hold."""
MAX_VERTICES = 2_000_000
"""Most boundary points (vertices) of all plots of one file together."""
MAX_TABLE_CELLS = 500_000
"""Most cells a CSV or Excel point table may hold (empty cells of Excel rows included).

20,000 plots of five points in four columns; an Excel file this size takes about 10 s."""
MAX_COLUMNS = 500
"""Most columns a CSV or Excel point table may have."""
MAX_ZIP_MEMBERS = 1_000
"""Most files a zip archive (zipped Shapefile, KMZ, XLSX) may hold."""
MAX_JSON_DEPTH = 64
"""Deepest nesting of ``[`` and ``{`` a GeoJSON file may have (real files need under 10)."""
PARSE_MEMORY_MB = 1024
"""Memory (MB) the process reading one file may add to what it starts with."""
PARSE_CPU_S = 60.0
"""CPU seconds the process reading one file may use."""
PARSE_WALL_S = 90.0
"""Seconds one file may take, from the request to the answer (waiting for a turn included)."""
PARSE_WORKERS = 2
"""Files read at the same time in one server process; more wait for a turn."""


@dataclass(frozen=True)
class Limits:
    """The limits one call of :func:`wzgeo.plots.io.read_plots` runs under.

    Built in the calling process by :func:`current_limits` and handed to the reading
    process, so a change of the constants (or of the environment) applies to the next file.
    """

    max_plots: int = MAX_PLOTS
    max_vertices: int = MAX_VERTICES
    max_cells: int = MAX_TABLE_CELLS
    max_columns: int = MAX_COLUMNS
    max_zip_members: int = MAX_ZIP_MEMBERS
    max_zip_bytes: int = 200_000_000
    max_zip_ratio: float = 100.0
    max_json_depth: int = MAX_JSON_DEPTH
    memory_mb: float = PARSE_MEMORY_MB
    cpu_s: float = PARSE_CPU_S
    wall_s: float = PARSE_WALL_S
    workers: int = PARSE_WORKERS


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        logger.warning("ignoring %s=%r: not a positive number; using %s", name, text, default)
        return default
    return value


def current_limits(*, max_zip_bytes: int, max_zip_ratio: float) -> Limits:
    """The limits as configured now (module constants, environment overrides).

    Parameters
    ----------
    max_zip_bytes, max_zip_ratio
        The zip limits (kept in :mod:`wzgeo.plots._safezip`, which is below this module).
    """
    return Limits(
        max_plots=MAX_PLOTS,
        max_vertices=MAX_VERTICES,
        max_cells=MAX_TABLE_CELLS,
        max_columns=MAX_COLUMNS,
        max_zip_members=MAX_ZIP_MEMBERS,
        max_zip_bytes=max_zip_bytes,
        max_zip_ratio=max_zip_ratio,
        max_json_depth=MAX_JSON_DEPTH,
        memory_mb=_env_number("WZGEO_PARSE_MEMORY_MB", PARSE_MEMORY_MB),
        cpu_s=_env_number("WZGEO_PARSE_CPU_S", PARSE_CPU_S),
        wall_s=_env_number("WZGEO_PARSE_WALL_S", PARSE_WALL_S),
        workers=max(1, int(_env_number("WZGEO_PARSE_WORKERS", PARSE_WORKERS))),
    )


_SPLIT_HINT_ZH = "请只导出需要检查的地块，或把文件拆分后分别上传。"
_SPLIT_HINT_EN = "Export only the plots to check, or split the file and upload the parts."


class Counter:
    """Counts plots, vertices and table cells as a parser reads them.

    Parameters
    ----------
    name
        The file name used in messages.
    limits
        The limits to hold.
    """

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.plots = 0
        self.vertices = 0
        self.cells = 0

    def _err(self, zh: str, en: str) -> InputFileError:
        return InputFileError(
            f"文件 {self.name}：{zh}{_SPLIT_HINT_ZH}", f"File {self.name}: {en} {_SPLIT_HINT_EN}"
        )

    def add_plots(self, n: int = 1) -> None:
        """Count ``n`` more plots; refuse the file past :attr:`Limits.max_plots`."""
        self.plots += n
        if self.plots > self.limits.max_plots:
            lim = self.limits.max_plots
            raise self._err(
                f"地块超过 {lim:,} 个（读到第 {self.plots:,} 个时停止），超出一次导入的上限。",
                f"it holds more than {lim:,} plots (reading stopped at plot {self.plots:,}), "
                "over the limit for one import.",
            )

    def add_vertices(self, n: int) -> None:
        """Count ``n`` more boundary points; refuse the file past :attr:`Limits.max_vertices`."""
        self.vertices += n
        if self.vertices > self.limits.max_vertices:
            lim = self.limits.max_vertices
            raise self._err(
                f"边界点超过 {lim:,} 个（读到 {self.vertices:,} 个时停止），超出一次导入的上限。",
                f"its boundaries have more than {lim:,} points (reading stopped at "
                f"{self.vertices:,}), over the limit for one import.",
            )

    def add_cells(self, n: int) -> None:
        """Count ``n`` more table cells; refuse the table past :attr:`Limits.max_cells`."""
        self.cells += n
        if self.cells > self.limits.max_cells:
            lim = self.limits.max_cells
            raise self._err(
                f"表格超过 {lim:,} 个单元格（读到 {self.cells:,} 个时停止），超出一次导入的上限。"
                "坐标表只需要 地块编号、点号、X、Y 等几列。",
                f"the table has more than {lim:,} cells (reading stopped at {self.cells:,}), "
                "over the limit for one import. A point table needs only a few columns "
                "(plot id, point, X, Y).",
            )

    def check_columns(self, n: int) -> None:
        """Refuse a table with more than :attr:`Limits.max_columns` columns."""
        lim = self.limits.max_columns
        if n > lim:
            raise self._err(
                f"表格有 {n:,} 列，超过上限 {lim:,} 列。坐标表只需要 地块编号、点号、X、Y 等几列。",
                f"the table has {n:,} columns, over the limit of {lim:,}. A point table needs "
                "only a few columns (plot id, point, X, Y).",
            )


def short_list(items: Iterable[object], *, limit: int = 10, sep: str = ", ") -> tuple[str, str]:
    """``items`` joined for a message, at most ``limit`` of them and the count of the rest.

    Returns
    -------
    zh, en : str
        E.g. ``"a, b, c 等共 200,000 个"`` and ``"a, b, c and 199,997 more"``.
    """
    shown: list[str] = []
    total = 0
    for item in items:
        if total < limit:
            text = str(item)
            shown.append(text if len(text) <= 80 else text[:77] + "...")
        total += 1
    joined = sep.join(shown)
    if total <= limit:
        return joined, joined
    return f"{joined} 等共 {total:,} 个", f"{joined} and {total - limit:,} more"
