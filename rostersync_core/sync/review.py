"""A request as a person reads it: names instead of ids, one line per change.

Used by ``rostersync sync show`` and the demo; :func:`change_to_json` is the ``--json`` form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rostersync_core.convert import unstructure
from rostersync_core.model import Enrolment, FamilyLink, Person, SchoolClass
from rostersync_core.platform.protocol import Platform, PlatformValues
from rostersync_core.sync.changes import Change, SyncAction
from rostersync_core.sync.diff import ENTITY_KINDS

__all__ = [
    "NameIndex",
    "change_to_json",
    "counts_line",
    "describe_change",
    "label_of",
    "summarise",
]

_VERBS = {
    SyncAction.CREATE: "new",
    SyncAction.UPDATE: "update",
    SyncAction.ARCHIVE: "archive",
    SyncAction.RESTORE: "restore",
    SyncAction.LINK: "link",
}


def label_of(values: PlatformValues | None) -> str:
    """A short human label: a person's name, a class's title."""
    if isinstance(values, Person):
        return f"{values.given_name} {values.family_name}".strip()
    if isinstance(values, SchoolClass):
        return values.title
    return ""


class NameIndex:
    """Names of classes and people by platform id and by SIS id, to describe joins."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    @classmethod
    def build(cls, platform: Platform, school_id: str, changes: Iterable[Change]) -> NameIndex:
        index = cls()
        for kind in ENTITY_KINDS:
            for record in platform.list_records(school_id, kind):
                index.names[record.platform_id] = label_of(record.values)
        for change in changes:
            if change.kind in ENTITY_KINDS:
                label = label_of(change.after or change.before)
                index.names[change.sis_id] = label
                if change.result_id:
                    index.names[change.result_id] = label
        return index

    def __call__(self, record_id: str) -> str:
        return self.names.get(record_id) or record_id


def _fmt(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) or "(none)"
    if value is None or value == "":
        return "(empty)"
    return str(value)


def describe_change(change: Change, names: NameIndex | None = None) -> str:
    """One line: ``new student Ava Smith``, ``update Ben Ode: email a -> b``, ..."""
    name = names or NameIndex()
    values = change.after or change.before
    verb = _VERBS[change.action]
    if isinstance(values, Enrolment):
        who, where = name(values.person_sis_id), name(values.class_sis_id)
        text = {
            SyncAction.CREATE: f"enrol {who} ({values.role}) in {where}",
            SyncAction.ARCHIVE: f"remove {who} ({values.role}) from {where}",
            SyncAction.RESTORE: f"re-enrol {who} ({values.role}) in {where}",
        }.get(change.action, f"{verb} enrolment of {who} in {where}")
    elif isinstance(values, FamilyLink):
        who, child = name(values.family_sis_id), name(values.student_sis_id)
        text = {
            SyncAction.CREATE: f"link {who} as {values.relationship} of {child}",
            SyncAction.ARCHIVE: f"unlink {who} from {child}",
        }.get(change.action, f"{verb} family link of {who} and {child}")
    else:
        text = f"{verb} {label_of(values) or change.sis_id} (SIS {change.sis_id})"
        if change.action is SyncAction.ARCHIVE:
            text += ": no longer in the SIS"
        if change.action is SyncAction.LINK:
            text = f"link SIS {change.sis_id} to existing {label_of(values)} ({change.platform_id})"
    diffs = [f"{f}: {_fmt(b)} -> {_fmt(a)}" for f, b, a in change.field_diffs()]
    if diffs and change.action in (SyncAction.UPDATE, SyncAction.RESTORE):
        text += ": " + "; ".join(diffs)
    return text


def summarise(changes: Iterable[Change], names: NameIndex | None = None) -> list[str]:
    """Lines for people: one per change, except a person's enrolments with the same action
    and role, which share one line ("enrol Ava Khan (student) in 8 classes: ...")."""
    name = names or NameIndex()
    lines: list[str] = []
    groups: dict[tuple[SyncAction, str, str], list[str]] = {}
    for change in changes:
        values = change.after or change.before
        if isinstance(values, Enrolment) and change.action is not SyncAction.UPDATE:
            key = (change.action, values.person_sis_id, str(values.role))
            if key not in groups:
                groups[key] = []
                lines.append("")  # placeholder, filled below
                groups[key].append(str(len(lines) - 1))
            groups[key].append(name(values.class_sis_id))
        else:
            lines.append(describe_change(change, name))
    verbs = {
        SyncAction.CREATE: ("enrol", "in"),
        SyncAction.ARCHIVE: ("remove", "from"),
        SyncAction.RESTORE: ("re-enrol", "in"),
    }
    for (action, person, role), (slot, *classes) in groups.items():
        verb, prep = verbs.get(action, (str(action), "in"))
        where = (
            classes[0] if len(classes) == 1 else f"{len(classes)} classes: " + ", ".join(classes)
        )
        lines[int(slot)] = f"{verb} {name(person)} ({role}) {prep} {where}"
    return lines


def change_to_json(change: Change, names: NameIndex | None = None) -> dict[str, Any]:
    """A change as plain data for ``--json``."""
    return {
        "seq": change.seq,
        "kind": str(change.kind),
        "action": str(change.action),
        "sis_id": change.sis_id,
        "platform_id": change.platform_id or change.result_id,
        "description": describe_change(change, names),
        "fields": [
            {"field": f, "before": unstructure(b), "after": unstructure(a)}
            for f, b, a in change.field_diffs()
        ],
        "after": unstructure(change.after) if change.after is not None else None,
        "applied": change.applied,
        "reverted": change.reverted,
    }


def counts_line(counts: Mapping[str, int]) -> str:
    """``3 new, 1 update, 2 archive, 40 unchanged``."""
    parts = []
    for action, word in (
        ("create", "new"),
        ("update", "updated"),
        ("archive", "archived"),
        ("restore", "restored"),
        ("link", "linked"),
        ("unchanged", "unchanged"),
        ("skipped", "skipped"),
    ):
        if counts.get(action):
            parts.append(f"{counts[action]} {word}")
    return ", ".join(parts) or "nothing"
