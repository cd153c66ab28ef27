"""A deterministic generator of realistic school districts, as roster model records.

``generate_district(students=N, seed=S)`` builds the same district for the same arguments,
in every process: schools in proportion (elementary, middle, high), staff (~1 per 15
students), classes (~8 per student, ~25 per class; homerooms in elementary schools),
co-teachers, guardians (~1.5 per student, siblings share them), a teacher who is also a
parent, enrolments, terms, grades and subjects, and optional messiness (missing e-mails,
shared e-mails, students entered twice, invalid rows).

The fake SIS servers, the bundled sample district, the tests and the benchmarks all
serve districts made here. Ids are strings of digits, unique across the district, so
every SIS flavour can carry them (PowerSchool ids are integers).

``evolve_district`` makes a later snapshot of a district: new students, withdrawals and
teacher changes, also deterministic.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator

import attrs

from rostersync_core.model import (
    AcademicSession,
    ClassType,
    Course,
    Enrolment,
    EnrolmentRole,
    FamilyLink,
    Grade,
    Person,
    PersonKind,
    Record,
    School,
    SchoolClass,
    SessionType,
    Subject,
)

__all__ = [
    "GRADE_NAMES",
    "SUBJECTS",
    "District",
    "Messiness",
    "SchoolRoster",
    "evolve_district",
    "generate_district",
]

#: CEDS grade codes and their names.
GRADE_NAMES: dict[str, str] = {
    "KG": "Kindergarten",
    **{f"{g:02d}": f"Grade {g}" for g in range(1, 13)},
}
_BANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Elementary School", ("KG", "01", "02", "03", "04", "05")),
    ("Middle School", ("06", "07", "08")),
    ("High School", ("09", "10", "11", "12")),
)
#: (name, SCED subject area code) of the subjects classes are taught in.
SUBJECTS: tuple[tuple[str, str], ...] = (
    ("English Language Arts", "01"),
    ("Mathematics", "02"),
    ("Science", "03"),
    ("Social Studies", "04"),
    ("Visual Arts", "05"),
    ("World Languages", "06"),
    ("Physical Education", "08"),
    ("Computer Science", "10"),
)
_GIVEN = (
    "Aaliyah Aiden Amara Amelia Andre Aria Arjun Ava Benjamin Caleb Camila Carlos Chloe Daniel "
    "Diego Elena Elijah Emily Emma Ethan Fatima Gabriel Grace Hana Harper Hiro Isaac Isabella "
    "Jack Jamal Jasmine Jayden Kai Layla Leah Liam Lucas Luna Maya Mateo Mia Mohammed Naomi "
    "Noah Nora Oliver Olivia Omar Priya Rafael Riley Rosa Ruby Samuel Sara Sebastian Sofia "
    "Tariq Theo Valentina Wei William Yusuf Zara Zoe"
).split()
_FAMILY = (
    "Adams Ahmed Alvarez Anderson Brown Campbell Chen Clark Cohen Davis Diaz Edwards Evans "
    "Fischer Garcia Gomez Gonzalez Green Hall Harris Hernandez Hill Ibrahim Jackson Johnson "
    "Jones Kim Kowalski Lee Lewis Lopez Martin Martinez Miller Moore Murphy Nguyen Nowak "
    "O'Brien Okafor Patel Perez Phillips Ramirez Robinson Rodriguez Rossi Sanchez Scott Shah "
    "Singh Smith Suzuki Taylor Thomas Thompson Walker White Williams Wilson Wright Young Zhang"
).split()
_RELATIONSHIPS = ("mother", "father", "guardian", "grandparent", "aunt", "uncle")

_ID_BASE = {
    "school": 100,
    "session": 1_000,
    "course": 100_000,
    "class": 1_000_000,
    "staff": 2_000_000,
    "student": 3_000_000,
    "family": 6_000_000,
    "enrolment": 10_000_000,
}


@attrs.frozen
class Messiness:
    """How untidy the generated data is (rates between 0 and 1).

    - ``missing_email``: students and family members without an e-mail.
    - ``shared_email``: family members who share another family member's e-mail.
    - ``invalid``: students with no name at all (an SIS row that fails validation).
    - ``duplicate_people``: students entered twice: a second SIS record under another id
      with the same names, grade and e-mail, in no class and linked to no family (what a
      re-registration leaves behind). Matching finds both for one platform record and
      links neither by guess.

    A rate of 0 leaves the district exactly as without the knob (same ids, same records).
    """

    missing_email: float = 0.0
    shared_email: float = 0.0
    invalid: float = 0.0
    duplicate_people: float = 0.0


@attrs.define
class SchoolRoster:
    """Everything one school's SIS holds."""

    school: School
    grades: list[Grade] = attrs.field(factory=list)
    subjects: list[Subject] = attrs.field(factory=list)
    sessions: list[AcademicSession] = attrs.field(factory=list)
    courses: list[Course] = attrs.field(factory=list)
    classes: list[SchoolClass] = attrs.field(factory=list)
    people: list[Person] = attrs.field(factory=list)
    enrolments: list[Enrolment] = attrs.field(factory=list)
    family_links: list[FamilyLink] = attrs.field(factory=list)

    def students(self) -> list[Person]:
        return [p for p in self.people if p.kind is PersonKind.STUDENT]

    def staff(self) -> list[Person]:
        return [p for p in self.people if p.kind is PersonKind.STAFF]

    def family(self) -> list[Person]:
        return [p for p in self.people if p.kind is PersonKind.FAMILY]

    def records(self) -> Iterator[Record]:
        """Every record of the school (the school itself first)."""
        yield self.school
        yield from self.grades
        yield from self.subjects
        yield from self.sessions
        yield from self.courses
        yield from self.classes
        yield from self.people
        yield from self.enrolments
        yield from self.family_links

    def copy(self) -> SchoolRoster:
        return SchoolRoster(
            school=self.school,
            grades=list(self.grades),
            subjects=list(self.subjects),
            sessions=list(self.sessions),
            courses=list(self.courses),
            classes=list(self.classes),
            people=list(self.people),
            enrolments=list(self.enrolments),
            family_links=list(self.family_links),
        )


@attrs.define
class District:
    """A district: its name and each school's roster, by SIS school id."""

    name: str
    domain: str
    schools: dict[str, SchoolRoster] = attrs.field(factory=dict)
    seed: int = 0

    def school(self, sis_school_id: str) -> SchoolRoster:
        return self.schools[sis_school_id]

    def copy(self) -> District:
        return District(
            name=self.name,
            domain=self.domain,
            schools={k: v.copy() for k, v in self.schools.items()},
            seed=self.seed,
        )

    def counts(self) -> dict[str, int]:
        """How many records of each kind the whole district holds."""
        totals = {"schools": len(self.schools), "students": 0, "staff": 0, "family": 0,
                  "classes": 0, "enrolments": 0, "family_links": 0}
        for roster in self.schools.values():
            for p in roster.people:
                totals["students" if p.kind is PersonKind.STUDENT else
                       "staff" if p.kind is PersonKind.STAFF else "family"] += 1
            totals["classes"] += len(roster.classes)
            totals["enrolments"] += len(roster.enrolments)
            totals["family_links"] += len(roster.family_links)
        return totals


class _Ids:
    def __init__(self) -> None:
        self._next = dict(_ID_BASE)

    def __call__(self, kind: str) -> str:
        value = self._next[kind]
        self._next[kind] = value + 1
        return str(value)


class _Builder:
    """Builds one district; state shared by the per-school steps."""

    def __init__(self, seed: int, domain: str, messiness: Messiness) -> None:
        self.rng = random.Random(seed)
        self.ids = _Ids()
        self.domain = domain
        self.messiness = messiness
        self.emails: set[str] = set()

    def email(self, given: str, family: str, host: str) -> str:
        base = f"{given}.{family}".lower().replace("'", "")
        candidate = f"{base}@{host}"
        n = 1
        while candidate in self.emails:
            n += 1
            candidate = f"{base}{n}@{host}"
        self.emails.add(candidate)
        return candidate

    def name(self) -> tuple[str, str]:
        return self.rng.choice(_GIVEN), self.rng.choice(_FAMILY)

    def student(self, grade: str, family_name: str | None = None) -> Person:
        given, family = self.name()
        family = family_name or family
        sis_id = self.ids("student")
        m = self.messiness
        if m.invalid and self.rng.random() < m.invalid:
            return Person(sis_id, PersonKind.STUDENT, "", "", grade_id=grade, identifier=sis_id)
        email = ""
        if not (m.missing_email and self.rng.random() < m.missing_email):
            email = self.email(given, family, f"students.{self.domain}")
        return Person(
            sis_id,
            PersonKind.STUDENT,
            given,
            family,
            email=email,
            username=email.split("@")[0] if email else f"s{sis_id}",
            identifier=f"S{sis_id[-6:]}",
            grade_id=grade,
        )

    def staff(self, roles: tuple[str, ...]) -> Person:
        given, family = self.name()
        sis_id = self.ids("staff")
        email = self.email(given, family, self.domain)
        title = self.rng.choice(("Ms", "Mr", "Dr", "Mx"))
        return Person(
            sis_id,
            PersonKind.STAFF,
            given,
            family,
            preferred_name=f"{title} {family}",
            email=email,
            username=email.split("@")[0],
            identifier=f"T{sis_id[-5:]}",
            roles=roles,
        )

    def guardian(self, family_name: str) -> Person:
        given = self.rng.choice(_GIVEN)
        sis_id = self.ids("family")
        m = self.messiness
        email = ""
        if not (m.missing_email and self.rng.random() < m.missing_email):
            email = self.email(given, family_name, "mail.example.com")
        phone = f"555-{self.rng.randrange(1000, 9999)}"
        return Person(sis_id, PersonKind.FAMILY, given, family_name, email=email, phone=phone)


def _school_plan(students: int) -> list[tuple[str, tuple[str, ...], int]]:
    """(band name, grades, students) per school, about 600 students a school."""
    if students <= 800:
        grades = tuple(GRADE_NAMES)
        return [("School", grades, students)]
    schools = max(3, round(students / 600))
    # elementary : middle : high = 2 : 1 : 1 by school count, students by grade count
    counts = {0: max(1, schools // 2), 1: max(1, schools // 4)}
    counts[2] = max(1, schools - counts[0] - counts[1])
    grade_total = sum(len(g) for _, g in _BANDS)
    plan = []
    for band_index, (band, grades) in enumerate(_BANDS):
        band_students = round(students * len(grades) / grade_total)
        n = counts[band_index]
        for i in range(n):
            share = band_students // n + (1 if i < band_students % n else 0)
            plan.append((band, grades, share))
    return plan


def generate_district(
    students: int = 300,
    *,
    seed: int = 1,
    name: str = "Maple Valley Unified",
    domain: str = "maplevalley.example.org",
    messiness: Messiness | None = None,
    school_year: int = 2026,
) -> District:
    """Generate a district of about ``students`` students, the same for the same arguments."""
    builder = _Builder(seed, domain, messiness or Messiness())
    district = District(name=name, domain=domain, seed=seed)
    towns = ("Maple", "Cedar", "Riverside", "Oak Hill", "Lakeview", "Pine", "Summit", "Willow")
    for index, (band, grades, count) in enumerate(_school_plan(students)):
        town = towns[index % len(towns)] + (f" {index // len(towns) + 1}" if index >= 8 else "")
        school = School(
            builder.ids("school"), f"{town} {band}".strip(), identifier=f"{index + 1:03d}"
        )
        roster = _build_school(builder, school, grades, count, school_year)
        district.schools[school.sis_id] = roster
    _add_teacher_parent(district)
    return district


def _duplicates(b: _Builder, students_by_grade: dict[str, list[Person]]) -> list[Person]:
    """Second SIS records of some students (``Messiness.duplicate_people``)."""
    rate = b.messiness.duplicate_people
    if not rate:
        return []
    return [
        attrs.evolve(student, sis_id=b.ids("student"))
        for kids in students_by_grade.values()
        for student in kids
        if student.given_name and b.rng.random() < rate
    ]


def _build_school(
    b: _Builder, school: School, grades: tuple[str, ...], n_students: int, year: int
) -> SchoolRoster:
    roster = SchoolRoster(school=school)
    roster.grades = [Grade(g, GRADE_NAMES[g]) for g in grades]
    roster.subjects = [Subject(name, name, code) for name, code in SUBJECTS]
    year_id = b.ids("session")
    roster.sessions = [
        AcademicSession(year_id, f"{year}-{year + 1}", SessionType.SCHOOL_YEAR,
                        dt.date(year, 8, 20), dt.date(year + 1, 6, 15)),
        AcademicSession(b.ids("session"), f"Fall {year}", SessionType.SEMESTER,
                        dt.date(year, 8, 20), dt.date(year, 12, 20), parent_sis_id=year_id),
        AcademicSession(b.ids("session"), f"Spring {year + 1}", SessionType.SEMESTER,
                        dt.date(year + 1, 1, 6), dt.date(year + 1, 6, 15), parent_sis_id=year_id),
    ]
    term_ids = tuple(s.sis_id for s in roster.sessions[1:])
    elementary = grades[0] == "KG" and len(grades) <= 6

    # Students, spread evenly over the grades, siblings sharing guardians.
    students_by_grade: dict[str, list[Person]] = {g: [] for g in grades}
    families: list[tuple[list[Person], list[Person]]] = []  # (guardians, children)
    made = 0
    while made < n_students:
        siblings = 1 if b.rng.random() < 0.8 else 2 if b.rng.random() < 0.8 else 3
        siblings = min(siblings, n_students - made)
        family_name = b.rng.choice(_FAMILY)
        children: list[Person] = []
        for _ in range(siblings):
            grade = grades[(made * 7 + len(children)) % len(grades)]
            child = b.student(grade, family_name)
            students_by_grade[grade].append(child)
            children.append(child)
            made += 1
        guardians = [b.guardian(family_name)]
        if b.rng.random() < 0.85:
            guardians.append(b.guardian(family_name))
        families.append((guardians, children))

    shared = b.messiness.shared_email
    all_guardians: list[Person] = []
    for guardians, children in families:
        for guardian in guardians:
            if shared and all_guardians and guardian.email and b.rng.random() < shared:
                other = b.rng.choice(all_guardians)
                if other.email:
                    guardian = attrs.evolve(guardian, email=other.email)
            all_guardians.append(guardian)
            roster.people.append(guardian)
            for child in children:
                relationship = b.rng.choice(_RELATIONSHIPS[:3])
                roster.family_links.append(FamilyLink(guardian.sis_id, child.sis_id, relationship))

    # Staff: a principal, then teachers (~1 staff per 15 students).
    principal = b.staff(("administrator",))
    teachers = [b.staff(("teacher",)) for _ in range(max(2, round(n_students / 15)))]
    roster.people[:0] = [principal, *teachers]
    for grade in grades:
        roster.people.extend(students_by_grade[grade])
    roster.people.extend(_duplicates(b, students_by_grade))

    # Courses and classes: 8 slots per student, ~25 per class.
    teacher_cycle = 0
    slots = list(SUBJECTS)
    for grade in grades:
        kids = students_by_grade[grade]
        if not kids:
            continue
        sections = max(1, math.ceil(len(kids) / 25))
        grade_name = GRADE_NAMES[grade]
        subject_slots: list[tuple[str, str] | None] = (
            [None, *slots[:7]] if elementary else list(slots)
        )
        for slot in subject_slots:
            course = None
            if slot is not None:
                course = Course(
                    b.ids("course"),
                    f"{slot[0]} {grade_name.removeprefix('Grade ')}".replace("Kindergarten", "K"),
                    code=f"{slot[0][:4].upper()}-{grade}",
                    grade_ids=(grade,),
                    subject_ids=(slot[0],),
                )
                roster.courses.append(course)
            for section in range(sections):
                letter = chr(ord("A") + section % 26)
                if course is None:
                    title = f"Homeroom {grade_name} {letter}"
                    klass = SchoolClass(
                        b.ids("class"), title, code=f"HR-{grade}-{letter}",
                        class_type=ClassType.HOMEROOM, term_sis_ids=(roster.sessions[0].sis_id,),
                        grade_ids=(grade,), location=f"Room {100 + section}",
                    )
                else:
                    klass = SchoolClass(
                        b.ids("class"), f"{course.title} - {letter}",
                        code=f"{course.code}-{letter}", course_sis_id=course.sis_id,
                        term_sis_ids=term_ids, grade_ids=(grade,),
                        subject_ids=course.subject_ids, location=f"Room {200 + section}",
                    )
                roster.classes.append(klass)
                teacher = teachers[teacher_cycle % len(teachers)]
                teacher_cycle += 1
                roster.enrolments.append(
                    Enrolment(klass.sis_id, teacher.sis_id, EnrolmentRole.TEACHER, primary=True,
                              sis_id=b.ids("enrolment"))
                )
                if b.rng.random() < 0.05:  # a co-teacher
                    co = teachers[(teacher_cycle + len(teachers) // 2) % len(teachers)]
                    if co.sis_id != teacher.sis_id:
                        roster.enrolments.append(
                            Enrolment(klass.sis_id, co.sis_id, EnrolmentRole.TEACHER,
                                      primary=False, sis_id=b.ids("enrolment"))
                        )
                for kid in kids[section::sections]:
                    roster.enrolments.append(
                        Enrolment(klass.sis_id, kid.sis_id, EnrolmentRole.STUDENT,
                                  sis_id=b.ids("enrolment"))
                    )
    return roster


def _add_teacher_parent(district: District) -> None:
    """Make one teacher also a parent: a family member with the teacher's name and e-mail."""
    roster = next(iter(district.schools.values()))
    teachers = [p for p in roster.staff() if "teacher" in p.roles]
    guardians = roster.family()
    if not teachers or not guardians:
        return
    teacher, guardian = teachers[0], guardians[-1]
    parent = attrs.evolve(
        guardian, given_name=teacher.given_name, family_name=teacher.family_name,
        email=teacher.email,
    )
    roster.people[roster.people.index(guardian)] = parent


def evolve_district(
    district: District,
    *,
    seed: int = 2,
    new_students: int = 3,
    withdrawals: int = 1,
    teacher_changes: int = 1,
) -> District:
    """A later snapshot: new students (enrolled in their grade's classes), withdrawn
    students (gone with their enrolments and links), classes whose teacher changed."""
    rng = random.Random(seed)
    evolved = district.copy()
    builder = _Builder(seed, district.domain, Messiness())
    builder.emails = {p.email for r in district.schools.values() for p in r.people if p.email}
    used = [int(p.sis_id) for r in district.schools.values() for p in r.people]
    base = max(used) + 1
    builder.ids._next = {k: base + 10_000 * i for i, k in enumerate(_ID_BASE)}
    school_ids = sorted(evolved.schools)
    for i in range(new_students):
        roster = evolved.schools[school_ids[i % len(school_ids)]]
        grade = rng.choice([g.sis_id for g in roster.grades])
        student = builder.student(grade)
        roster.people.append(student)
        by_slot: dict[str, SchoolClass] = {}
        for klass in roster.classes:
            if grade in klass.grade_ids:
                by_slot.setdefault(klass.course_sis_id or "homeroom", klass)
        for klass in by_slot.values():
            roster.enrolments.append(
                Enrolment(klass.sis_id, student.sis_id, EnrolmentRole.STUDENT,
                          sis_id=builder.ids("enrolment"))
            )
    for i in range(withdrawals):
        roster = evolved.schools[school_ids[i % len(school_ids)]]
        leaving = rng.choice(roster.students())
        roster.people.remove(leaving)
        roster.enrolments = [e for e in roster.enrolments if e.person_sis_id != leaving.sis_id]
        roster.family_links = [f for f in roster.family_links
                               if f.student_sis_id != leaving.sis_id]
    for i in range(teacher_changes):
        roster = evolved.schools[school_ids[i % len(school_ids)]]
        teachers = [p for p in roster.staff() if "teacher" in p.roles]
        lead = [e for e in roster.enrolments if e.role is EnrolmentRole.TEACHER and e.primary]
        old = rng.choice(lead)
        taken = {e.person_sis_id for e in roster.enrolments if e.class_sis_id == old.class_sis_id}
        new_teacher = next(t for t in teachers if t.sis_id not in taken)
        roster.enrolments[roster.enrolments.index(old)] = attrs.evolve(
            old, person_sis_id=new_teacher.sis_id, sis_id=builder.ids("enrolment")
        )
    return evolved
