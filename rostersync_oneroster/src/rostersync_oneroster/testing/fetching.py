"""Fetch one school's whole roster through the connector's hooks (tests and benchmarks)."""

from __future__ import annotations

from typing import Any

import attrs

from rostersync_core.districts import District
from rostersync_core.fetch import FetchContext
from rostersync_core.model import (
    AcademicSession,
    Course,
    Enrolment,
    FamilyLink,
    Grade,
    Person,
    Record,
    SchoolClass,
    Subject,
)
from rostersync_oneroster.connector import OneRosterConnector, OneRosterSession
from rostersync_oneroster.testing.shapes import family_role

__all__ = ["Fetched", "fetch_school", "oneroster_family_links"]


@attrs.define
class Fetched:
    """Everything one school's fetch yielded, and what it reported (``context``)."""

    grades: list[Grade]
    subjects: list[Subject]
    classes: list[AcademicSession | Course | SchoolClass]
    people: list[Person]
    enrolments: list[Enrolment | FamilyLink]
    context: FetchContext

    def records(self) -> set[Record]:
        return {*self.grades, *self.subjects, *self.classes, *self.people, *self.enrolments}

    def of(self, cls: type) -> set[Any]:
        """The records of one type (``Person``, ``Enrolment``, ``FamilyLink``...)."""
        return {r for r in self.records() if type(r) is cls}


def fetch_school(
    connector: OneRosterConnector, session: OneRosterSession, school_id: str, **context: Any
) -> Fetched:
    """Call the five fetch hooks in the engine's order for one school.

    ``context`` holds extra :class:`FetchContext` fields (``since``, ``limit``).
    """
    ctx = FetchContext(sis_school_id=school_id, **context)
    return Fetched(
        list(connector.rostersync_fetch_grades(session, ctx)),
        list(connector.rostersync_fetch_subjects(session, ctx)),
        list(connector.rostersync_fetch_classes(session, ctx)),
        list(connector.rostersync_fetch_people(session, ctx)),
        list(connector.rostersync_fetch_enrolments(session, ctx)),
        ctx,
    )


def oneroster_family_links(district: District, school_id: str) -> set[FamilyLink]:
    """A school's family links as OneRoster carries them: one role per family member
    (``parent``, ``guardian`` or ``relative``, from their first link)."""
    roster = district.school(school_id)
    first: dict[str, str] = {}
    for link in roster.family_links:
        first.setdefault(link.family_sis_id, family_role(link.relationship))
    return {attrs.evolve(lk, relationship=first[lk.family_sis_id]) for lk in roster.family_links}
