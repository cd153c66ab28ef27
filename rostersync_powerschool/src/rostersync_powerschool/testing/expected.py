"""What the connector should yield for a generated district served by the fake server.

PowerSchool cannot carry everything a generated district holds, so the records the
connector yields differ from the district's in documented ways only:

- grade ids are PowerSchool's integer grade levels as strings (``"KG"`` -> ``"0"``);
- a section has one term: a class taught over several terms is in their parent
  (year-long) term;
- staff have no preferred name (PowerSchool's staff resource has none);
- subjects are those of the school's courses (a subject no course uses is not seen);
- a lead teacher's enrolment id is the co-teacher PowerQuery row's id (the district's
  enrolment id, as the fake serves it).

:func:`expected_records` applies exactly these differences to a district's school, so a
test can compare what the connector yields with the district itself.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from rostersync_core.districts import SchoolRoster
from rostersync_core.model import (
    Grade,
    Person,
    PersonKind,
    Record,
    SchoolClass,
)
from rostersync_powerschool.normalise import grade_name
from rostersync_powerschool.testing.render import ps_grade

__all__ = ["expected_records", "ps_grade_id"]


def ps_grade_id(ceds: str) -> str:
    """The grade id the connector yields for a CEDS grade code."""
    return str(ps_grade(ceds))


def _grades(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(ps_grade_id(g) for g in ids)


def _class(klass: SchoolClass, roster: SchoolRoster) -> SchoolClass:
    terms = klass.term_sis_ids
    if len(terms) > 1:
        parents = {s.parent_sis_id for s in roster.sessions if s.sis_id in terms}
        terms = (parents.pop(),) if len(parents) == 1 and "" not in parents else terms[:1]
    return attrs.evolve(klass, term_sis_ids=terms, grade_ids=_grades(klass.grade_ids))


def _person(person: Person) -> Person:
    if person.kind is PersonKind.STUDENT:
        return attrs.evolve(person, grade_id=ps_grade_id(person.grade_id))
    if person.kind is PersonKind.STAFF:
        return attrs.evolve(person, preferred_name="")
    return person


def expected_records(roster: SchoolRoster, *, valid_only: bool = True) -> list[Record]:
    """Every record of ``roster`` as the connector should yield it (school excluded).

    ``valid_only`` drops students without a name (the connector reports them as invalid)
    and everything that refers to them.
    """
    invalid = {
        p.sis_id for p in roster.students() if valid_only and not (p.given_name or p.family_name)
    }
    levels = sorted(ps_grade(g.sis_id) for g in roster.grades)
    records: list[Record] = [
        Grade(str(level), grade_name(level)) for level in range(levels[0], levels[-1] + 1)
    ] if levels else []
    used = {s for c in roster.courses for s in c.subject_ids}
    records.extend(s for s in roster.subjects if s.sis_id in used)
    records.extend(roster.sessions)
    records.extend(
        attrs.evolve(c, grade_ids=_grades(c.grade_ids)) for c in roster.courses
    )
    records.extend(_class(c, roster) for c in roster.classes)
    records.extend(_person(p) for p in roster.people if p.sis_id not in invalid)
    records.extend(e for e in roster.enrolments if e.person_sis_id not in invalid)
    records.extend(f for f in roster.family_links if f.student_sis_id not in invalid)
    family_in_use = {f.family_sis_id for f in roster.family_links
                     if f.student_sis_id not in invalid}
    return [r for r in records
            if not (isinstance(r, Person) and r.kind is PersonKind.FAMILY
                    and r.sis_id not in family_in_use)]


