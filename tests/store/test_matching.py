"""Existing-data matching: each rule, in order, and the cases left for a person."""

from __future__ import annotations

from rostersync_core.matching import match_records
from rostersync_core.model import Person, PersonKind, RecordKind, SchoolClass
from rostersync_core.platform.protocol import PlatformRecord


def student(sis_id: str, given: str = "Ada", family: str = "Lovelace", email: str = "",
            grade: str = "") -> Person:
    return Person(sis_id=sis_id, kind=PersonKind.STUDENT, given_name=given,
                  family_name=family, email=email, grade_id=grade)


def on_platform(pid: str, values: Person | SchoolClass, kind: RecordKind = RecordKind.STUDENT,
                archived: bool = False) -> PlatformRecord:
    return PlatformRecord(kind, pid, values, archived)


def test_an_existing_link_wins_over_every_other_rule() -> None:
    result = match_records(
        RecordKind.STUDENT,
        [student("S-1", email="ada@example.org")],
        [on_platform("p-1", student("", email="other@example.org")),
         on_platform("p-2", student("S-1", email="ada@example.org"))],
        links={"S-1": "p-1"}, grade_mappings={},
    )
    assert result.matched["S-1"].platform_id == "p-1"
    assert result.matched["S-1"].rule == "link"


def test_the_sis_id_kept_on_the_platform_record_matches() -> None:
    result = match_records(RecordKind.STUDENT, [student("S-1")],
                           [on_platform("p-1", student("S-1", given="Augusta"))], {}, {})
    candidate = result.matched["S-1"]
    assert (candidate.platform_id, candidate.rule) == ("p-1", "sis_id")
    assert "S-1" in candidate.reason


def test_email_matches_ignoring_case_and_whitespace() -> None:
    result = match_records(
        RecordKind.STUDENT, [student("S-1", email="  Ada@Example.ORG ")],
        [on_platform("p-1", student("", given="A.", email="ada@example.org"))], {}, {})
    assert result.matched["S-1"].rule == "email"
    assert result.matched["S-1"].platform_id == "p-1"


def test_a_student_matches_by_name_and_mapped_grade() -> None:
    result = match_records(
        RecordKind.STUDENT, [student("S-1", given="ada ", family="LOVELACE", grade="01")],
        [on_platform("p-1", student("", grade="g-1")),
         on_platform("p-2", student("", grade="g-2"))],
        {}, {"01": "g-1"})
    assert result.matched["S-1"].platform_id == "p-1"
    assert result.matched["S-1"].rule == "name_grade"


def test_name_without_a_mapped_grade_does_not_match() -> None:
    result = match_records(RecordKind.STUDENT, [student("S-1", grade="01")],
                           [on_platform("p-1", student("", grade="g-1"))], {}, {})
    assert result.unmatched == ("S-1",)


def test_staff_are_never_matched_by_name_alone() -> None:
    teacher = Person(sis_id="T-1", kind=PersonKind.STAFF, given_name="Alan", family_name="Turing")
    result = match_records(RecordKind.STAFF, [teacher],
                           [on_platform("p-1", Person(sis_id="", kind=PersonKind.STAFF,
                                                      given_name="Alan", family_name="Turing"),
                                        RecordKind.STAFF)], {}, {})
    assert result.unmatched == ("T-1",)


def test_two_platform_students_with_one_email_are_ambiguous() -> None:
    result = match_records(
        RecordKind.STUDENT, [student("S-1", email="twin@example.org")],
        [on_platform("p-1", student("", given="Ada", email="twin@example.org")),
         on_platform("p-2", student("", given="Ida", email="TWIN@example.org"))], {}, {})
    assert "S-1" not in result.matched
    assert {c.platform_id for c in result.ambiguous["S-1"]} == {"p-1", "p-2"}
    assert all("2 platform records match" in c.reason for c in result.ambiguous["S-1"])


def test_a_platform_record_linked_to_another_sis_record_is_ambiguous() -> None:
    result = match_records(
        RecordKind.STUDENT, [student("S-2", email="ada@example.org")],
        [on_platform("p-1", student("", email="ada@example.org"))],
        links={"S-1": "p-1"}, grade_mappings={})
    [candidate] = result.ambiguous["S-2"]
    assert "already linked to SIS record 'S-1'" in candidate.reason


def test_a_platform_record_keeping_another_sis_id_is_not_matched_by_email() -> None:
    result = match_records(
        RecordKind.STUDENT, [student("S-2", email="ada@example.org")],
        [on_platform("p-1", student("S-1", email="ada@example.org"))], {}, {})
    assert "S-2" not in result.matched
    [candidate] = result.ambiguous["S-2"]
    assert "keeps another SIS id 'S-1'" in candidate.reason


def test_a_class_keeping_another_sis_id_is_not_matched_by_title() -> None:
    result = match_records(
        RecordKind.CLASS, [SchoolClass(sis_id="C-2", title="Math 1A")],
        [on_platform("c-1", SchoolClass(sis_id="C-1", title="Math 1A"), RecordKind.CLASS)],
        {}, {})
    assert "C-2" not in result.matched
    assert [c.platform_id for c in result.ambiguous["C-2"]] == ["c-1"]


def test_a_namesake_in_the_same_grade_with_another_email_is_not_linked() -> None:
    result = match_records(
        RecordKind.STUDENT, [student("S-1", email="ada.l@example.org", grade="01")],
        [on_platform("p-1", student("", email="ada.m@example.org", grade="g-1"))],
        {}, {"01": "g-1"})
    assert "S-1" not in result.matched
    [candidate] = result.ambiguous["S-1"]
    assert "e-mails differ" in candidate.reason


def test_two_sis_records_claiming_one_platform_record_are_both_ambiguous() -> None:
    result = match_records(
        RecordKind.STUDENT,
        [student("S-1", email="ada@example.org"), student("S-2", email="ADA@example.org")],
        [on_platform("p-1", student("", email="ada@example.org"))], {}, {})
    assert result.matched == {}
    assert set(result.ambiguous) == {"S-1", "S-2"}


def test_a_teacher_who_is_also_a_parent_is_ambiguous() -> None:
    teacher = Person(sis_id="T-1", kind=PersonKind.STAFF, given_name="Grace",
                     family_name="Hopper", email="grace@example.org")
    platform_people = [
        on_platform("stf-1", Person(sis_id="", kind=PersonKind.STAFF, given_name="Grace",
                                    family_name="Hopper", email="grace@example.org"),
                    RecordKind.STAFF),
        on_platform("fam-1", Person(sis_id="", kind=PersonKind.FAMILY, given_name="Grace",
                                    family_name="Hopper", email="grace@example.org"),
                    RecordKind.FAMILY),
    ]
    result = match_records(RecordKind.STAFF, [teacher], platform_people, {}, {})
    assert "T-1" not in result.matched
    reasons = " ".join(c.reason for c in result.ambiguous["T-1"])
    assert "teacher who is also a parent" in reasons


def test_a_teacher_whose_email_only_a_platform_parent_has_is_not_created_blindly() -> None:
    teacher = Person(sis_id="T-1", kind=PersonKind.STAFF, given_name="Grace",
                     family_name="Hopper", email="grace@example.org")
    parent = on_platform("fam-1", Person(sis_id="", kind=PersonKind.FAMILY, given_name="Grace",
                                         family_name="Hopper", email="grace@example.org"),
                         RecordKind.FAMILY)
    result = match_records(RecordKind.STAFF, [teacher], [parent], {}, {})
    assert [c.platform_id for c in result.ambiguous["T-1"]] == ["fam-1"]


def test_classes_match_by_sis_id_then_title() -> None:
    result = match_records(
        RecordKind.CLASS,
        [SchoolClass(sis_id="C-1", title="Maths 1"), SchoolClass(sis_id="C-2", title="Art  2"),
         SchoolClass(sis_id="C-3", title="Music")],
        [on_platform("c-1", SchoolClass(sis_id="C-1", title="Mathematics"), RecordKind.CLASS),
         on_platform("c-2", SchoolClass(sis_id="", title="art 2"), RecordKind.CLASS)], {}, {})
    assert result.matched["C-1"].rule == "sis_id"
    assert result.matched["C-2"].rule == "title"
    assert result.unmatched == ("C-3",)


def test_a_link_to_a_record_the_platform_no_longer_has_is_ignored() -> None:
    result = match_records(RecordKind.STUDENT, [student("S-1")], [], {"S-1": "p-gone"}, {})
    assert result.unmatched == ("S-1",)
