"""The report document model shared by the report builders and the writers (PDF, DOCX, HTML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Block", "PlotReport"]


@dataclass(frozen=True)
class Block:
    """One piece of a report.

    Attributes
    ----------
    kind
        ``"heading"``, ``"answer"`` (bold paragraph), ``"para"``, ``"note"`` (small),
        ``"table"``, ``"image"`` or ``"signature"``.
    text
        The text (headings, paragraphs, the image caption).
    header, rows
        A table's header and rows (all strings).
    image
        PNG bytes of an image.
    """

    kind: str
    text: str = ""
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    image: bytes = b""


@dataclass(frozen=True)
class PlotReport:
    """A plot-check report in one language.

    Attributes
    ----------
    lang
        ``"zh"`` or ``"en"``.
    title
        The document title.
    blocks
        The content, in order.
    json
        The JSON report the numbers come from (``PlotCheck.to_dict()`` plus the file's facts).
    labels
        The template's texts (signature labels, footer).
    """

    lang: str
    title: str
    blocks: tuple[Block, ...]
    json: dict[str, Any]
    labels: dict[str, str] = field(default_factory=dict)
