"""Sync settings: per school, and per kind, how a sync creates, updates and archives.

Defaults: create new records, update every field, archive what vanished from the SIS, hold
a request when more than 10% of a kind would be archived or more than 75% updated, and do
not apply scheduled syncs automatically. A request freezes the settings it used.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from typing import Any

import attrs
import sqlalchemy as sa

from rostersync_core.convert import structure, unstructure
from rostersync_core.errors import ConfigError
from rostersync_core.model import Enrolment, FamilyLink, Person, RecordKind, SchoolClass
from rostersync_core.platform.protocol import SYNCED_KINDS
from rostersync_core.store import StateStore
from rostersync_core.store.sql import now, upsert
from rostersync_core.store.sync_tables import sync_settings
from rostersync_core.sync.changes import DIFF_FIELDS, KIND_LABELS, kind_from_label

__all__ = [
    "UPDATABLE_FIELDS",
    "KindSettings",
    "MissingPolicy",
    "SyncSettings",
    "load_settings",
    "parse_setting",
    "require_school",
    "save_settings",
    "set_settings",
]

#: The fields an update may write, per kind.
UPDATABLE_FIELDS: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.CLASS: DIFF_FIELDS[SchoolClass],
    RecordKind.STUDENT: DIFF_FIELDS[Person],
    RecordKind.STAFF: DIFF_FIELDS[Person],
    RecordKind.FAMILY: DIFF_FIELDS[Person],
    RecordKind.ENROLMENT: DIFF_FIELDS[Enrolment],
    RecordKind.FAMILY_LINK: DIFF_FIELDS[FamilyLink],
}


class MissingPolicy(enum.StrEnum):
    """What happens to a linked platform record whose SIS record is gone."""

    ARCHIVE = "archive"
    PRESERVE = "preserve"


@attrs.frozen
class KindSettings:
    """How a sync treats one kind.

    - ``create``: create platform records for new SIS records.
    - ``update_fields``: the fields updates may change (``None``: all of them); local edits
      to other fields survive.
    - ``missing``: archive or preserve linked records that vanished from the SIS.
    - ``hold_archive_percent`` / ``hold_update_percent``: hold the request when more than
      this share of the kind's linked records would be archived / updated.
    """

    create: bool = True
    update_fields: tuple[str, ...] | None = None
    missing: MissingPolicy = MissingPolicy.ARCHIVE
    hold_archive_percent: float = 10.0
    hold_update_percent: float = 75.0


def _default_kinds() -> dict[RecordKind, KindSettings]:
    return {kind: KindSettings() for kind in SYNCED_KINDS}


@attrs.frozen
class SyncSettings:
    """A school's sync settings: ``auto_apply`` (scheduled syncs that are not held apply
    without a person) and one :class:`KindSettings` per synced kind."""

    auto_apply: bool = False
    kinds: Mapping[RecordKind, KindSettings] = attrs.field(factory=_default_kinds)

    def for_kind(self, kind: RecordKind) -> KindSettings:
        return self.kinds.get(kind) or KindSettings()

    def allowed_fields(self, kind: RecordKind) -> tuple[str, ...]:
        """The fields updates of ``kind`` may write."""
        chosen = self.for_kind(kind).update_fields
        return UPDATABLE_FIELDS[kind] if chosen is None else chosen

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data, kinds by label (``"students"``...)."""
        return {
            "auto_apply": self.auto_apply,
            "kinds": {KIND_LABELS[kind]: unstructure(self.for_kind(kind)) for kind in SYNCED_KINDS},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SyncSettings:
        kinds = _default_kinds()
        for label, raw in (data.get("kinds") or {}).items():
            kinds[kind_from_label(label)] = structure(raw, KindSettings)
        return cls(auto_apply=bool(data.get("auto_apply", False)), kinds=kinds)

    def with_kind(self, kind: RecordKind, **changes: Any) -> SyncSettings:
        kinds = dict(self.kinds)
        kinds[kind] = attrs.evolve(self.for_kind(kind), **changes)
        return attrs.evolve(self, kinds=kinds)


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}", field=name)


def _percent(name: str, raw: str) -> float:
    try:
        value = float(raw.strip().rstrip("%"))
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        raise ConfigError(f"{name} must be a percentage from 0 to 100, not {raw!r}", field=name)
    return value


def parse_setting(
    settings: SyncSettings, name: str, raw: str, *, kind: str | None = None
) -> SyncSettings:
    """``settings`` with one setting changed from its text form (as the CLI passes it).

    School-wide: ``auto_apply=true``. Per kind (``kind`` is ``"students"``..., or ``None``
    for every kind): ``create=false``, ``update_fields=given_name,email`` (or ``all``, ``none``),
    ``missing=preserve``, ``hold_archive_percent=5``, ``hold_update_percent=50``.
    Raises :class:`~rostersync_core.errors.ConfigError` naming the setting when invalid.
    """
    if name == "auto_apply":
        if kind is not None:
            raise ConfigError("auto_apply is a school setting, not a per-kind one", field=name)
        return attrs.evolve(settings, auto_apply=_bool(name, raw))
    try:
        kinds = list(SYNCED_KINDS) if kind is None else [kind_from_label(kind)]
    except ValueError as exc:
        raise ConfigError(str(exc), field="kind") from None
    for one in kinds:
        value: Any
        if name == "create":
            value = _bool(name, raw)
        elif name == "update_fields":
            value = _fields(one, raw)
        elif name == "missing":
            try:
                value = MissingPolicy(raw.strip().lower())
            except ValueError:
                raise ConfigError(
                    f"missing must be archive or preserve, not {raw!r}", field=name
                ) from None
        elif name in ("hold_archive_percent", "hold_update_percent"):
            value = _percent(name, raw)
        else:
            known = "auto_apply, create, update_fields, missing, hold_archive_percent, "
            raise ConfigError(
                f"unknown setting {name!r}", field=name, hint=f"known: {known}hold_update_percent"
            )
        settings = settings.with_kind(one, **{name: value})
    return settings


def _fields(kind: RecordKind, raw: str) -> tuple[str, ...] | None:
    text = raw.strip()
    if text.lower() in ("all", "*"):
        return None
    if text.lower() in ("none", ""):
        return ()
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    allowed = UPDATABLE_FIELDS[kind]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ConfigError(
            f"{KIND_LABELS[kind]} have no updatable field {', '.join(unknown)}",
            field="update_fields",
            hint=f"fields: {', '.join(allowed)}",
        )
    return names


def require_school(store: StateStore, school_id: str) -> None:
    """Raise :class:`~rostersync_core.errors.UnknownSchoolError` (naming what to do) when
    ``school_id`` is not set up: settings of a mistyped school would be saved unnoticed."""
    if not store.has_connection(school_id):
        store.get_connection(school_id)  # raises UnknownSchoolError


def load_settings(store: StateStore, school_id: str) -> SyncSettings:
    """The school's sync settings in force (defaults when none were saved)."""
    with store.engine.connect() as conn:
        raw = conn.execute(
            sa.select(sync_settings.c.data).where(sync_settings.c.school_id == school_id)
        ).scalar()
    return SyncSettings() if raw is None else SyncSettings.from_json(json.loads(raw))


def save_settings(store: StateStore, school_id: str, settings: SyncSettings) -> None:
    """Save the school's sync settings; requests already made keep the ones they froze."""
    row = {
        "school_id": school_id,
        "data": json.dumps(settings.to_json(), sort_keys=True),
        "updated_at": now(),
    }
    with store.engine.begin() as conn:
        upsert(conn, sync_settings, [row], keys=("school_id",), update=("data", "updated_at"))


def set_settings(
    store: StateStore, school_id: str, values: Mapping[str, str], *, kind: str | None = None
) -> SyncSettings:
    """Change settings from their text forms (see :func:`parse_setting`), save, return them.

    Raises :class:`~rostersync_core.errors.UnknownSchoolError` for a school not set up.
    """
    require_school(store, school_id)
    settings = load_settings(store, school_id)
    for name, raw in values.items():
        settings = parse_setting(settings, name, raw, kind=kind)
    save_settings(store, school_id, settings)
    return settings
