"""Helpers shared by the ``wzgeo`` command modules (private to :mod:`wzgeo.commands`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from wzgeo._errors import WzgeoError

__all__ = ["print_json", "require_known"]


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
