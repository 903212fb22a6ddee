"""Recognise zones and other parks named in the project texts.

A project's text may name one of the 13 zones of 专栏12 (or its host township, where the
zone is named after it), a zone's parent park that has two areas (``九龙园`` → A or B), or a
park that is not a zone at all. Only the first is a zone assignment; the others are reported.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["find_places", "zone_patterns"]

_ZONE_AMBIGUOUS_PARENTS = re.compile(r"^(.+园)([AB])区$")


def zone_patterns(zones: pd.DataFrame | None) -> list[tuple[str, list[str]]]:
    """The phrases that name a zone, with the zone ids each may mean.

    Parameters
    ----------
    zones
        The zones table (``zone_id``, ``name_zh``, ``host_township_zh``,
        ``host_township_note``); ``None`` or empty: no phrases.

    Returns
    -------
    list of (str, list of str)
        (phrase, zone ids), longest phrases first. A township is searched only where the zone
        is named after it, never where it is presumed.
    """
    if zones is None or zones.empty:
        return []
    pats: dict[str, list[str]] = {}
    for _, z in zones.iterrows():
        zid, name = str(z["zone_id"]), str(z["name_zh"])
        pats.setdefault(name, []).append(zid)
        m = _ZONE_AMBIGUOUS_PARENTS.match(name)
        if m:
            pats.setdefault(m.group(1), []).append(zid)
        stem = re.sub(r"中小企业集聚区$", "", name)
        if stem != name:
            pats.setdefault(stem + "中小企业集聚区", []).append(zid)
            pats.setdefault(stem, []).append(zid)
        town = str(z.get("host_township_zh", "") or "")
        note = str(z.get("host_township_note", "") or "")
        if town and note.startswith("by name"):  # never search presumed townships
            pats.setdefault(town, []).append(zid)
    out = [(p, sorted(set(ids))) for p, ids in pats.items()]
    return sorted(out, key=lambda t: (-len(t[0]), t[0]))


_PLACE_RUN = re.compile(r"[\u4e00-\u9fffA-Za-z0-9()（）]{1,30}园(?![区内外])")
_PLACE_VERB = re.compile(r"^.*?(?:位于|租用|租赁|依托|入驻|落户|进驻)")
_GENERIC_PLACES = frozenset({"产业园", "工业园", "园"})


def find_places(
    text: str, patterns: list[tuple[str, list[str]]]
) -> tuple[list[str], list[str], list[str]]:
    """The zones and other parks a text names.

    Parameters
    ----------
    text
        A project's name, content and remark.
    patterns
        From :func:`zone_patterns`.

    Returns
    -------
    zone_ids : list of str
        Zones named unambiguously.
    candidates : list of str
        Zones a phrase may mean when it fits several (``九龙园``).
    others : list of str
        Names of parks (…园) that are not zones, in text order.
    """
    zones_found: list[str] = []
    candidates: list[str] = []
    consumed = text
    for phrase, ids in patterns:
        if phrase in consumed:
            if len(ids) == 1:
                zones_found.append(ids[0])
            else:
                candidates.extend(ids)
            consumed = consumed.replace(phrase, "＿" * len(phrase))
    others: list[str] = []
    for m in _PLACE_RUN.finditer(consumed):
        p = _PLACE_VERB.sub("", m.group(0))
        p = re.sub(r"^(?:建设|引进|打造)", "", p)
        if p not in _GENERIC_PLACES and len(p) >= 3 and p not in others:
            others.append(p)
    return sorted(set(zones_found)), sorted(set(candidates)), others
