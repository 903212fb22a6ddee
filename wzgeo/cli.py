"""The ``wzgeo`` command line.

Each group of commands lives in ``wzgeo/commands/<group>.py`` and exposes
``register(subparsers)``; each command sets ``func(args) -> int``. Errors a user can cause
(:class:`wzgeo.WzgeoError`, unreadable files) print a bilingual message and exit with code 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from wzgeo._errors import WzgeoError

__all__ = ["build_parser", "main"]

_COMMAND_GROUPS = (
    "wzgeo.commands.data",
    "wzgeo.commands.geodata",
    "wzgeo.commands.plots",
    "wzgeo.commands.analysis",
    "wzgeo.commands.maps",
    "wzgeo.commands.store",
)

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every command group registered."""
    parser = argparse.ArgumentParser(
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
    except WzgeoError as e:
        print(f"错误 / Error:\n{e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except FileNotFoundError as e:
        print(
            f"错误 / Error:\n找不到文件：{e.filename}，请检查路径。\n"
            f"File not found: {e.filename}; check the path.",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except (PermissionError, IsADirectoryError) as e:
        print(
            f"错误 / Error:\n无法读写文件：{e.filename}（{e.strerror}）。\n"
            f"Cannot read or write {e.filename} ({e.strerror}).",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
