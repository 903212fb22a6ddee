"""Helpers shared by the ``wzgeo`` command modules (private to :mod:`wzgeo.cli`)."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from wzgeo.errors import WzgeoError

__all__ = [
    "DATUM_IDS",
    "OutputFileError",
    "add_datum_argument",
    "add_overwrite_argument",
    "add_store_arguments",
    "atomic_folder",
    "atomic_output",
    "check_output_name",
    "check_output_path",
    "positive_number",
    "print_json",
    "require_existing_store",
    "require_known",
    "stored_int",
    "terminal_text",
]

#: characters a terminal may obey instead of showing: C0 and C1 controls, DEL, bidi overrides
_TERMINAL_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_TERMINAL_UNSAFE_KEEP_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` safe to print on a terminal: control characters shown as ``\\x1b`` etc.

    Text from users and files (names, reasons, ids) may hold escape sequences that a
    terminal would obey (move the cursor, rewrite earlier lines, change the title);
    printed through this function they are shown, not obeyed.

    Parameters
    ----------
    text
        Anything; ``str()`` is taken.
    keep_newlines
        Keep line breaks (for multi-line messages); tabs are escaped either way.
    """
    pattern = _TERMINAL_UNSAFE_KEEP_LINES if keep_newlines else _TERMINAL_UNSAFE
    return pattern.sub(_escape_char, str(text))


class OutputFileError(WzgeoError):
    """An output file cannot be written where the user asked (the CLI exits with code 2)."""


DATUM_IDS = ("wgs84", "gcj02", "bd09")
"""``--datum`` choices (the ids :func:`wzgeo.plots.io.read_plots` takes)."""


def _datum_id(value: str) -> str:
    """``GCJ-02``, ``gcj_02``, ``GCJ02`` … → ``gcj02`` (argparse then checks the choice)."""
    return "".join(ch for ch in value.lower() if ch.isalnum())


def add_datum_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--datum {wgs84,gcj02,bd09}``: lon/lat shifted by Gaode/Tencent or Baidu maps."""
    parser.add_argument(
        "--datum",
        type=_datum_id,
        choices=DATUM_IDS,
        default="wgs84",
        help="经纬度来源：wgs84（默认，GPS/天地图）、gcj02（高德/腾讯地图）、bd09（百度地图）；"
        "偏移坐标会转回 WGS84 / where the lon/lat come from: wgs84 (default, GPS/Tianditu), "
        "gcj02 (Gaode/Tencent maps), bd09 (Baidu maps); shifted ones are converted back "
        "(GCJ-02, BD-09 also accepted)",
    )


def require_known(value: str | None, known: Iterable[str], *, what_zh: str, what_en: str) -> None:
    """Refuse an id given on the command line that is not one of ``known``.

    Parameters
    ----------
    value
        The id given (None or ``""``: nothing given, nothing to check).
    known
        The valid ids, listed in the message in this order.
    what_zh, what_en
        What the id names (``"园区"``, ``"zone"``), for the message.

    Raises
    ------
    WzgeoError
        Showing the value and the valid ids (the CLI exits with code 2).
    """
    if not value:
        return
    ids = [str(k) for k in known]
    if value not in set(ids):
        raise WzgeoError(
            f"未知的{what_zh} {value!r}，可用：{', '.join(ids)}。",
            f"Unknown {what_en} {value!r}; known: {', '.join(ids)}.",
        )


def print_json(obj: Any, *, indent: int = 2, default: Callable[[Any], Any] | None = None) -> None:
    """Print ``obj`` as JSON on standard output, Chinese text kept readable (not ``\\u`` escaped).

    NaN and infinite numbers are written as ``null``, so the output is strict JSON. On a
    console that cannot show every character (e.g. GBK), non-ASCII text is ``\\u`` escaped
    so the JSON stays exact.

    Parameters
    ----------
    obj
        Anything :func:`json.dumps` takes.
    indent
        Indentation of the output.
    default
        As for :func:`json.dumps`: turns values JSON does not know into ones it does.
    """
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    text = json.dumps(
        _finite(obj),
        ensure_ascii=encoding not in ("utf8", "utf16", "utf32", "gb18030"),
        indent=indent,
        default=default,
        allow_nan=False,
    )
    # JSON escapes C0 controls itself; C1 controls (U+0080–U+009F) and bidi overrides
    # would reach the terminal raw: escape them the JSON way
    print(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def _finite(obj: Any) -> Any:
    """``obj`` with NaN and infinite floats as ``None`` (``NaN`` is not valid JSON)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--store PATH`` and ``--no-store`` to an analysis command.

    By default analyses read the shipped data with the saved work overlaid
    (:func:`wzgeo.store.workspace.load_workspace`): the default store if it exists, or ``--store``.
    """
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--store",
        default=None,
        metavar="PATH",
        help="保存的工作文件（默认：WZGEO_STORE 或用户数据目录）/ saved-work store to overlay",
    )
    group.add_argument(
        "--no-store",
        action="store_true",
        help="只用随附数据，不叠加保存的工作 / shipped data only, without the saved work",
    )


def add_overwrite_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--overwrite``: replace an existing output file (refused without it)."""
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="输出文件已存在时覆盖（默认拒绝，以免丢失数据）/ replace an existing output file "
        "(refused by default so no data is lost)",
    )


_NAME_BAD_CHARS = frozenset(';|?*"<>')


def check_output_name(out: Path) -> None:
    """Refuse an output path that GDAL or a file system could take for something else.

    GDAL cuts file names at ``;`` and reads ``|``, ``?``, ``*`` and paths starting with
    ``/vsi`` as options or virtual files: ``--out 'dir/keep;v2.geojson'`` once wrote the
    hidden file ``dir/.keep``. Such characters (and control characters, ``"``, ``<``,
    ``>``, which Windows forbids) are refused in the file name before anything is written.

    Raises
    ------
    OutputFileError
        Naming the characters found and the fix.
    """
    name = out.name
    bad = sorted({c for c in name if c in _NAME_BAD_CHARS or ord(c) < 32 or ord(c) == 127})
    if bad or str(out).lower().startswith("/vsi") or not name.strip(" ."):
        shown = " ".join(repr(c) for c in bad) or repr(str(out)[:40])
        raise OutputFileError(
            f"输出文件名 {str(out)[:200]!r} 含有不能用于文件名的字符或前缀（{shown}）；"
            "请只用文字、数字、空格和 - _ . ( ) 等字符重新命名。",
            f"The output name {str(out)[:200]!r} contains characters or a prefix that cannot "
            f"be used in a file name ({shown}); use letters, digits, spaces and - _ . ( ) "
            "instead.",
        )


def check_output_path(
    out: Path, *, overwrite: bool, inputs: Iterable[Path | None] = (), flag: str = "--overwrite"
) -> None:
    """Refuse an output path that cannot or should not be written, before any work is done.

    Parameters
    ----------
    out
        The file the command will write.
    overwrite
        Whether an existing file may be replaced.
    inputs
        The command's input files: the output may never be one of them.
    flag
        The option that allows overwriting (named in the message).

    Raises
    ------
    OutputFileError
        ``out`` has a name that cannot be used (:func:`check_output_name`), is a folder, its
        folder is missing, not a folder or not writable, it is one of the inputs, or it
        exists and ``overwrite`` is false.
    """
    check_output_name(out)
    if out.is_dir():
        raise OutputFileError(
            f"输出位置 {out} 是一个文件夹；请给出其中的一个文件名。",
            f"The output {out} is a folder; give a file name inside it instead.",
        )
    parent = out.parent
    if not parent.is_dir():
        raise OutputFileError(
            f"输出文件夹 {parent} 不存在（或不是文件夹）；请先创建它，或换一个输出位置。",
            f"The output folder {parent} does not exist (or is not a folder); "
            "create it first or choose another output path.",
        )
    try:  # fail before any work when the folder cannot take a new file
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as e:
        raise _write_error(out, e) from e
    for src in inputs:
        if src is not None and out.exists() and src.exists() and out.samefile(src):
            raise OutputFileError(
                f"输出文件 {out} 就是输入文件；覆盖会丢失原始数据。请换一个输出文件名。",
                f"The output {out} is the input file; writing it would destroy the original "
                "data. Choose another output name.",
            )
    if out.exists() and not overwrite:
        raise OutputFileError(
            f"输出文件 {out} 已存在，未改动。请换一个文件名，或加 {flag} 覆盖它。",
            f"The output {out} already exists and was left unchanged. Choose another name, "
            f"or add {flag} to replace it.",
        )


@contextlib.contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``out``; on success move it onto ``out`` atomically.

    The temporary file keeps ``out``'s suffix (writers pick their format by it) and lives in
    the same folder, so :func:`os.replace` is atomic: an interrupted or failed run leaves
    ``out`` as it was (absent or the old file), never half written.

    Raises
    ------
    OutputFileError
        A name that cannot be used (:func:`check_output_name`), the folder is not writable,
        or the writer failed with an operating-system error.
    """
    check_output_name(out)
    try:
        fd, name = tempfile.mkstemp(
            prefix=f".{out.stem[:40]}.", suffix=f".part{out.suffix}", dir=out.parent
        )
    except OSError as e:
        raise _write_error(out, e) from e
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # some writers (GPKG) refuse to write over an existing empty file
    try:
        yield tmp
        os.replace(tmp, out)
    except OSError as e:
        raise _write_error(out, e) from e
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _write_error(out: Path, e: OSError) -> OutputFileError:
    reason = e.strerror or str(e)
    return OutputFileError(
        f"无法写出 {out}（{reason}）。请确认文件夹存在且可写、磁盘未满，或换一个输出位置。",
        f"Cannot write {out} ({reason}). Check that the folder exists and is writable and "
        "the disk is not full, or choose another output path.",
    )


def require_existing_store(path: Path | str | None) -> None:
    """Refuse a ``--store`` path given for reading that does not exist.

    Commands that only read the store (history, store export, store check) must not create
    an empty store at a mistyped path and report "no changes".

    Raises
    ------
    WzgeoError
        ``path`` is given and is not an existing file.
    """
    if path is None:
        return
    from wzgeo.store.core import PgLocation, is_database_uri

    if is_database_uri(path):
        location = PgLocation(str(path))
        if not location.exists():
            raise WzgeoError(
                f"数据库 {location} 不可用或其中没有 wzgeo 存储。请检查地址和 PGPASSFILE。",
                f"the database {location} is not reachable or holds no wzgeo store. Check the "
                "URI and PGPASSFILE.",
            )
        return
    p = Path(path)
    if not p.is_file():
        raise WzgeoError(
            f"找不到保存的工作文件 {p}（{'是文件夹' if p.is_dir() else '不存在'}）。"
            "请检查路径，或不加 --store 使用默认位置。",
            f"No saved-work store at {p} ({'a folder' if p.is_dir() else 'no such file'}). "
            "Check the path, or leave out --store to use the default location.",
        )


@contextlib.contextmanager
def atomic_folder(out: Path) -> Iterator[Path]:
    """Yield a temporary folder inside ``out``; on success move every file in it into ``out``.

    For commands that write several files with a library function taking a folder: each
    file is written completely before :func:`os.replace` puts it in place (same file system,
    so atomic), and an interrupted run leaves the old files as they were.

    Raises
    ------
    OutputFileError
        ``out`` cannot be created or written.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
        tmp_dir = tempfile.TemporaryDirectory(prefix=".wzgeo-build-", dir=out)
    except OSError as e:
        raise _write_error(out, e) from e
    with tmp_dir as name:
        tmp = Path(name)
        yield tmp
        try:
            for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
                target = out / path.relative_to(tmp)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
        except OSError as e:
            raise _write_error(out, e) from e


def positive_number(text: str) -> float:
    """An argparse ``type``: a finite number > 0 (argparse reports a bad value, exit 2)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"需要大于 0 的有限数字 / a finite number > 0 is needed, got {text!r}"
        )
    return value


_INT64_MAX = 2**63 - 1


def stored_int(text: str) -> int:
    """An argparse ``type``: a whole number ≥ 0 that fits the store's 64-bit integers.

    ``int`` alone accepts ``999…9`` of any length, which SQLite then refuses with an
    ``OverflowError`` traceback; argparse reports this one as a bad value (exit 2).
    """
    value = text.strip()
    if not value.isdigit() or len(value) > 19 or int(value) > _INT64_MAX:
        raise argparse.ArgumentTypeError(
            f"无效的值 {text[:40]!r}，需要 0 到 {_INT64_MAX} 之间的整数 / invalid value "
            f"{text[:40]!r}: a whole number from 0 to {_INT64_MAX} is needed"
        )
    return int(value)
