"""The diff on its own: what a feed changes on the platform, with no database."""

from __future__ import annotations

import attrs

from rostersync_core.fetch import InvalidRow
from rostersync_core.model import (
    Enrolment,
    EnrolmentRole,
    Person,
    PersonKind,
    RecordKind,
    SchoolClass,
)
from rostersync_core.platform.protocol import PlatformRecord
from rostersync_core.state import ExclusionSet
from rostersync_core.sync.changes import SyncAction, decode_values, encode_values
from rostersync_core.sync.diff import DiffInputs, SisFeed, compute_changes
from rostersync_core.sync.settings import MissingPolicy, SyncSettings

S, C, E = RecordKind.STUDENT, RecordKind.CLASS, RecordKind.ENROLMENT


def student(sis_id: str, given: str = "Ada", grade: str = "g1") -> Person:
    return Person(sis_id, PersonKind.STUDENT, given, "Lovelace", grade_id=grade)


def on_platform(pid: str, values: object, archived: bool = False) -> PlatformRecord:
    return PlatformRecord(RecordKind.STUDENT, pid, values, archived)  # type: ignore[arg-type]


def diff(
    students: dict[str, Person], platform: list[PlatformRecord], links: dict[str, str], **kw: object
) -> list[tuple[SyncAction, str]]:
    feed = kw.pop("feed", None) or SisFeed(entities={S: students})
    inputs = DiffInputs(feed=feed, platform={S: platform}, links={S: links}, **kw)  # type: ignore[arg-type]
    cs = compute_changes(inputs)
    return [(c.action, c.sis_id) for c in cs.changes]


def test_a_new_sis_student_is_created() -> None:
    assert diff({"1": student("1")}, [], {}) == [(SyncAction.CREATE, "1")]


def test_a_changed_field_is_an_update_naming_that_field() -> None:
    feed = SisFeed(entities={S: {"1": student("1", given="Ada")}})
    inputs = DiffInputs(feed, {S: [on_platform("p1", student("1", given="Ida"))]}, {S: {"1": "p1"}})
    (change,) = compute_changes(inputs).changes
    assert change.action is SyncAction.UPDATE
    assert change.field_diffs() == [("given_name", "Ida", "Ada")]


def test_a_linked_record_gone_from_the_sis_is_archived() -> None:
    assert diff({}, [on_platform("p1", student("1"))], {"1": "p1"}) == [(SyncAction.ARCHIVE, "1")]


def test_a_platform_record_nobody_linked_is_never_touched() -> None:
    assert diff({}, [on_platform("p1", student("1"))], {}) == []


def test_an_archived_record_whose_sis_id_returns_is_restored_not_duplicated() -> None:
    changes = diff(
        {"1": student("1")}, [on_platform("p1", student("1"), archived=True)], {"1": "p1"}
    )
    assert changes == [(SyncAction.RESTORE, "1")]


def test_a_platform_excluded_record_is_never_updated_or_archived() -> None:
    excl = ExclusionSet(platform={S: frozenset({"p1", "p2"})})
    platform = [on_platform("p1", student("1", given="Old")), on_platform("p2", student("2"))]
    assert diff({"1": student("1")}, platform, {"1": "p1", "2": "p2"}, exclusions=excl) == []


def test_an_sis_excluded_record_is_never_created_or_archived() -> None:
    excl = ExclusionSet(sis={S: frozenset({"1", "2"})})
    assert (
        diff({"1": student("1")}, [on_platform("p2", student("2"))], {"2": "p2"}, exclusions=excl)
        == []
    )


def test_an_invalid_sis_row_is_unknown_and_never_archived() -> None:
    feed = SisFeed(entities={S: {}}, invalid=[InvalidRow(S, "1", "no family name")])
    assert diff({}, [on_platform("p1", student("1"))], {"1": "p1"}, feed=feed) == []


def test_an_invalid_row_without_an_id_stops_every_archive_of_its_kind() -> None:
    feed = SisFeed(entities={S: {}}, invalid=[InvalidRow(S, "", "unreadable row")])
    assert diff({}, [on_platform("p1", student("1"))], {"1": "p1"}, feed=feed) == []


def test_in_a_delta_absence_means_unchanged_and_removal_means_archive() -> None:
    platform = [on_platform("p1", student("1")), on_platform("p2", student("2"))]
    feed = SisFeed(entities={S: {}}, delta_kinds={S}, removed={S: {"2"}})
    assert diff({}, platform, {"1": "p1", "2": "p2"}, feed=feed) == [(SyncAction.ARCHIVE, "2")]


def test_settings_can_turn_off_creation_and_preserve_missing_records() -> None:
    settings = SyncSettings().with_kind(S, create=False, missing=MissingPolicy.PRESERVE)
    assert (
        diff({"1": student("1")}, [on_platform("p2", student("2"))], {"2": "p2"}, settings=settings)
        == []
    )


def test_updates_write_only_the_fields_the_settings_allow() -> None:
    settings = SyncSettings().with_kind(S, update_fields=("grade_id",))
    platform = [on_platform("p1", student("1", given="Local", grade="g1"))]
    feed = SisFeed(entities={S: {"1": student("1", given="Ada", grade="g2")}})
    cs = compute_changes(DiffInputs(feed, {S: platform}, {S: {"1": "p1"}}, settings=settings))
    assert [c.fields for c in cs.changes] == [("grade_id",)]


def test_an_automatic_match_links_instead_of_creating() -> None:
    platform = [on_platform("p1", attrs.evolve(student("1"), sis_id=""))]
    assert diff({"1": student("1")}, platform, {}, matches={S: {"1": "p1"}}) == [
        (SyncAction.LINK, "1")
    ]


def test_an_enrolment_of_a_new_student_refers_to_the_sis_id_until_applied() -> None:
    klass = SchoolClass("c1", "Maths")
    feed = SisFeed(
        entities={S: {"1": student("1")}, C: {"c1": klass}},
        joins={E: {"c1|1": Enrolment("c1", "1", EnrolmentRole.STUDENT)}},
    )
    platform = {C: [PlatformRecord(C, "pc1", klass)]}
    cs = compute_changes(DiffInputs(feed, platform, {C: {"c1": "pc1"}}))
    (enrolment,) = list(cs.of_kind(E))
    assert enrolment.after == Enrolment("pc1", "1", EnrolmentRole.STUDENT)
    assert enrolment.refs == ("person_sis_id",)


def test_an_enrolment_of_an_excluded_student_is_left_alone() -> None:
    klass = SchoolClass("c1", "Maths")
    feed = SisFeed(entities={S: {"1": student("1")}, C: {"c1": klass}}, joins={E: {}})
    platform = {
        C: [PlatformRecord(C, "pc1", klass)],
        S: [on_platform("p1", student("1"))],
        E: [PlatformRecord(E, "pe1", Enrolment("pc1", "p1"))],
    }
    links = {C: {"c1": "pc1"}, S: {"1": "p1"}}
    excl = ExclusionSet(platform={S: frozenset({"p1"})})
    assert compute_changes(DiffInputs(feed, platform, links, exclusions=excl)).changes == []


def test_an_enrolment_the_platform_has_twice_keeps_the_active_one_and_restores_nothing() -> None:
    klass = SchoolClass("c1", "Maths")
    enrolment = Enrolment("c1", "1", EnrolmentRole.STUDENT)
    feed = SisFeed(
        entities={S: {"1": student("1")}, C: {"c1": klass}}, joins={E: {"c1|1": enrolment}}
    )
    on_platform_enrolment = Enrolment("pc1", "p1", EnrolmentRole.STUDENT)
    platform = {
        C: [PlatformRecord(C, "pc1", klass)],
        S: [on_platform("p1", student("1"))],
        E: [
            PlatformRecord(E, "pe1", on_platform_enrolment),
            PlatformRecord(E, "pe2", on_platform_enrolment, archived=True),
        ],
    }
    links = {C: {"c1": "pc1"}, S: {"1": "p1"}}
    assert compute_changes(DiffInputs(feed, platform, links)).changes == []


def test_values_survive_the_compact_codec() -> None:
    import datetime as dt

    values = Enrolment("c", "p", EnrolmentRole.TEACHER, True, dt.date(2026, 9, 1))
    assert decode_values(encode_values(values)) == values
    person = attrs.evolve(student("1"), roles=("teacher", "aide"))
    assert decode_values(encode_values(person)) == person


def test_settings_survive_their_json_form() -> None:
    settings = SyncSettings(auto_apply=True).with_kind(
        S, update_fields=("email",), missing=MissingPolicy.PRESERVE, hold_archive_percent=3.0
    )
    assert SyncSettings.from_json(settings.to_json()) == settings
