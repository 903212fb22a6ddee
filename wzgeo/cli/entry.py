"""The ``wzgeo`` command line.

Each group of commands lives in ``wzgeo/cli/<group>.py`` and exposes
``register(subparsers)``; each command sets ``func(args) -> int``. Errors a user can cause
(:class:`wzgeo.WzgeoError`, unreadable files) print a bilingual message and exit with code 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from wzgeo.cli._common import terminal_text
from wzgeo.errors import WzgeoError

__all__ = ["build_parser", "main"]

_COMMAND_GROUPS = (
    "wzgeo.cli.data",
    "wzgeo.cli.geodata",
    "wzgeo.cli.plots",
    "wzgeo.cli.analysis",
    "wzgeo.cli.maps",
    "wzgeo.cli.store",
    "wzgeo.cli.layers",
)

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
_EPILOG = (
    "退出码：0 成功，1 检查发现不一致（build-geodata --check、store check），2 输入有误"
    "（附中英文说明），130 被中断（不留半个输出文件）。 / Exit codes: 0 ok, 1 a check found "
    "differences (build-geodata --check, store check), 2 bad input (with a message), "
    "130 interrupted (no half-written output is left)."
)


class _Parser(argparse.ArgumentParser):
    """An argument parser with bilingual ``-h`` and usage errors (exit code 2, no traceback)."""

    def __init__(self, prog: str | None = None, *, add_help: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("epilog", _EPILOG)
        super().__init__(prog, add_help=False, **kwargs)
        if add_help:
            self.add_argument(
                "-h", "--help", action="help", help="显示帮助并退出 / show this help and exit"
            )

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(
            EXIT_BAD_INPUT,
            f"错误 / Error:\n命令行参数有误：{message}。请用 {self.prog} --help 查看用法。\n"
            f"Bad command line: {message}. See {self.prog} --help.\n",
        )


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every command group registered."""
    parser = _Parser(
        prog="wzgeo",
        description="万州区产业园区与用地分析工具 / Wanzhou industrial zone and land-use explorer",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress / 输出过程日志")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_GROUPS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the process exit code."""
    _tolerant_stdout()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return EXIT_OK
    try:
        return int(func(args))
    except BrokenPipeError:
        # the reader went away (``wzgeo summary | head``): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print(
            "\n已中断 / Interrupted: 输出文件只在完成后才写入，未完成的输出已丢弃。\n"
            "Output files are only put in place when complete; the partial output was discarded.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except Exception as e:
        error = _user_error(e)
        if error is None:
            raise  # a bug, not bad input: keep the traceback
        print(f"错误 / Error:\n{terminal_text(error, keep_newlines=True)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _tolerant_stdout() -> None:
    """Show characters the console cannot encode (e.g. ``²`` on a GBK console) as ``?``.

    Without this, printing a result on such a console ends in a ``UnicodeEncodeError``
    traceback after the work is done. (Standard error already uses ``backslashreplace``;
    JSON output is ASCII-escaped on such consoles, see :func:`print_json`.)
    """
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None and (sys.stdout.encoding or "").lower().replace("-", "") != "utf8":
        reconfigure(errors="replace")


def _user_error(e: Exception) -> WzgeoError | None:
    """The bilingual error for an exception a user's input can cause, else ``None``."""
    if isinstance(e, WzgeoError):
        return e
    if isinstance(e, FileNotFoundError):
        name = e.filename or e
        return WzgeoError(
            f"找不到文件或文件夹：{name}，请检查路径。",
            f"File or folder not found: {name}; check the path.",
        )
    if isinstance(e, OSError):
        name = e.filename or "?"
        return WzgeoError(
            f"无法读写文件：{name}（{e.strerror or e}）。请检查路径、权限和磁盘空间。",
            f"Cannot read or write {name} ({e.strerror or e}). Check the path, the "
            "permissions and the free disk space.",
        )
    if isinstance(e, UnicodeDecodeError):
        return WzgeoError(
            f"文件编码无法识别（{e.reason}，第 {e.start} 字节）。请另存为 UTF-8 编码后重试。",
            f"The file's text encoding is not understood ({e.reason} at byte {e.start}). "
            "Save it as UTF-8 and try again.",
        )
    import pandas as pd
    import pyogrio.errors
    import pyproj.exceptions

    if isinstance(e, pyproj.exceptions.CRSError):
        return WzgeoError(
            f"无法识别坐标系（{e}）。请填写 EPSG 代码，例如 4545、4524 或 4326。",
            f"Unknown CRS ({e}). Give an EPSG code, e.g. 4545, 4524 or 4326.",
        )
    if isinstance(e, pyogrio.errors.DataSourceError | pyogrio.errors.DataLayerError):
        return WzgeoError(
            f"无法读写地理数据文件（{e}）。请检查路径、格式和权限。",
            f"Cannot read or write the GIS file ({e}). Check the path, the format and the "
            "permissions.",
        )
    if isinstance(e, pd.errors.EmptyDataError | pd.errors.ParserError):
        return WzgeoError(
            f"表格文件为空或格式错误（{e}）。请提供带表头的 CSV 文件。",
            f"The table file is empty or malformed ({e}). Give a CSV file with a header row.",
        )
    return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
