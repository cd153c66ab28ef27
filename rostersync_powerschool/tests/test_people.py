"""Students, staff and family members, from PowerSchool's quirky shapes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from rostersync_core.errors import ConfigError
from rostersync_core.model import FamilyLink, Person, PersonKind, RecordKind
from rostersync_core.testing.contract_fetch import FetchedRoster
from rostersync_powerschool.testing import FakePowerSchool


def _people(roster: FetchedRoster, kind: PersonKind) -> dict[str, Person]:
    return {p.sis_id: p for p in roster.by_hook["fetch_people"] if p.kind is kind}


def _links(roster: FetchedRoster) -> set[tuple[str, str, str]]:
    return {(f.family_sis_id, f.student_sis_id, f.relationship)
            for f in roster.by_hook["fetch_enrolments"] if isinstance(f, FamilyLink)}


def _student(server: FakePowerSchool, index: int = 0) -> dict[str, Any]:
    return server.data.schools[100].students[index]


# -- students ----------------------------------------------------------------------------


def test_students_are_read_with_the_expansions_that_carry_status_grade_and_contacts(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    fetch(ps)
    lists = [r for r in ps.requests if r.path == "/ws/v1/school/100/student"]
    assert lists and all("school_enrollment" in (r.arg("expansions") or "") for r in lists)
    assert all("contact_info" in (r.arg("expansions") or "") for r in lists)


def test_pre_registered_students_are_synced_and_transferred_ones_are_not(
    district, make_server: Callable[..., FakePowerSchool], fetch: Callable[..., FetchedRoster]
) -> None:
    server = make_server(district, pre_registered_every=4, transferred_out=3)
    roster = fetch(server)
    students = _people(roster, PersonKind.STUDENT)
    assert set(students) == {p.sis_id for p in district.school("100").students()}
    left = {str(s["id"]) for s in server.data.schools[100].students
            if s["school_enrollment"]["enroll_status_code"] == 2}
    assert len(left) == 3 and not left & set(students)
    enrolled = {e.person_sis_id for e in roster.by_hook["fetch_enrolments"]
                if not isinstance(e, FamilyLink)}
    assert not left & enrolled  # their section enrolments are skipped, not reported
    assert roster.invalid == ()


def test_the_synced_enrolment_statuses_are_configurable(
    district, make_server: Callable[..., FakePowerSchool], fetch: Callable[..., FetchedRoster]
) -> None:
    server = make_server(district, pre_registered_every=4)
    roster = fetch(server, enroll_statuses=[0])
    pre = {str(s["id"]) for s in server.data.schools[100].students
           if s["school_enrollment"]["enroll_status_code"] == -1}
    assert pre and not pre & set(_people(roster, PersonKind.STUDENT))


def test_numeric_student_numbers_and_phone_numbers_become_strings(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    student = _student(ps)
    student["local_id"] = 987654321
    contact = ps.data.contacts[student["id"]][0]
    contact["phones"] = [{"phoneNumber": 5551234, "primary": True, "type": "Mobile"}]
    roster = fetch(ps)
    assert _people(roster, PersonKind.STUDENT)[str(student["id"])].identifier == "987654321"
    assert _people(roster, PersonKind.FAMILY)[str(contact["contactId"])].phone == "5551234"


def test_missing_fields_read_as_empty_values(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    student = _student(ps)
    for field in ("local_id", "student_username"):
        student.pop(field, None)
    student["contact_info"] = ""
    student["name"] = {"first_name": "Ada"}
    person = _people(fetch(ps), PersonKind.STUDENT)[str(student["id"])]
    assert (person.given_name, person.family_name, person.middle_name) == ("Ada", "", "")
    assert (person.email, person.username, person.identifier) == ("", "", "")


def test_grade_levels_are_integers_kept_as_the_sis_spells_them(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    ps.data.schools[100].school["low_grade"] = -2
    _student(ps)["school_enrollment"]["grade_level"] = -1
    _student(ps, 1)["school_enrollment"]["grade_level"] = "3"
    roster = fetch(ps)
    students = _people(roster, PersonKind.STUDENT)
    assert students[str(_student(ps)["id"])].grade_id == "-1"
    assert students[str(_student(ps, 1)["id"])].grade_id == "3"
    grades = [g.sis_id for g in roster.by_hook["fetch_grades"]]
    assert grades[:3] == ["-2", "-1", "0"] and grades[-1] == "5"


def test_a_student_without_a_readable_grade_is_reported_not_yielded(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    _student(ps)["school_enrollment"]["grade_level"] = "PK"
    roster = fetch(ps)
    dcid = str(_student(ps)["id"])
    assert dcid not in _people(roster, PersonKind.STUDENT)
    reasons = [r.reason for r in roster.invalid if r.kind is RecordKind.STUDENT]
    assert reasons == ["student has no readable grade level"]


# -- staff -------------------------------------------------------------------------------


def test_staff_roles_come_from_the_school_affiliation_whether_object_or_list(
    district, ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    staff = ps.data.schools[100].staff
    shapes = {type(s["school_affiliations"]["school_affiliation"]) for s in staff}
    assert shapes == {dict, list}  # teachers: one affiliation; the principal: two
    got = _people(fetch(ps), PersonKind.STAFF)
    assert {k: p.roles for k, p in got.items()} == {
        p.sis_id: p.roles for p in district.school("100").staff()}


def test_staff_roles_by_affiliation_type_are_configurable(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    got = _people(fetch(ps, staff_roles={"2": "principal"}), PersonKind.STAFF)
    assert sorted({p.roles for p in got.values()}) == [("principal",), ("teacher",)]


def test_staff_whose_affiliation_with_the_school_is_inactive_are_not_synced(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    leaver = ps.data.schools[100].staff[-1]
    leaver["school_affiliations"]["school_affiliation"]["status"] = 2
    assert str(leaver["id"]) not in _people(fetch(ps), PersonKind.STAFF)


def test_staff_without_an_email_have_the_empty_string_for_their_emails(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    member = ps.data.schools[100].staff[1]
    member["emails"] = ""
    member["local_id"] = "Jeremy.Johnson"
    person = _people(fetch(ps), PersonKind.STAFF)[str(member["id"])]
    assert (person.email, person.identifier) == ("", "Jeremy.Johnson")


# -- family members ----------------------------------------------------------------------


def test_guardians_come_from_the_contacts_api_with_their_relationship(
    district, ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    roster = fetch(ps)
    expected = {(f.family_sis_id, f.student_sis_id, f.relationship)
                for f in district.school("100").family_links}
    assert _links(roster) == expected
    assert any(r.path.startswith("/ws/contacts/student/") for r in ps.requests)


def test_a_student_without_contacts_gets_204_and_no_guardian(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    dcid = _student(ps, 2)["id"]
    ps.data.contacts.pop(dcid)
    roster = fetch(ps)
    assert not any(s == str(dcid) for _, s, _ in _links(roster))
    assert roster.invalid == ()


def test_an_inactive_contact_relationship_is_not_a_family_link(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    dcid = _student(ps)["id"]
    contact = ps.data.contacts[dcid][0]
    contact["contactStudents"][0]["active"] = False
    assert (str(contact["contactId"]), str(dcid)) not in {
        (f, s) for f, s, _ in _links(fetch(ps))}


def test_a_guardian_of_siblings_is_one_family_member_linked_to_each(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    first, second = _student(ps)["id"], _student(ps, 1)["id"]
    shared = copy.deepcopy(ps.data.contacts[first][0])
    shared["contactStudents"] = [{**shared["contactStudents"][0], "studentDcid": second,
                                  "relationship": "Father"}]
    ps.data.contacts.setdefault(second, []).append(shared)
    roster = fetch(ps)
    ids = [p.sis_id for p in roster.by_hook["fetch_people"] if p.kind is PersonKind.FAMILY]
    assert len(ids) == len(set(ids))
    guardian = str(shared["contactId"])
    assert {(s, r) for g, s, r in _links(roster) if g == guardian} >= {
        (str(first), ps.data.contacts[first][0]["contactStudents"][0]["relationship"].lower()),
        (str(second), "father"),
    }


def test_older_servers_without_the_contacts_api_fall_back_to_the_contact_expansion(
    district, make_server: Callable[..., FakePowerSchool], fetch: Callable[..., FetchedRoster]
) -> None:
    server = make_server(district, contacts_api=False)
    roster = fetch(server)
    family = _people(roster, PersonKind.FAMILY)
    assert family and all(k.startswith("contact-") for k in family)
    relationships = {r for _, _, r in _links(roster)}
    assert relationships <= {"mother", "father"} and relationships
    student = district.school("100").students()[0]
    flat = server.data.schools[100].students[0]["contact"]
    named = {f"{p.family_name}, {p.given_name}" for p in family.values()}
    assert {flat[r] for r in ("mother", "father") if r in flat} <= named
    assert any(s == student.sis_id for _, s, _ in _links(roster)) == bool(
        {"mother", "father"} & set(flat))


def test_asking_for_the_contacts_api_on_an_older_server_is_a_config_error(
    district, make_server: Callable[..., FakePowerSchool], fetch: Callable[..., FetchedRoster]
) -> None:
    server = make_server(district, contacts_api=False)
    with pytest.raises(ConfigError) as caught:
        fetch(server, contacts="contacts_api")
    assert caught.value.field == "contacts"


def test_the_contact_expansion_can_be_chosen_outright(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    roster = fetch(ps, contacts="expansion")
    assert not any(r.path.startswith("/ws/contacts/") for r in ps.requests)
    assert _people(roster, PersonKind.FAMILY)


def test_a_status_sent_only_as_a_letter_is_understood(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    graduate, pre_registered = _student(ps), _student(ps, 1)
    for student, letter in ((graduate, "G"), (pre_registered, "P")):
        student["school_enrollment"].pop("enroll_status_code")
        student["school_enrollment"]["enroll_status"] = letter
    students = _people(fetch(ps), PersonKind.STUDENT)
    assert str(graduate["id"]) not in students
    assert str(pre_registered["id"]) in students


def test_a_plugin_without_access_to_the_contacts_api_falls_back_to_the_expansion(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster], caplog: pytest.LogCaptureFixture
) -> None:
    from rostersync_core.testing.fake_sis import Fault

    ps.inject(Fault(status=403, path=r"^/ws/contacts/", times=None))
    roster = fetch(ps)
    family = _people(roster, PersonKind.FAMILY)
    assert family and all(k.startswith("contact-") for k in family)
    assert "may not read the Contacts API" in caplog.text
    assert "credentials" not in caplog.text


def test_asking_for_the_contacts_api_without_access_names_the_missing_access(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    from rostersync_core.testing.fake_sis import Fault
    from rostersync_powerschool.api import ContactsForbiddenError

    ps.inject(Fault(status=403, path=r"^/ws/contacts/", times=None))
    with pytest.raises(ContactsForbiddenError) as caught:
        fetch(ps, contacts="contacts_api")
    assert caught.value.field == "contacts"
    assert "may not read the Contacts API" in str(caught.value)
    assert "plugin.xml" in (caught.value.hint or "")
