"""What the saved-work page shows for user edits of the fit matrix, the land-use rules and
the industrial land class each sector needs.

Pure functions (tables in, new values out) behind the page's "产业匹配修改 / Sector-fit
edits" and "用地控制指标修改 / Land-rule edits" sections: the choice lists, the shipped value
beside the edited one, the tables of current edits and the check of a new threshold. The
shipped tables come from :func:`wzgeo.analysis.sectorfit.load_sector_fit` and
:func:`wzgeo.analysis.rules.load_rules`; the edits from
:meth:`wzgeo.store.core.Store.sector_fit_edits`
and :meth:`wzgeo.store.core.Store.land_rule_edits`. The overlay itself is
:mod:`wzgeo.store.overlays`' (the same one every analysis uses).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from wzgeo import labels
from wzgeo.errors import WzgeoError, WzgeoTypeError
from wzgeo.store import overlays

__all__ = [
    "CLASS_LABELS",
    "GRADE_LABELS",
    "FitCell",
    "RuleValueError",
    "RuleView",
    "class_label",
    "fit_cell",
    "fit_edits_table",
    "fit_entity_id",
    "grade_label",
    "landclass_edits_table",
    "landclass_sector_choices",
    "rule_choices",
    "rule_edit_values",
    "rule_edits_table",
    "rule_view",
    "sector_choices",
    "zone_choices",
]

logger = logging.getLogger(__name__)

#: Fit grade → (Chinese, English) label (the grades a fit cell can hold; the labels are
#: :mod:`wzgeo.labels`' ``fit_grade`` group).
GRADE_LABELS: Mapping[str, tuple[str, str]] = {
    grade: (
        labels.value_label("fit_grade", grade, "zh"),
        labels.value_label("fit_grade", grade, "en"),
    )
    for grade in ("primary", "compatible", "not_listed")
}


def grade_label(grade: str | None, lang: str = "zh") -> str:
    """The label of a fit grade ("zh": Chinese with the code; "en": English)."""
    if grade is None:
        return "（无 / none）" if lang != "en" else "(none)"
    zh, en = GRADE_LABELS.get(grade, (grade, grade))
    return en if lang == "en" else f"{zh} ({grade})"


def _ordered(first: Iterable[object], known: Iterable[str] | None) -> list[str]:
    """Ids in the order of ``first`` (deduplicated), then the other ``known`` ones sorted.

    With ``known`` given, ids of ``first`` not in it are left out (the store would refuse
    them).
    """
    seen: dict[str, None] = {}
    for value in first:
        if value is not None and not pd.isna(value) and str(value):  # type: ignore[call-overload]
            seen.setdefault(str(value), None)
    if known is None:
        return list(seen)
    allowed = set(known)
    out = [v for v in seen if v in allowed]
    return out + sorted(allowed - set(out))


def sector_choices(fit: pd.DataFrame, *, known: Iterable[str] | None = None) -> list[str]:
    """Sector ids to offer: the fit table's order, restricted to (and completed by) ``known``.

    Parameters
    ----------
    fit
        The shipped fit table (``sector_id``, ``zone_id``, ``grade``, ...).
    known
        The ids the store accepts (``Store.ids.sector_ids``); None: the table's ids.

    Returns
    -------
    list of str
    """
    return _ordered(fit["sector_id"], known)


def zone_choices(fit: pd.DataFrame, *, known: Iterable[str] | None = None) -> list[str]:
    """Zone ids to offer, like :func:`sector_choices`."""
    return _ordered(fit["zone_id"], known)


def fit_entity_id(sector_id: str, zone_id: str) -> str:
    """The store's entity id of one fit cell (``sector_id|zone_id``; see ``Store.history``)."""
    return f"{sector_id}|{zone_id}"


@dataclass(frozen=True)
class FitCell:
    """One sector × zone cell: the shipped grade and its reason, and the user's edit if any.

    Attributes
    ----------
    sector_id, zone_id
        The cell.
    shipped_grade
        The grade in ``geodata/sector_fit.csv``; None if the file has no row for the pair.
    reason_zh, reason_en
        The shipped reason (quoting 专栏12), empty if none.
    edited_grade
        The user's grade, None when the cell is not edited.
    edited_by, edited_at, edited_why
        Who edited it, when (UTC) and why.
    """

    sector_id: str
    zone_id: str
    shipped_grade: str | None
    reason_zh: str
    reason_en: str
    edited_grade: str | None = None
    edited_by: str | None = None
    edited_at: str | None = None
    edited_why: str | None = None

    @property
    def grade(self) -> str | None:
        """The grade analyses use: the edit if there is one, else the shipped grade."""
        return self.edited_grade if self.edited_grade is not None else self.shipped_grade

    @property
    def entity_id(self) -> str:
        """The store's entity id (for ``Store.state("sector_fit", ...)`` and history)."""
        return fit_entity_id(self.sector_id, self.zone_id)


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)  # type: ignore[call-overload]


def fit_cell(fit: pd.DataFrame, edits: pd.DataFrame, sector_id: str, zone_id: str) -> FitCell:
    """The shipped and the edited grade of one cell.

    Parameters
    ----------
    fit
        The shipped fit table.
    edits
        :meth:`wzgeo.store.core.Store.sector_fit_edits` (may be empty).
    sector_id, zone_id
        The cell.

    Returns
    -------
    FitCell
    """
    rows = fit[(fit["sector_id"] == sector_id) & (fit["zone_id"] == zone_id)]
    shipped = rows.iloc[0] if len(rows) else None
    cell = FitCell(
        sector_id,
        zone_id,
        shipped_grade=None if shipped is None else _text(shipped["grade"]) or None,
        reason_zh="" if shipped is None else _text(shipped.get("reason_zh")),
        reason_en="" if shipped is None else _text(shipped.get("reason_en")),
    )
    if not edits.empty:
        hit = edits[(edits["sector_id"] == sector_id) & (edits["zone_id"] == zone_id)]
        if len(hit):
            e = hit.iloc[-1]
            cell = dataclasses.replace(
                cell,
                edited_grade=str(e["grade"]),
                edited_by=_text(e["by_user"]),
                edited_at=_text(e["at"]),
                edited_why=_text(e["why"]),
            )
    return cell


_FIT_EDIT_COLUMNS = ["sector_id", "zone_id", "plan_grade", "grade", "by_user", "at", "why",
                     "version"]  # fmt: skip


def fit_edits_table(fit: pd.DataFrame, edits: pd.DataFrame) -> pd.DataFrame:
    """The current fit edits with the shipped grade beside the edited one.

    Parameters
    ----------
    fit
        The shipped fit table.
    edits
        :meth:`wzgeo.store.core.Store.sector_fit_edits`.

    Returns
    -------
    pandas.DataFrame
        ``sector_id, zone_id, plan_grade`` (shipped; empty for a pair the file lacks),
        ``grade`` (edited), ``by_user, at, why, version``; one row per edited cell, in the
        order of the fit table.
    """
    if edits.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in _FIT_EDIT_COLUMNS})
    overlaid = overlays.apply_sector_fit_edits(fit, edits)
    edited = overlaid.loc[overlaid["grade_source"] == "user edit"]
    out = edited[["sector_id", "zone_id", "plan_grade", "grade"]].astype("object")
    meta = edits.drop_duplicates(["sector_id", "zone_id"], keep="last").set_index(
        ["sector_id", "zone_id"]
    )
    index = pd.MultiIndex.from_frame(out[["sector_id", "zone_id"]].astype(str))
    for col in ("by_user", "at", "why", "version"):
        out[col] = meta[col].reindex(index).to_numpy()
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------- land rules


def _rule_ids(rules: pd.DataFrame) -> pd.Series:
    return rules[list(overlays.LAND_RULE_KEY)].astype(str).agg("|".join, axis=1)


def rule_choices(rules: pd.DataFrame) -> pd.DataFrame:
    """One row per rule id (``indicator|gbt4754_code|edition``) of the shipped rules.

    Parameters
    ----------
    rules
        The shipped rules (:func:`wzgeo.analysis.rules.load_rules`).

    Returns
    -------
    pandas.DataFrame
        ``rule_id, indicator, gbt4754_code, edition, n_rows`` in the file's order. ``n_rows``
        > 1 where the file lists parallel rows under one id (an edit sets all of them).
    """
    ids = _rule_ids(rules)
    table = rules[list(overlays.LAND_RULE_KEY)].astype(str).assign(rule_id=ids.to_numpy())
    counts = ids.value_counts()
    out = table.drop_duplicates("rule_id").reset_index(drop=True)
    out["n_rows"] = out["rule_id"].map(counts).astype(int)
    return out[["rule_id", *overlays.LAND_RULE_KEY, "n_rows"]]


@dataclass(frozen=True)
class RuleView:
    """One rule id: its shipped rows and the user's edit if any.

    Attributes
    ----------
    rule_id
        ``indicator|gbt4754_code|edition``.
    shipped
        The shipped rows (``threshold, comparator, unit, source, note``), one dict each;
        empty when the id is not in the shipped file.
    edited
        The user's values (column → value), None when not edited.
    edited_by, edited_at, edited_why
        Who edited it, when (UTC) and why.
    """

    rule_id: str
    shipped: tuple[dict[str, Any], ...]
    edited: dict[str, Any] | None = None
    edited_by: str | None = None
    edited_at: str | None = None
    edited_why: str | None = None

    @property
    def threshold(self) -> float | None:
        """The threshold analyses use: the edit's, else the (first) shipped one."""
        if self.edited is not None and self.edited.get("threshold") is not None:
            return float(self.edited["threshold"])
        values = [r["threshold"] for r in self.shipped if r.get("threshold") is not None]
        return float(values[0]) if values else None


_SHIPPED_FIELDS = ("threshold", "comparator", "unit", "source", "note")


def _plain(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def rule_view(rules: pd.DataFrame, edits: pd.DataFrame, rule_id: str) -> RuleView:
    """The shipped rows and the edit of one rule id.

    Parameters
    ----------
    rules
        The shipped rules.
    edits
        :meth:`wzgeo.store.core.Store.land_rule_edits` (may be empty).
    rule_id
        :func:`wzgeo.store.overlays.land_rule_id` of the row.

    Returns
    -------
    RuleView
    """
    rows = rules.loc[(_rule_ids(rules) == rule_id).to_numpy()]
    shipped = tuple({f: _plain(r.get(f)) for f in _SHIPPED_FIELDS} for r in rows.to_dict("records"))
    if not edits.empty:
        hit = edits[edits["rule_id"] == rule_id]
        if len(hit):
            e = hit.iloc[-1]
            return RuleView(
                rule_id,
                shipped,
                edited=dict(json.loads(str(e["values_json"]))),
                edited_by=_text(e["by_user"]),
                edited_at=_text(e["at"]),
                edited_why=_text(e["why"]),
            )
    return RuleView(rule_id, shipped)


_RULE_EDIT_COLUMNS = ["rule_id", "shipped_threshold", "threshold", "comparator", "unit",
                      "source", "note", "by_user", "at", "why", "version"]  # fmt: skip


def rule_edits_table(rules: pd.DataFrame, edits: pd.DataFrame) -> pd.DataFrame:
    """The current land-rule edits with the shipped threshold beside the edited one.

    Parameters
    ----------
    rules
        The shipped rules.
    edits
        :meth:`wzgeo.store.core.Store.land_rule_edits`.

    Returns
    -------
    pandas.DataFrame
        ``rule_id, shipped_threshold`` (the shipped thresholds, ``" / "``-joined when the id
        has parallel rows; empty for an id not shipped), then the values in effect
        (``threshold, comparator, unit, source, note``) and ``by_user, at, why, version``.
    """
    records = []
    for e in edits.to_dict("records"):
        view = rule_view(rules, edits, str(e["rule_id"]))
        first = view.shipped[0] if view.shipped else {}
        values = {**first, **(view.edited or {})}
        shipped = " / ".join(f"{r['threshold']:g}" for r in view.shipped
                             if r.get("threshold") is not None)  # fmt: skip
        records.append(
            {
                "rule_id": view.rule_id,
                "shipped_threshold": shipped,
                **{f: values.get(f) for f in _SHIPPED_FIELDS},
                **{c: e.get(c) for c in ("by_user", "at", "why", "version")},
            }
        )
    return pd.DataFrame.from_records(records, columns=_RULE_EDIT_COLUMNS)


class RuleValueError(WzgeoError):
    """A land-rule threshold that is not a finite number."""


def rule_edit_values(
    threshold: object, *, note: str | None = None, source: str | None = None
) -> dict[str, str | float]:
    """The ``values`` of a land-rule edit: the threshold, plus a note and source if given.

    Parameters
    ----------
    threshold
        The new threshold: a finite number.
    note, source
        Replace the shipped note / source when given (blank: keep the shipped text).

    Returns
    -------
    dict
        For :meth:`wzgeo.store.core.Store.set_land_rule`.

    Raises
    ------
    WzgeoTypeError
        ``threshold`` is not a number.
    RuleValueError
        ``threshold`` is NaN or infinite.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise WzgeoTypeError(
            f"阈值必须是数字，收到 {threshold!r}（{type(threshold).__name__}）。",
            f"The threshold must be a number, got {threshold!r} ({type(threshold).__name__}).",
        )
    value = float(threshold)
    if not math.isfinite(value):
        raise RuleValueError(
            f"阈值 {threshold!r} 不是有限数。请输入一个数字。",
            f"The threshold {threshold!r} is not a finite number. Enter a number.",
        )
    out: dict[str, str | float] = {"threshold": value}
    for key, text in (("note", note), ("source", source)):
        if text is not None and text.strip():
            out[key] = text.strip()
    return out


# ----------------------------------------------------------------------------- land classes

#: Industrial land class (as stored: 1–3, None = none) → (Chinese, English) label.
CLASS_LABELS: Mapping[int | None, tuple[str, str]] = {
    1: ("一类工业用地", "class 1 (little interference)"),
    2: ("二类工业用地", "class 2 (some interference or pollution)"),
    3: ("三类工业用地", "class 3 (serious interference or pollution)"),
    None: ("无（核查结果为“未知”）", "none (the check says unknown)"),
}


def class_label(value: object, lang: str = "zh") -> str:
    """The label of a land class (1–3, ``"1"``–``"3"``, None/``""`` = none)."""
    text = _text(value)
    cls = int(float(text)) if text else None
    zh, en = CLASS_LABELS.get(cls, (text, text))
    return en if lang == "en" else zh


def landclass_sector_choices(
    table: pd.DataFrame, *, known: Iterable[str] | None = None
) -> list[str]:
    """Sector ids to offer for land-class edits: the table's order, restricted to (and
    completed by) ``known`` (``Store.ids.sector_ids``)."""
    return _ordered(table["sector_id"], known)


_CLASS_EDIT_COLUMNS = ["sector_id", "plan_required_class", "required_class", "by_user", "at",
                       "why", "version"]  # fmt: skip


def landclass_edits_table(table: pd.DataFrame, edits: pd.DataFrame) -> pd.DataFrame:
    """The current land-class edits with the shipped class beside the edited one.

    Parameters
    ----------
    table
        The shipped land-class table (:func:`wzgeo.analysis.landuse.load_landclass`).
    edits
        :meth:`wzgeo.store.core.Store.sector_landclass_edits`.

    Returns
    -------
    pandas.DataFrame
        ``sector_id, plan_required_class`` (shipped, ``""`` = none), ``required_class``
        (edited), ``by_user, at, why, version``; one row per edited sector.
    """
    if edits.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in _CLASS_EDIT_COLUMNS})
    overlaid = overlays.apply_sector_landclass_edits(table, edits)
    edited = overlaid.loc[overlaid["class_source"] == "user edit"]
    out = edited[["sector_id", "plan_required_class", "required_class"]].astype("object")
    meta = edits.drop_duplicates("sector_id", keep="last").set_index("sector_id")
    for col in ("by_user", "at", "why", "version"):
        out[col] = meta[col].reindex(out["sector_id"].astype(str)).to_numpy()
    return out.reset_index(drop=True)
