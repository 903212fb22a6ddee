"""Reading the saved-work store: current state, history, tables of the saved work, checks.

Private base class of :class:`wzgeo.store.core.Store` (which adds the writes); every method opens
its own read connection, so a handle can be shared between threads and sessions.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wzgeo.errors import WzgeoError
from wzgeo.store._records import EntityState, StoreCheck, StoreDamagedError, describe, dumps
from wzgeo.store._schema import (
    CHANGE_COLUMNS,
    ENTITY_TYPES,
    Location,
    all_changes,
    reading,
    replay,
)
from wzgeo.store._validate import validate_payload

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

__all__ = ["StoreReads", "entity_state"]


def entity_state(con: sqlite3.Connection, etype: str, eid: str) -> EntityState:
    """The current state of one entity read on ``con`` (version 0 if never written)."""
    row = con.execute(
        "SELECT c.version, c.payload, ch.by_user, ch.at, ch.why, c.change_id "
        "FROM current c JOIN changes ch ON ch.change_id = c.change_id "
        "WHERE c.entity_type = ? AND c.entity_id = ?",
        (etype, eid),
    ).fetchone()
    if row is None:
        return EntityState(etype, eid, 0, None, None, None, None, None)
    version, payload, by_user, at, why, change_id = row
    value = _loads(payload) if payload is not None else None
    return EntityState(etype, eid, version, value, by_user, at, why, change_id)


def _loads(payload: str) -> Any:
    """A stored payload; text that is not JSON (a damaged or hand-edited store) → None-like
    marker dict so pages can still show the row (and revert it)."""
    try:
        return json.loads(payload)
    except (TypeError, ValueError):
        return {"_unreadable": str(payload)[:200]}


def _problem(etype: str, payload: str | None, ids: Any = None) -> str | None:
    """What is wrong with a stored value (None when it is valid), in English and Chinese."""
    if payload is None:
        return None
    try:
        validate_payload(etype, json.loads(payload), ids=ids)
    except WzgeoError as e:
        return f"{e.en} / {e.zh}"
    except (TypeError, ValueError) as e:
        return f"unreadable value ({e}) / 值无法读取"
    return None


def _describe(etype: str, payload: str, op: str) -> str:
    value = _loads(payload)
    try:
        text = describe(etype, value)
    except (AttributeError, TypeError, KeyError) as e:
        text = f"（无效 / invalid: {e}）"
    return text if op == "set" else f"（删除 / removed）{text}"


class StoreReads:
    """The read side of a store file at ``path`` (see :class:`wzgeo.store.core.Store`)."""

    path: Location  # the SQLite file, or a PostgreSQL database (wzgeo.store._pg)
    #: True when the store cannot be written (read-only file or medium, or damaged)
    read_only: bool = False
    #: what SQLite reports about a damaged file (None when sound)
    damage: str | None = None

    def read_connection(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A read connection (read-only when the store is), closed on exit."""
        return reading(self.path, read_only=self.read_only)

    # -- reads

    def state(self, entity_type: str, entity_id: str) -> EntityState:
        """The current state and version of one entity (version 0 if never written)."""
        with self.read_connection() as con:
            return entity_state(con, entity_type, entity_id)

    def history(
        self, entity_id: str | None = None, *, entity_type: str | None = None
    ) -> pd.DataFrame:
        """The change log, oldest first.

        Parameters
        ----------
        entity_id
            Only changes of this entity *or mentioning it*: a zone id also finds the
            assignments to that zone and its ``sector_fit`` cells. None: every change.
        entity_type
            Only changes of this type.

        Returns
        -------
        pandas.DataFrame
            Columns ``change_id, at, by_user, entity_type, entity_id, op, version, value, why,
            reverts_change_id, payload`` (``value`` summarises the payload in words).
        """
        import pandas as pd

        sql = f"SELECT {', '.join(CHANGE_COLUMNS)} FROM changes WHERE 1 = 1"
        params: list[object] = []
        if entity_id is not None:
            sql += (
                " AND (entity_id = ? OR json_extract(payload, '$.zone_id') = ?"
                " OR json_extract(payload, '$.project_id') = ?"
                " OR json_extract(payload, '$.sector_id') = ?)"
            )
            params += [entity_id] * 4
        if entity_type is not None:
            sql += " AND entity_type = ?"
            params.append(entity_type)
        with self.read_connection() as con:
            rows = con.execute(sql + " ORDER BY change_id", params).fetchall()
        df = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))
        df["value"] = [
            _describe(t, p, op)
            for t, p, op in zip(df["entity_type"], df["payload"], df["op"], strict=True)
        ]
        df["reverts_change_id"] = df["reverts_change_id"].astype("Int64")
        imported = self.last_import()
        upto = int(imported.get("last_change_id", 0)) if imported else 0
        origin = (
            f"imported {str(imported.get('at', ''))[:19].replace('T', ' ')}Z by "
            f"{imported.get('by')} from {imported.get('file')} ({imported.get('signature')})"
            if imported
            else ""
        )
        df["origin"] = [origin if int(c) <= upto else "" for c in df["change_id"]]
        order = ["change_id", "at", "by_user", "entity_type", "entity_id", "op", "version",
                 "value", "why", "reverts_change_id", "origin", "payload"]  # fmt: skip
        return df[order]

    def users_file(self) -> Path | None:
        """The users file this store requires logins from (None: not recorded yet).

        Recorded at the first authenticated edit (:meth:`record_users_file`); from then on
        the CLI and the app check logins against it whatever ``WZGEO_USERS`` says, so an
        account with no users file (or its own) cannot edit without a password.
        """
        with self.read_connection() as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'users_file'").fetchone()
        return Path(row[0]) if row else None

    def last_import(self) -> dict[str, Any] | None:
        """The last import into this store (who, when, which file, its signature), or None.

        The changes with ``change_id`` up to ``last_change_id`` came from that file; their
        ``by_user`` and ``at`` are as recorded there, not checked by this store.
        """
        with self.read_connection() as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'last_import'").fetchone()
        if row is None:
            return None
        try:
            value = json.loads(row[0])
        except ValueError:
            return {"file": "?", "by": "?", "signature": "unreadable import record"}
        return value if isinstance(value, dict) else None

    def invalid_values(self) -> pd.DataFrame:
        """Current values that fail the checks a save applies (a damaged, hand-edited or old
        store): ``entity_type, entity_id, version, change_id, by_user, at, problem``.

        The tables (:meth:`assignments`, :meth:`zone_boundaries` …) leave these rows out, so
        analyses and maps never see them; pages list them, and reverting the change (see
        :meth:`history`) repairs them.
        """
        import pandas as pd

        records = []
        with self.read_connection() as con:
            rows = con.execute(
                "SELECT c.entity_type, c.entity_id, c.version, c.change_id, ch.by_user, ch.at, "
                "c.payload FROM current c JOIN changes ch ON ch.change_id = c.change_id "
                "WHERE c.payload IS NOT NULL ORDER BY c.entity_type, c.entity_id"
            ).fetchall()
        for etype, eid, version, change_id, by_user, at, payload in rows:
            problem = _problem(etype, payload)
            if problem is not None:
                records.append((etype, eid, version, change_id, by_user, at, problem))
        cols = ["entity_type", "entity_id", "version", "change_id", "by_user", "at", "problem"]
        return pd.DataFrame.from_records(records, columns=cols)

    def _current_rows(self, etype: str) -> list[tuple[Any, ...]]:
        """The current valid values of one type (invalid ones: :meth:`invalid_values`)."""
        with self.read_connection() as con:
            rows = con.execute(
                "SELECT c.entity_id, c.version, c.payload, ch.by_user, ch.at, ch.why, "
                "c.change_id FROM current c JOIN changes ch ON ch.change_id = c.change_id "
                "WHERE c.entity_type = ? AND c.payload IS NOT NULL ORDER BY c.entity_id",
                (etype,),
            ).fetchall()
        return [r for r in rows if _problem(etype, r[2]) is None]

    def _frame(self, etype: str, fields: list[str]) -> pd.DataFrame:
        import pandas as pd

        records = []
        for _eid, version, payload, by_user, at, why, change_id in self._current_rows(etype):
            value = json.loads(payload)
            rec = {f: value.get(f) for f in fields}
            rec.update(by_user=by_user, at=at, why=why, version=version, change_id=change_id)
            records.append(rec)
        cols = [*fields, "by_user", "at", "why", "version", "change_id"]
        return pd.DataFrame.from_records(records, columns=cols)

    def assignments(self) -> pd.DataFrame:
        """Current assignments: ``project_id, zone_id, by_user, at, why, version, change_id``."""
        return self._frame("assignment", ["project_id", "zone_id"])

    def sector_fit_edits(self) -> pd.DataFrame:
        """Current fit overrides: ``sector_id, zone_id, grade, by_user, at, why, version, ...``."""
        return self._frame("sector_fit", ["sector_id", "zone_id", "grade"])

    def sector_landclass_edits(self) -> pd.DataFrame:
        """Current industrial-land-class overrides: ``sector_id, required_class`` (1–3, or
        None for "no class"), ``by_user, at, why, version, change_id``."""
        return self._frame("sector_landclass", ["sector_id", "required_class"])

    def land_rule_edits(self) -> pd.DataFrame:
        """Current land-rule overrides: ``rule_id``, one column per edited field, then who/when.

        The edited values keep their JSON types; ``values_json`` holds them as one string.
        """
        import pandas as pd

        df = self._frame("land_rule", ["rule_id", "values"])
        values = pd.DataFrame.from_records(list(df["values"]), index=df.index)
        df["values_json"] = [dumps(v) for v in df["values"]]
        return pd.concat([df[["rule_id"]], values, df.drop(columns=["rule_id", "values"])], axis=1)

    def _geo_frame(self, etype: str, fields: list[str]) -> gpd.GeoDataFrame:
        import geopandas as gpd
        from shapely.geometry import shape

        df = self._frame(etype, [*fields, "geometry"])
        geoms = [shape(g) for g in df["geometry"]]
        return gpd.GeoDataFrame(df.drop(columns="geometry"), geometry=geoms, crs="EPSG:4326")

    def zone_boundaries(self) -> gpd.GeoDataFrame:
        """Official boundaries: ``zone_id, source, by_user, at, why, version, change_id,
        geometry`` in EPSG:4326."""
        return self._geo_frame("zone_boundary", ["zone_id", "source"])

    def plots(self) -> gpd.GeoDataFrame:
        """Saved plots: ``plot_id, report`` (dict), who/when/why/version, geometry (EPSG:4326)."""
        return self._geo_frame("plot", ["plot_id", "report"])

    # -- checks

    def verify(self) -> StoreCheck:
        """Check the file (``PRAGMA integrity_check``), that ``current`` matches the log and
        that every current value passes the checks of a save.

        Returns
        -------
        StoreCheck
            ``ok`` is True when nothing is wrong; ``problems`` lists every disagreement.
        """
        try:
            with self.read_connection() as con:
                integrity = "; ".join(str(r[0]) for r in con.execute("PRAGMA integrity_check"))
                rows = all_changes(con)
                current = {
                    (t, i): (v, c, p)
                    for t, i, v, c, p in con.execute(
                        "SELECT entity_type, entity_id, version, change_id, payload FROM current"
                    )
                }
        except StoreDamagedError as e:
            # pages SQLite cannot read: say so, and how to recover (no traceback)
            detail = self.damage or str(e.__cause__ or e)
            return StoreCheck(detail.replace("\n", "; ")[:500], 0, 0, (e.en,))
        state, problems = replay(rows)
        for key in sorted(set(state) | set(current)):
            if state.get(key) != current.get(key):
                problems.append(
                    f"{key[0]} {key[1]!r}: derived state {current.get(key)!r:.120} "
                    f"differs from the log {state.get(key)!r:.120}"
                )
        # every current value re-checked as a save would check it (ids, grades, geometry)
        ids = getattr(self, "ids", None)
        for (etype, eid), (version, _cid, payload) in sorted(current.items()):
            problem = _problem(etype, payload, ids)
            if problem is not None:
                problems.append(f"{etype} {eid!r} (version {version}): invalid value: {problem}")
        return StoreCheck(integrity, len(rows), len(state), tuple(problems))

    def counts(self) -> dict[str, int]:
        """Number of changes and of current (non-deleted) entities per type."""
        with self.read_connection() as con:
            out = {"changes": con.execute("SELECT count(*) FROM changes").fetchone()[0]}
            for etype in ENTITY_TYPES:
                out[etype] = con.execute(
                    "SELECT count(*) FROM current WHERE entity_type = ? AND payload IS NOT NULL",
                    (etype,),
                ).fetchone()[0]
        return out
