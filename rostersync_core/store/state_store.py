"""The state store: what rostersync remembers per school between runs.

Connections (config sealed at rest), grade and subject mappings, links between SIS and
platform records, and exclusions. SQLite or PostgreSQL, chosen by URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from rostersync_core.errors import StateStoreError, UnknownSchoolError
from rostersync_core.model import RecordKind
from rostersync_core.state import EXCLUDABLE_KINDS, ExclusionSet, SchoolConnection
from rostersync_core.store import tables as t
from rostersync_core.store.credentials import KEY_ENV, CredentialBox, key_configured, key_file
from rostersync_core.store.engine import create_state_engine, safe_url
from rostersync_core.store.migrate import upgrade
from rostersync_core.store.sql import as_utc, chunked, now, upsert, upsert_many

__all__ = ["SIDES", "StateStore"]

#: The two sides of an exclusion.
SIDES = ("platform", "sis")
#: A link row's columns: its key (school, kind, SIS id), then the platform id.
_LINK_COLUMNS = ("school_id", "kind", "sis_id", "platform_id")


def _no_connection(school_id: str) -> UnknownSchoolError:
    return UnknownSchoolError(
        f"school {school_id!r} is not set up",
        hint=f"run `rostersync setup {school_id} --connector NAME` first",
    )


def _driver_reason(exc: sa.exc.OperationalError, password: str | None) -> str:
    """Why the driver could not connect ("database ... does not exist", "Connection
    refused"), on one line, the password never in it."""
    text = " ".join(str(exc.orig if exc.orig is not None else "").split())
    text = text.removeprefix("connection failed: ")
    if password:
        text = text.replace(password, "***")
    if not text:
        return type(exc.orig).__name__ if exc.orig is not None else "error"
    return text if len(text) <= 300 else text[:299] + "…"


class StateStore:
    """The state database. Open with :meth:`open`; close with :meth:`close`.

    Every method runs in its own transaction unless it takes a ``conn``.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._box: CredentialBox | None = None

    def __repr__(self) -> str:
        return f"StateStore({safe_url(self.engine.url)!r})"

    @classmethod
    def open(cls, url: str) -> StateStore:
        """Open the database at ``url``, creating or upgrading its schema.

        Raises :class:`StateStoreError` when it cannot be reached or was written by a
        newer rostersync.
        """
        engine = create_state_engine(url)
        try:
            upgrade(engine)
        except StateStoreError:
            engine.dispose()
            raise
        except sa.exc.OperationalError as exc:
            engine.dispose()
            raise StateStoreError(
                f"the state database {safe_url(url)} cannot be opened: "
                f"{_driver_reason(exc, engine.url.password)}",
                hint="check the --db URL / ROSTERSYNC_DB and that the server is running",
            ) from None
        return cls(engine)

    def close(self) -> None:
        """Release every database connection."""
        self.engine.dispose()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def credentials(self) -> CredentialBox:
        """The box that seals and opens connection configs (key loaded on first use)."""
        if self._box is None:
            self._box = CredentialBox()
        return self._box

    def _opening_box(self) -> CredentialBox:
        """The box, to open stored credentials: never a key made up on the spot (a new key
        cannot open what another sealed; making one would only hide the missing key)."""
        if self._box is None and not key_configured():
            raise StateStoreError(
                "no credentials key was found, and this database holds credentials sealed "
                "with one",
                hint=f"set ${KEY_ENV} (or the key file {key_file()}) to the key used at "
                "setup, or run setup again",
            )
        return self.credentials

    # -- connections -----------------------------------------------------------------------

    def _connection_from_row(self, row: sa.Row[Any]) -> SchoolConnection:
        return SchoolConnection(
            school_id=row.school_id,
            connector=row.connector,
            config=self._opening_box().open(row.config_sealed, school_id=row.school_id),
            sis_school_id=row.sis_school_id,
            sis_school_name=row.sis_school_name,
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
        )

    def get_connection(self, school_id: str) -> SchoolConnection:
        """The school's connection, config decrypted; :class:`UnknownSchoolError` if none."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.connections).where(t.connections.c.school_id == school_id)
            ).first()
        if row is None:
            raise _no_connection(school_id)
        return self._connection_from_row(row)

    def require_connection(self, school_id: str) -> None:
        """Raise :class:`UnknownSchoolError` (saying how to set it up) unless the school is
        set up; no key needed."""
        if not self.has_connection(school_id):
            raise _no_connection(school_id)

    def has_connection(self, school_id: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(t.connections.c.school_id).where(t.connections.c.school_id == school_id)
            ).first()
        return found is not None

    def list_connections(self) -> list[SchoolConnection]:
        """Every school's connection, by school id."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.connections).order_by(t.connections.c.school_id))
            return [self._connection_from_row(row) for row in rows]

    def describe_connections(self, school_id: str | None = None) -> list[dict[str, Any]]:
        """Connections as plain data, secrets hidden (no key needed), by school id."""
        c = t.connections.c
        query = sa.select(
            c.school_id, c.connector, c.sis_school_id, c.sis_school_name, c.config_public,
            c.created_at, c.updated_at,
        ).order_by(c.school_id)
        if school_id is not None:
            query = query.where(c.school_id == school_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        if school_id is not None and not rows:
            raise _no_connection(school_id)
        return [
            {
                "school_id": r.school_id, "connector": r.connector,
                "sis_school_id": r.sis_school_id, "sis_school_name": r.sis_school_name,
                "config": json.loads(r.config_public), "created_at": as_utc(r.created_at),
                "updated_at": as_utc(r.updated_at),
            }
            for r in rows
        ]

    def public_config(self, school_id: str) -> dict[str, Any]:
        """The school's config with secret values hidden (no key needed)."""
        with self.engine.connect() as conn:
            raw = conn.execute(
                sa.select(t.connections.c.config_public).where(
                    t.connections.c.school_id == school_id
                )
            ).scalar()
        if raw is None:
            raise _no_connection(school_id)
        data: dict[str, Any] = json.loads(raw)
        return data

    def save_connection(
        self, connection: SchoolConnection, *, public_config: Mapping[str, Any]
    ) -> SchoolConnection:
        """Create or replace the school's connection; mappings and links are kept.

        ``public_config`` is the config with its secrets hidden (``Connector.redact``).
        """
        stamp = now()
        sealed = self.credentials.seal(connection.config)
        with self.engine.begin() as conn:
            existing = conn.execute(
                sa.select(t.connections.c.created_at).where(
                    t.connections.c.school_id == connection.school_id
                )
            ).scalar()
            values = {
                "connector": connection.connector,
                "sis_school_id": connection.sis_school_id,
                "sis_school_name": connection.sis_school_name,
                "config_public": json.dumps(dict(public_config), sort_keys=True),
                "config_sealed": sealed,
                "updated_at": stamp,
            }
            if existing is None:
                conn.execute(
                    t.connections.insert().values(
                        school_id=connection.school_id, created_at=stamp, **values
                    )
                )
            else:
                conn.execute(
                    t.connections.update()
                    .where(t.connections.c.school_id == connection.school_id)
                    .values(**values)
                )
        return self.get_connection(connection.school_id)

    # -- grade and subject mappings --------------------------------------------------------

    def value_mappings(self, school_id: str, kind: RecordKind) -> dict[str, str]:
        """SIS value -> platform id, for ``kind`` GRADE or SUBJECT."""
        c = t.value_mappings.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(c.sis_id, c.platform_id).where(
                    c.school_id == school_id, c.kind == str(kind)
                )
            )
            return {sis_id: platform_id for sis_id, platform_id in rows}

    def grade_mappings(self, school_id: str) -> dict[str, str]:
        """SIS grade code -> platform grade id."""
        return self.value_mappings(school_id, RecordKind.GRADE)

    def subject_mappings(self, school_id: str) -> dict[str, str]:
        """SIS subject id -> platform subject id."""
        return self.value_mappings(school_id, RecordKind.SUBJECT)

    def save_value_mappings(
        self, school_id: str, kind: RecordKind, mappings: Mapping[str, str]
    ) -> None:
        """Save (replace) mappings of SIS values to platform ids."""
        stamp = now()
        rows = [
            {"school_id": school_id, "kind": str(kind), "sis_id": k, "platform_id": v,
             "updated_at": stamp}
            for k, v in mappings.items()
        ]
        with self.engine.begin() as conn:
            upsert(conn, t.value_mappings, rows, keys=("school_id", "kind", "sis_id"),
                   update=("platform_id", "updated_at"))

    def remove_value_mappings(
        self, school_id: str, kind: RecordKind, sis_ids: Iterable[str]
    ) -> int:
        """Forget the mappings of ``sis_ids``; return how many there were."""
        c = t.value_mappings.c
        removed = 0
        with self.engine.begin() as conn:
            for batch in chunked(sis_ids):
                result = conn.execute(
                    sa.delete(t.value_mappings).where(
                        c.school_id == school_id, c.kind == str(kind), c.sis_id.in_(batch)
                    )
                )
                removed += result.rowcount
        return removed

    # -- links -----------------------------------------------------------------------------

    def links(self, school_id: str, kind: RecordKind) -> dict[str, str]:
        """SIS id (or key) -> platform id, for records of ``kind``."""
        c = t.record_links.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(c.sis_id, c.platform_id).where(
                    c.school_id == school_id, c.kind == str(kind)
                )
            )
            return {sis_id: platform_id for sis_id, platform_id in rows}

    def save_links(
        self,
        school_id: str,
        kind: RecordKind,
        links: Mapping[str, str],
        *,
        conn: sa.Connection | None = None,
    ) -> None:
        """Upsert links; inside ``conn``'s transaction when given."""
        kind_value = str(kind)
        rows = [(school_id, kind_value, k, v) for k, v in links.items()]

        def run(connection: sa.Connection) -> None:
            upsert_many(connection, t.record_links, _LINK_COLUMNS, rows,
                        keys=_LINK_COLUMNS[:3], update=("platform_id",))

        if conn is not None:
            run(conn)
            return
        with self.engine.begin() as own:
            run(own)

    def remove_links(
        self,
        school_id: str,
        kind: RecordKind,
        sis_ids: Iterable[str],
        *,
        conn: sa.Connection | None = None,
    ) -> int:
        """Forget the links of ``sis_ids``; return how many there were."""
        c = t.record_links.c

        def run(connection: sa.Connection) -> int:
            removed = 0
            for batch in chunked(sis_ids):
                removed += connection.execute(
                    sa.delete(t.record_links).where(
                        c.school_id == school_id, c.kind == str(kind), c.sis_id.in_(batch)
                    )
                ).rowcount
            return removed

        if conn is not None:
            return run(conn)
        with self.engine.begin() as own:
            return run(own)

    # -- exclusions ------------------------------------------------------------------------

    def exclusions(self, school_id: str) -> ExclusionSet:
        """The school's exclusions in force, both sides."""
        c = t.exclusions.c
        found: dict[str, dict[RecordKind, set[str]]] = {side: {} for side in SIDES}
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(c.side, c.kind, c.record_id).where(c.school_id == school_id)
            )
            for row in rows:
                found[row.side].setdefault(RecordKind(row.kind), set()).add(row.record_id)
        return ExclusionSet(
            platform={k: frozenset(v) for k, v in found["platform"].items()},
            sis={k: frozenset(v) for k, v in found["sis"].items()},
        )

    def add_exclusions(
        self, school_id: str, side: str, kind: RecordKind, record_ids: Iterable[str]
    ) -> int:
        """Exclude records; return how many were not excluded before."""
        _check_exclusion(side, kind)
        before = self.exclusions(school_id)
        current = (before.platform if side == "platform" else before.sis).get(kind, frozenset())
        stamp = now()
        rows = [
            {"school_id": school_id, "side": side, "kind": str(kind), "record_id": rid,
             "created_at": stamp}
            for rid in dict.fromkeys(record_ids)
            if rid not in current
        ]
        with self.engine.begin() as conn:
            upsert(conn, t.exclusions, rows, keys=("school_id", "side", "kind", "record_id"),
                   update=())
        return len(rows)

    def remove_exclusions(
        self, school_id: str, side: str, kind: RecordKind, record_ids: Iterable[str]
    ) -> int:
        """Lift exclusions; return how many there were."""
        _check_exclusion(side, kind)
        c = t.exclusions.c
        removed = 0
        with self.engine.begin() as conn:
            for batch in chunked(record_ids):
                removed += conn.execute(
                    sa.delete(t.exclusions).where(
                        c.school_id == school_id, c.side == side, c.kind == str(kind),
                        c.record_id.in_(batch),
                    )
                ).rowcount
        return removed


def _check_exclusion(side: str, kind: RecordKind) -> None:
    if side not in SIDES:
        raise StateStoreError(f"unknown exclusion side {side!r}", hint="use platform or sis")
    if kind not in EXCLUDABLE_KINDS:
        raise StateStoreError(
            f"records of kind {str(kind)!r} cannot be excluded",
            hint="exclude classes, students, staff or family members",
        )
