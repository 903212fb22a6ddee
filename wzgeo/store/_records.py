"""Records of the saved-work store: its errors, its change and state records, value summaries.

Private helpers of :mod:`wzgeo.store.core`; the public names are re-exported there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from wzgeo.errors import WzgeoError

__all__ = [
    "Change",
    "ConflictError",
    "EntityState",
    "NotFoundError",
    "StoreCheck",
    "StoreDamagedError",
    "StoreError",
    "StoreImportError",
    "StoreReadOnlyError",
    "describe",
    "dumps",
    "now",
]


class StoreError(WzgeoError):
    """A request the store cannot carry out (bad id, missing reason, unusable path)."""


class NotFoundError(StoreError):
    """The change or entity asked for does not exist."""


class StoreDamagedError(StoreError):
    """The store file is damaged (SQLite reports a malformed page); it is read-only until it
    is recovered (``wzgeo store recover``)."""


class StoreReadOnlyError(StoreError):
    """The store is read-only (a read-only file or medium, or a damaged file)."""


class StoreImportError(StoreError):
    """An import file is broken, foreign or inconsistent; nothing was imported."""


class ConflictError(StoreError):
    """Someone else changed the entity since the caller read it.

    Attributes
    ----------
    entity_type, entity_id
        What was being changed.
    expected_version, current_version
        The version the caller saw and the version now in the store.
    current_value
        The current value in words (e.g. the zone a project is assigned to).
    by_user, at
        Who made the latest change and when (UTC).
    """

    def __init__(
        self,
        *,
        entity_type: str,
        entity_id: str,
        expected_version: int | None,
        current_version: int,
        current_value: str,
        by_user: str | None,
        at: str | None,
        reason_zh: str = "",
        reason_en: str = "",
    ) -> None:
        self.entity_type = entity_type
        self.entity_id = entity_id
        self.expected_version = expected_version
        self.current_version = current_version
        self.current_value = current_value
        self.by_user = by_user
        self.at = at
        when = (at or "")[:19].replace("T", " ")
        who_zh = f"，由 {by_user} 于 {when} (UTC) 修改" if by_user else ""
        who_en = f", changed by {by_user} at {when} UTC" if by_user else ""
        zh = reason_zh or (
            f"保存冲突：{entity_type} '{entity_id}' 在您读取（版本 {expected_version}）之后"
            f"已被他人修改。"
        )
        en = reason_en or (
            f"Conflict: {entity_type} '{entity_id}' was changed by someone else after you read "
            f"it (version {expected_version})."
        )
        super().__init__(
            f"{zh}当前值：{current_value}（版本 {current_version}{who_zh}）。"
            f"请查看当前值后重新决定是否保存。",
            f"{en} Current value: {current_value} (version {current_version}{who_en}). "
            f"Review the current value, then save again if you still want your change.",
        )

    @classmethod
    def from_state(
        cls,
        state: EntityState,
        *,
        expected_version: int | None,
        reason_zh: str = "",
        reason_en: str = "",
    ) -> ConflictError:
        """The conflict with ``state``, the entity's current state in the store.

        Parameters
        ----------
        state
            The current state (its value, version and latest author go into the message).
        expected_version
            The version the caller saw.
        reason_zh, reason_en
            A different first sentence (default: "changed by someone else after you read it").

        Returns
        -------
        ConflictError
        """
        return cls(
            entity_type=state.entity_type,
            entity_id=state.entity_id,
            expected_version=expected_version,
            current_version=state.version,
            current_value=describe(state.entity_type, state.value),
            by_user=state.by_user,
            at=state.at,
            reason_zh=reason_zh,
            reason_en=reason_en,
        )


# ----------------------------------------------------------------------------- records


@dataclasses.dataclass(frozen=True)
class Change:
    """One appended change (what a write returns)."""

    change_id: int
    entity_type: str
    entity_id: str
    version: int
    op: str
    by_user: str
    at: str
    why: str
    reverts_change_id: int | None = None


@dataclasses.dataclass(frozen=True)
class EntityState:
    """The current state of one entity; ``version`` is 0 and ``value`` None if never set."""

    entity_type: str
    entity_id: str
    version: int
    value: dict[str, Any] | None
    by_user: str | None
    at: str | None
    why: str | None
    change_id: int | None

    @property
    def exists(self) -> bool:
        """True when the entity currently has a value (set and not deleted)."""
        return self.value is not None


@dataclasses.dataclass(frozen=True)
class StoreCheck:
    """Result of :meth:`Store.verify`."""

    integrity: str
    n_changes: int
    n_entities: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when SQLite's integrity check passed and the log agrees with the state."""
        return self.integrity == "ok" and not self.problems


def now() -> str:
    """The current UTC time, ISO 8601 with microseconds (the ``at`` of a change)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def dumps(obj: object) -> str:
    """JSON text as stored in the log: UTF-8 kept, keys sorted, no NaN."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, allow_nan=False)


def describe(entity_type: str, payload: Mapping[str, Any] | None) -> str:
    """The value of an entity in a few words (for history tables and conflict messages)."""
    if payload is None:
        return "（无 / none）"
    if entity_type == "assignment":
        return str(payload.get("zone_id"))
    if entity_type == "sector_fit":
        return str(payload.get("grade"))
    if entity_type == "zone_boundary":
        return f"{payload.get('geometry', {}).get('type')} ← {payload.get('source')}"
    if entity_type == "plot":
        return f"{payload.get('geometry', {}).get('type')}"
    if entity_type == "land_rule":
        return dumps(payload.get("values", {}))
    if entity_type == "sector_landclass":
        cls = payload.get("required_class")
        return {1: "一类 (1)", 2: "二类 (2)", 3: "三类 (3)"}.get(cls, "无 / none")  # type: ignore[arg-type]
    return dumps(payload)
