"""Helpers shared by the ``wzgeo`` command modules (private to :mod:`wzgeo.commands`)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from typing import Any

from wzgeo._errors import WzgeoError

__all__ = ["add_store_arguments", "print_json", "require_known"]


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

    Parameters
    ----------
    obj
        Anything :func:`json.dumps` takes.
    indent
        Indentation of the output.
    default
        As for :func:`json.dumps`: turns values JSON does not know into ones it does.
    """
    print(json.dumps(obj, ensure_ascii=False, indent=indent, default=default))


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--store PATH`` and ``--no-store`` to an analysis command.

    By default analyses read the shipped data with the saved work overlaid
    (:func:`wzgeo.workspace.load_workspace`): the default store if it exists, or ``--store``.
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
