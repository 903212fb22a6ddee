"""How well a project name and a content text agree.

Used to find contents that the PDF conversion moved away from their names
(:mod:`wzgeo.plan.repairs`): a content shares words with its own name, rarely with a neighbour's.
"""

from __future__ import annotations

import re

from wzgeo.plan.text import normalize_text

__all__ = ["content_similarity"]

#: Generic words that say nothing about what a project makes.
_STOP: tuple[str, ...] = (
    "产业园",
    "生产线",
    "项目",
    "建设",
    "生产",
    "年产",
    "产品",
    "基地",
    "万州",
    "制造",
    "产业",
    "加工",
    "设备",
    "车间",
    "技术",
    "新建",
    "建成",
    "形成",
    "能力",
    "系列",
    "主要",
)
_QUANTITY = re.compile(r"\d+(?:\.\d+)?\s*(?:[万亿千百])?\s*[吨套台辆件只条张块个]?")


def _tokens(text: str) -> set[str]:
    t = _QUANTITY.sub(" ", normalize_text(text))
    for w in _STOP:
        t = t.replace(w, " ")
    toks: set[str] = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", t):
        toks.update(run[i : i + 2] for i in range(len(run) - 1))
    toks.update(w.upper() for w in re.findall(r"[A-Za-z]{2,}", t))
    return toks


def content_similarity(name: str, content: str) -> float:
    """How well a project name and a content text agree (0–1).

    Character bigrams of the Chinese text plus Latin words (``PCB``, ``LED``), without generic
    words such as 项目, 建设, 生产; the share of the name's tokens found in the content.

    Parameters
    ----------
    name, content
        Texts as written.

    Returns
    -------
    float
        0 when either has no tokens.
    """
    a, b = _tokens(name), _tokens(content)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a)
