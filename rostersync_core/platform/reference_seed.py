"""Seed the reference platform from JSON, and export a school's roster canonically.

Seed format (every list optional; ``school`` may be left out of records when the file has
exactly one school; ``id`` may be left out and is then generated)::

    {
      "schools":  [{"id": "north", "name": "North High", "timezone": "America/Chicago"}],
      "grades":   [{"id": "g-k", "name": "Kindergarten"}, {"id": "g-1", "name": "Grade 1"}],
      "subjects": [{"id": "math", "name": "Mathematics"}],
      "classes":  [{"id": "c-1", "title": "Math 1A", "grades": ["g-1"], "subjects": ["math"],
                    "sis_id": "", "archived": false}],
      "students": [{"id": "p-1", "given_name": "Ada", "family_name": "Lovelace",
                    "email": "ada@example.org", "grade": "g-1", "sis_id": "S-1"}],
      "staff":    [{"id": "t-1", "given_name": "Alan", "family_name": "Turing",
                    "roles": ["teacher"]}],
      "family":   [{"id": "f-1", "given_name": "Anne", "family_name": "Lovelace"}],
      "enrolments":   [{"class": "c-1", "person": "p-1", "role": "student"}],
      "family_links": [{"family": "f-1", "student": "p-1", "relationship": "mother"}]
    }
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from rostersync_core.model import RecordKind
from rostersync_core.platform.reference_rows import (
    ID_PREFIX,
    PERSON_KIND,
    ReferencePlatformError,
)
from rostersync_core.store import tables as t

if TYPE_CHECKING:
    from rostersync_core.platform.reference import ReferencePlatform

__all__ = ["export_roster", "seed"]

_PEOPLE = {"students": RecordKind.STUDENT, "staff": RecordKind.STAFF, "family": RecordKind.FAMILY}
_PERSON_FIELDS = (
    "given_name", "family_name", "middle_name", "preferred_name", "email", "username",
    "identifier", "phone", "sis_id",
)


def _id(item: Mapping[str, Any], kind: RecordKind, counter: list[int]) -> str:
    if item.get("id"):
        return str(item["id"])
    counter[0] += 1
    return f"{ID_PREFIX[kind]}_seed_{counter[0]}"


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def seed(platform: ReferencePlatform, data: Mapping[str, Any]) -> dict[str, int]:
    """Load ``data`` (the seed format above) into the platform in one transaction."""
    counts: dict[str, int] = {}
    for school in data.get("schools", []):
        platform.add_school(school["id"], school["name"], school.get("timezone", "UTC"))
    for grade in data.get("grades", []):
        platform.add_grade(grade["id"], grade["name"], grade.get("position"))
    for subject in data.get("subjects", []):
        platform.add_subject(subject["id"], subject["name"])
    for name in ("schools", "grades", "subjects"):
        counts[name] = len(data.get(name, []))
    schools = [s["id"] for s in data.get("schools", [])]
    default_school = schools[0] if len(schools) == 1 else None

    def school_of(item: Mapping[str, Any], what: str) -> str:
        school = item.get("school") or default_school
        if not school:
            raise ReferencePlatformError(f"a seed {what} names no school (add \"school\")")
        return str(school)

    counter = [0]
    with platform.engine.begin() as conn:
        rows = []
        for item in data.get("classes", []):
            rows.append({
                "id": _id(item, RecordKind.CLASS, counter),
                "school_id": school_of(item, "class"), "sis_id": item.get("sis_id", ""),
                "title": item["title"], "code": item.get("code", ""),
                "class_type": item.get("class_type", "scheduled"),
                "course_sis_id": item.get("course_sis_id", ""),
                "term_sis_ids": json.dumps(item.get("terms", [])),
                "grade_ids": json.dumps(item.get("grades", [])),
                "subject_ids": json.dumps(item.get("subjects", [])),
                "location": item.get("location", ""), "archived": bool(item.get("archived")),
            })
        if rows:
            conn.execute(t.ref_classes.insert(), rows)
        counts["classes"] = len(rows)
        for key, kind in _PEOPLE.items():
            rows = []
            for item in data.get(key, []):
                row: dict[str, Any] = {f: str(item.get(f, "")) for f in _PERSON_FIELDS}
                row.update(
                    id=_id(item, kind, counter), school_id=school_of(item, "person"),
                    kind=PERSON_KIND[kind], grade_id=item.get("grade", ""),
                    roles=json.dumps(item.get("roles", [])),
                    enabled=bool(item.get("enabled", True)),
                    archived=bool(item.get("archived")),
                )
                rows.append(row)
            if rows:
                conn.execute(t.ref_people.insert(), rows)
            counts[key] = len(rows)
        rows = [
            {
                "id": _id(item, RecordKind.ENROLMENT, counter),
                "school_id": school_of(item, "enrolment"), "class_id": item["class"],
                "person_id": item["person"], "role": item.get("role", "student"),
                "is_primary": bool(item.get("primary")), "sis_id": item.get("sis_id", ""),
                "begin_date": _date(item.get("begin_date")),
                "end_date": _date(item.get("end_date")), "archived": bool(item.get("archived")),
            }
            for item in data.get("enrolments", [])
        ]
        if rows:
            conn.execute(t.ref_enrolments.insert(), rows)
        counts["enrolments"] = len(rows)
        rows = [
            {
                "id": _id(item, RecordKind.FAMILY_LINK, counter),
                "school_id": school_of(item, "family link"), "family_id": item["family"],
                "student_id": item["student"],
                "relationship": item.get("relationship", "guardian"),
                "archived": bool(item.get("archived")),
            }
            for item in data.get("family_links", [])
        ]
        if rows:
            conn.execute(t.ref_family_links.insert(), rows)
        counts["family_links"] = len(rows)
    return counts


def _person_label(row: Any) -> str:
    email = (row.email or "").strip().lower()
    return email or f"{row.given_name} {row.family_name}".strip()


def export_roster(platform: ReferencePlatform, school_id: str) -> dict[str, Any]:
    """The school's active roster with names instead of ids, every list sorted.

    Two platforms that hold the same roster export equal dicts, whatever their ids and
    whatever SIS ids they keep. Archived records (and what joins them) are left out.
    """
    grades = {g.id: g.name for g in platform.list_grades()}
    subjects = {s.id: s.name for s in platform.list_subjects()}
    with platform.engine.connect() as conn:
        classes = conn.execute(
            sa.select(t.ref_classes).where(
                t.ref_classes.c.school_id == school_id, t.ref_classes.c.archived.is_(False)
            )
        ).all()
        people = conn.execute(
            sa.select(t.ref_people).where(
                t.ref_people.c.school_id == school_id, t.ref_people.c.archived.is_(False)
            )
        ).all()
        enrolments = conn.execute(
            sa.select(t.ref_enrolments).where(
                t.ref_enrolments.c.school_id == school_id, t.ref_enrolments.c.archived.is_(False)
            )
        ).all()
        links = conn.execute(
            sa.select(t.ref_family_links).where(
                t.ref_family_links.c.school_id == school_id,
                t.ref_family_links.c.archived.is_(False),
            )
        ).all()
    class_title = {c.id: c.title for c in classes}
    person_label = {p.id: _person_label(p) for p in people}
    roster: dict[str, Any] = {
        "classes": sorted(
            (
                {
                    "title": c.title,
                    "grades": sorted(grades.get(g, g) for g in json.loads(c.grade_ids)),
                    "subjects": sorted(subjects.get(s, s) for s in json.loads(c.subject_ids)),
                }
                for c in classes
            ),
            key=lambda c: (c["title"], c["grades"], c["subjects"]),
        )
    }
    for key, kind in _PEOPLE.items():
        entries = []
        for p in people:
            if p.kind != PERSON_KIND[kind]:
                continue
            entry = {
                "given_name": p.given_name,
                "family_name": p.family_name,
                "email": (p.email or "").strip().lower(),
            }
            if kind is RecordKind.STUDENT:
                entry["grade"] = grades.get(p.grade_id, p.grade_id)
            entries.append(entry)
        roster[key] = sorted(entries, key=lambda e: tuple(e.values()))
    roster["enrolments"] = sorted(
        [class_title[e.class_id], person_label[e.person_id], e.role]
        for e in enrolments
        if e.class_id in class_title and e.person_id in person_label
    )
    roster["family_links"] = sorted(
        [person_label[x.family_id], person_label[x.student_id], x.relationship]
        for x in links
        if x.family_id in person_label and x.student_id in person_label
    )
    return roster
