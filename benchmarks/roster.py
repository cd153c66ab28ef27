"""Benchmark districts and the rostersync side: a state store, the reference platform,
one platform school bound through the OneRoster connector, grades and subjects mapped.

Two district shapes:

- ``one_school(district)``: every school's roster merged into one SIS school, so one
  ``run_sync`` moves the whole district (the engine's throughput at full size);
- the generator's own shape (~600 students a school), synced school by school.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rostersync_core.districts import GRADE_NAMES, SUBJECTS, District, SchoolRoster
from rostersync_core.model import PersonKind, RecordKind, School
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.plugins import PluginHost
from rostersync_core.setup import setup_school
from rostersync_core.store import StateStore

__all__ = ["bind_school", "counts", "one_school", "platform_school_id", "prepare_platform"]


def one_school(district: District) -> District:
    """The district as one SIS school holding every roster (ids are district-unique)."""
    rosters = list(district.schools.values())
    first = rosters[0]
    merged = SchoolRoster(school=first.school)
    grades = {g.sis_id: g for r in rosters for g in r.grades}
    merged.grades = sorted(grades.values(), key=lambda g: list(GRADE_NAMES).index(g.sis_id))
    merged.subjects = list(first.subjects)
    for roster in rosters:
        merged.sessions.extend(roster.sessions)
        merged.courses.extend(roster.courses)
        merged.classes.extend(roster.classes)
        merged.people.extend(roster.people)
        merged.enrolments.extend(roster.enrolments)
        merged.family_links.extend(roster.family_links)
    return District(
        name=district.name,
        domain=district.domain,
        schools={first.school.sis_id: merged},
        seed=district.seed,
    )


def counts(district: District) -> dict[str, int]:
    """Records of each kind in the district (people by kind, classes, enrolments...)."""
    out = {"students": 0, "staff": 0, "family": 0, "classes": 0, "courses": 0,
           "sessions": 0, "enrolments": 0, "family_links": 0,
           "schools": len(district.schools)}
    for roster in district.schools.values():
        for person in roster.people:
            key = {PersonKind.STUDENT: "students", PersonKind.STAFF: "staff",
                   PersonKind.FAMILY: "family"}[person.kind]
            out[key] += 1
        out["classes"] += len(roster.classes)
        out["courses"] += len(roster.courses)
        out["sessions"] += len(roster.sessions)
        out["enrolments"] += len(roster.enrolments)
        out["family_links"] += len(roster.family_links)
    out["records"] = sum(v for k, v in out.items() if k != "schools")
    return out


def platform_school_id(sis_school_id: str) -> str:
    return f"bench-{sis_school_id}"


def prepare_platform(platform: ReferencePlatform) -> None:
    """Every grade and subject the generator uses, on the platform (ids ``grade-KG``...)."""
    for position, (code, name) in enumerate(GRADE_NAMES.items()):
        platform.add_grade(f"grade-{code}", name, position)
    for name, _code in SUBJECTS:
        platform.add_subject(_subject_id(name), name)


def _subject_id(name: str) -> str:
    return name.lower().replace(" ", "-")


def bind_school(
    store: StateStore,
    host: PluginHost,
    platform: ReferencePlatform,
    school: School,
    config: Mapping[str, Any],
    connector: str = "oneroster",
) -> str:
    """Create the platform school for SIS ``school``, set it up and map its values; its id."""
    school_id = platform_school_id(school.sis_id)
    platform.add_school(school_id, school.name)
    setup_school(store, host, platform, school_id, connector, config, school.sis_id)
    store.save_value_mappings(
        school_id, RecordKind.GRADE, {code: f"grade-{code}" for code in GRADE_NAMES}
    )
    store.save_value_mappings(
        school_id, RecordKind.SUBJECT, {name: _subject_id(name) for name, _ in SUBJECTS}
    )
    return school_id
