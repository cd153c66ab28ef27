"""The reference platform's bulk write paths (COPY and JSON on PostgreSQL, executemany on
SQLite) store every value exactly, on both backends: what ``list_records`` returns is what
was written, and a failing batch leaves nothing, not even its keys."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from rostersync_core.model import (
    ClassType,
    Enrolment,
    EnrolmentRole,
    FamilyLink,
    Person,
    PersonKind,
    RecordKind,
    SchoolClass,
)
from rostersync_core.platform.protocol import ChangeAction, PlatformChange, PlatformValues
from rostersync_core.platform.reference import ReferencePlatform

ODD = ["Zoë 李 😀", "007", "", " a ", "q'\"\\,x", "l\nb\tt\r", "\\N", "\\.", "null", "[]"]


@pytest.fixture
def school(platform: ReferencePlatform) -> str:
    platform.add_school("north", "North High")
    return "north"


def _person(i: int, text: str, kind: PersonKind = PersonKind.STUDENT) -> Person:
    return Person(
        sis_id=f"S-{text}-{i}", kind=kind, given_name=text, family_name=text[::-1],
        middle_name=text, preferred_name="", email=text, username=text, identifier="007",
        grade_id=text, phone="+1 (555) 0100", roles=(text, "x,y", '"q"'), enabled=i % 2 == 0,
    )


def _change(key: str, kind: RecordKind, action: ChangeAction, pid: str = "",
            values: PlatformValues | None = None, fields: tuple[str, ...] = ()) -> PlatformChange:
    return PlatformChange(key, kind, action, pid, values, fields)


def _values(platform: ReferencePlatform, school: str, kind: RecordKind) -> dict[str, object]:
    return {r.platform_id: (r.values, r.archived) for r in platform.list_records(school, kind)}


def test_created_and_updated_people_read_back_exactly(
    platform: ReferencePlatform, school: str
) -> None:
    people = [_person(i, text) for i, text in enumerate(ODD)]
    ids = platform.apply_changes(
        school, [_change(f"c/{i}", RecordKind.STUDENT, ChangeAction.CREATE, values=p)
                 for i, p in enumerate(people)],
    )
    assert _values(platform, school, RecordKind.STUDENT) == {
        pid: (p, False) for pid, p in zip(ids, people, strict=True)
    }
    # every field updated, to the values of another record (shifted by one)
    fields = tuple(a.name for a in attrs.fields(Person) if a.name != "kind")
    changed = [attrs.evolve(_person(i + 1, ODD[(i + 1) % len(ODD)]), sis_id=p.sis_id)
               for i, p in enumerate(people)]
    platform.apply_changes(
        school, [_change(f"u/{i}", RecordKind.STUDENT, ChangeAction.UPDATE, pid, v, fields)
                 for i, (pid, v) in enumerate(zip(ids, changed, strict=True))],
    )
    assert _values(platform, school, RecordKind.STUDENT) == {
        pid: (v, False) for pid, v in zip(ids, changed, strict=True)
    }
    # archive, then restore writing fields back: exactly the first values again
    platform.apply_changes(
        school, [_change(f"a/{i}", RecordKind.STUDENT, ChangeAction.ARCHIVE, pid)
                 for i, pid in enumerate(ids)],
    )
    assert all(archived for _, archived in _values(platform, school, RecordKind.STUDENT).values())
    platform.apply_changes(
        school, [_change(f"r/{i}", RecordKind.STUDENT, ChangeAction.RESTORE, pid, p, fields)
                 for i, (pid, p) in enumerate(zip(ids, people, strict=True))],
    )
    assert _values(platform, school, RecordKind.STUDENT) == {
        pid: (p, False) for pid, p in zip(ids, people, strict=True)
    }
    assert _values(platform, school, RecordKind.STAFF) == {}


def test_classes_enrolments_and_links_read_back_exactly(
    platform: ReferencePlatform, school: str
) -> None:
    cls = SchoolClass("C-1", "Maths\t1", "M\\1", ClassType.HOMEROOM, "007", ("t1", "t,2"),
                      ("g-1",), (), "Room \"4\"")
    [cid, sid, fid] = platform.apply_changes(school, [
        _change("k/1", RecordKind.CLASS, ChangeAction.CREATE, values=cls),
        _change("k/2", RecordKind.STUDENT, ChangeAction.CREATE, values=_person(0, "a")),
        _change("k/3", RecordKind.FAMILY, ChangeAction.CREATE,
                values=_person(1, "b", PersonKind.FAMILY)),
    ])
    enrolments = [
        Enrolment(cid, sid, EnrolmentRole.STUDENT, True, dt.date(2026, 9, 1), None, "E-\\N"),
        Enrolment(cid, fid, EnrolmentRole.TEACHER, False, None, dt.date(2027, 6, 30), ""),
    ]
    link = FamilyLink(fid, sid, "grand\nparent")
    eids = platform.apply_changes(
        school, [_change(f"e/{i}", RecordKind.ENROLMENT, ChangeAction.CREATE, values=e)
                 for i, e in enumerate(enrolments)],
    )
    [lid] = platform.apply_changes(
        school, [_change("l/1", RecordKind.FAMILY_LINK, ChangeAction.CREATE, values=link)]
    )
    assert _values(platform, school, RecordKind.CLASS) == {cid: (cls, False)}
    assert _values(platform, school, RecordKind.ENROLMENT) == {
        eid: (e, False) for eid, e in zip(eids, enrolments, strict=True)
    }
    assert _values(platform, school, RecordKind.FAMILY_LINK) == {lid: (link, False)}
    swapped = [
        attrs.evolve(enrolments[0], primary=False, begin_date=None, end_date=dt.date(2026, 1, 2)),
        attrs.evolve(enrolments[1], primary=True, begin_date=dt.date(2025, 2, 3), end_date=None),
    ]
    platform.apply_changes(
        school, [_change(f"eu/{i}", RecordKind.ENROLMENT, ChangeAction.UPDATE, eid, e,
                         ("primary", "begin_date", "end_date"))
                 for i, (eid, e) in enumerate(zip(eids, swapped, strict=True))],
    )
    assert _values(platform, school, RecordKind.ENROLMENT) == {
        eid: (e, False) for eid, e in zip(eids, swapped, strict=True)
    }


def test_a_batch_failing_at_its_end_leaves_no_record_and_no_key(
    platform: ReferencePlatform, school: str
) -> None:
    good = [_change(f"g/{i}", RecordKind.STUDENT, ChangeAction.CREATE, values=_person(i, "ok"))
            for i in range(3)]
    [pid] = platform.apply_changes(school, [good[0]])
    too_long = _change("bad", RecordKind.STUDENT, ChangeAction.UPDATE, pid,
                       attrs.evolve(_person(0, "ok"), given_name="n" * 201), ("given_name",))
    before = _values(platform, school, RecordKind.STUDENT)
    try:
        platform.apply_changes(school, [*good[1:], too_long])
    except Exception:  # PostgreSQL refuses a name longer than its column
        assert _values(platform, school, RecordKind.STUDENT) == before
        again = platform.apply_changes(school, good[1:])
        assert len(set(again)) == 2
        assert len(platform.list_records(school, RecordKind.STUDENT)) == 3
    else:  # SQLite ignores lengths: the whole name is kept
        [record] = [r for r in platform.list_records(school, RecordKind.STUDENT)
                    if r.platform_id == pid]
        assert isinstance(record.values, Person)
        assert record.values.given_name == "n" * 201


def test_an_update_without_fields_changes_nothing_but_needs_its_record(
    platform: ReferencePlatform, school: str
) -> None:
    ada = _person(0, "Ada")
    [pid] = platform.apply_changes(
        school, [_change("n/1", RecordKind.STUDENT, ChangeAction.CREATE, values=ada)]
    )
    other = _person(1, "Bo")
    assert platform.apply_changes(
        school, [_change("n/2", RecordKind.STUDENT, ChangeAction.UPDATE, pid, other)]
    ) == [pid]
    assert _values(platform, school, RecordKind.STUDENT) == {pid: (ada, False)}
    with pytest.raises(ValueError, match="stu_gone"):
        platform.apply_changes(
            school, [_change("n/3", RecordKind.STUDENT, ChangeAction.UPDATE, "stu_gone", other)]
        )
