"""Run a sync: fetch the school's SIS feed, prepare it, diff it, store the request.

:func:`run_sync` is the Python API behind ``rostersync sync run``. In order:

1. take the school's lock (one sync at a time, enforced by the database);
2. authenticate (refused credentials fail the job loudly: nothing is diffed or archived);
3. fetch grades and subjects and stop when one has no mapping, before fetching the rest;
4. fetch classes, people, enrolments and family links, through the extension plugins'
   ``rostersync_adjust_records``, mapping grades and subjects on the way;
5. diff against the platform, using links, automatic unambiguous matches, exclusions and
   the school's settings (see :mod:`rostersync_core.sync.diff`);
6. store the request, pending review or held, with the inputs it used frozen; a scheduled
   sync of a school with auto-apply on is then approved and applied unless held.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import sqlalchemy as sa

from rostersync_core.errors import (
    AuthenticationError,
    InvalidSisDataError,
    RostersyncError,
    SisUnavailableError,
    UnmappedValuesError,
)
from rostersync_core.events import JobState
from rostersync_core.fetch import FetchContext
from rostersync_core.matching import match_records
from rostersync_core.model import (
    Enrolment,
    FamilyLink,
    Person,
    PersonKind,
    Record,
    RecordKind,
    SchoolClass,
)
from rostersync_core.platform.protocol import SYNCED_KINDS, Platform, PlatformRecord
from rostersync_core.plugins import PluginHost
from rostersync_core.store import StateStore
from rostersync_core.store.sql import now
from rostersync_core.sync.changes import KIND_LABELS, AmbiguousRecord, ChangeSet
from rostersync_core.sync.diff import ENTITY_KINDS, DiffInputs, SisFeed, compute_changes
from rostersync_core.sync.jobs import (
    REVIEWABLE_STATES,
    JobStateError,
    SyncJob,
    announce,
    change_state,
    exclusions_to_json,
    get_job,
    insert_job,
    list_jobs,
    save_request,
)
from rostersync_core.sync.lock import SchoolLock
from rostersync_core.sync.safety import hold_reasons
from rostersync_core.sync.settings import SyncSettings, load_settings

__all__ = ["SyncProgress", "error_kind_of", "run_sync"]

_PERSON_KINDS = {
    PersonKind.STUDENT: RecordKind.STUDENT,
    PersonKind.STAFF: RecordKind.STAFF,
    PersonKind.FAMILY: RecordKind.FAMILY,
}


class SyncProgress(Protocol):
    """What :func:`run_sync` reports while it works (the CLI draws progress bars)."""

    def phase(self, name: str) -> None:
        """A new step begins (``"authenticating"``, ``"fetching people"``, ``"diffing"``...)."""

    def advance(self, what: str, count: int) -> None:
        """``count`` more records of ``what`` (``"students"``, ``"enrolments"``...) were read."""


class _Silent:
    def phase(self, name: str) -> None:
        pass

    def advance(self, what: str, count: int) -> None:
        pass


def error_kind_of(exc: BaseException) -> str:
    """The ``error_kind`` of a failed job for ``exc``."""
    if isinstance(exc, AuthenticationError):
        return "authentication"
    if isinstance(exc, SisUnavailableError):
        return "sis_unavailable"
    if isinstance(exc, InvalidSisDataError):
        return "invalid_data"
    if isinstance(exc, UnmappedValuesError):
        return "unmapped"
    return "internal"


def run_sync(
    store: StateStore,
    host: PluginHost,
    platform: Platform,
    school_id: str,
    *,
    trigger: str = "manual",
    progress: SyncProgress | None = None,
    raise_errors: bool = True,
) -> SyncJob:
    """Run one sync of ``school_id`` and return its job (pending_review, held or failed).

    ``trigger`` is ``"manual"`` or ``"schedule"`` (a scheduled sync of a school whose
    settings allow auto-apply is applied at once unless held).

    Raises :class:`~rostersync_core.errors.SyncAlreadyRunningError` (no job is created) when
    the school's lock is held. When the run fails (refused credentials, SIS unavailable,
    unmapped grades or subjects...), the job is recorded as failed with an ``error_kind``
    and the error is raised again, unless ``raise_errors`` is false: then the failed job is
    returned.
    """
    report = progress or _Silent()
    if not store.has_connection(school_id):
        store.get_connection(school_id)  # raises UnknownSchoolError, naming what to do

    def claim(conn: sa.Connection) -> int:
        _refuse_unfinished_apply(store, school_id)
        return insert_job(conn, school_id, trigger)

    lock = SchoolLock(store.engine, school_id, purpose="sync")
    lock.acquire(on_claim=claim)
    try:
        assert lock.job_id is not None
        _close_crashed(store, host, lock.taken_over)
        job = get_job(store, lock.job_id)
        announce(store, host, job, previous=None)
        try:
            changes, frozen, settings = _build_request(store, host, platform, school_id, report)
        except (KeyboardInterrupt, SystemExit):
            change_state(
                store,
                host,
                job,
                JobState.FAILED,
                allowed={JobState.RUNNING},
                actor=trigger,
                reason="the sync was interrupted",
                error_kind="internal",
            )
            raise
        except Exception as exc:
            kind = error_kind_of(exc)
            message = str(exc) if isinstance(exc, RostersyncError) else type(exc).__name__
            change_state(
                store,
                host,
                job,
                JobState.FAILED,
                allowed={JobState.RUNNING},
                actor=trigger,
                reason=message,
                error_kind=kind,
            )
            if raise_errors or not isinstance(exc, RostersyncError):
                raise
            return get_job(store, job.id)
        report.phase("saving the request")
        if lock.lost:
            message = "another run took over the school's lock; this request was not saved"
            change_state(
                store,
                host,
                job,
                JobState.FAILED,
                allowed={JobState.RUNNING},
                actor=trigger,
                reason=message,
                error_kind="internal",
            )
            raise JobStateError(message)
        reasons = hold_reasons(changes, settings)
        job = save_request(store, host, job, changes, frozen=frozen, hold_reasons=reasons)
        _supersede_older(store, host, job)
        if trigger == "schedule" and settings.auto_apply and not job.held:
            from rostersync_core.sync.apply import approve_locked

            job = approve_locked(store, host, platform, job, actor="auto-apply", lock=lock)
        return job
    finally:
        lock.release()


def _close_crashed(store: StateStore, host: PluginHost, job_id: int | None) -> None:
    """A run whose lock was taken over crashed: its job, if still running, failed."""
    if job_id is None:
        return
    with contextlib.suppress(RostersyncError):
        change_state(
            store,
            host,
            get_job(store, job_id),
            JobState.FAILED,
            allowed={JobState.RUNNING},
            actor="rostersync",
            reason="the run stopped without finishing (its process ended)",
            error_kind="internal",
        )


def _refuse_unfinished_apply(store: StateStore, school_id: str) -> None:
    """A new diff against a half-applied platform would repeat its creates: refuse it."""
    unfinished = list_jobs(store, school_id, states={JobState.APPROVED, JobState.APPLYING})
    unfinished += [
        j
        for j in list_jobs(store, school_id, states={JobState.FAILED})
        if j.approved_at is not None
    ]
    if unfinished:
        job = unfinished[0]
        raise JobStateError(
            f"sync job {job.id} of {school_id} was approved but is not fully applied",
            hint=f"finish it first: rostersync sync apply {job.id}",
        )


def _supersede_older(store: StateStore, host: PluginHost, job: SyncJob) -> None:
    """Older requests still waiting for review are rejected: only the newest may apply."""
    for older in list_jobs(store, job.school_id, states=REVIEWABLE_STATES, limit=None):
        if older.id < job.id:
            with contextlib.suppress(JobStateError):  # approved or rejected meanwhile
                change_state(
                    store,
                    host,
                    older,
                    JobState.REJECTED,
                    allowed=REVIEWABLE_STATES,
                    actor="rostersync",
                    reason=f"superseded by sync job {job.id}",
                    rejected_by="rostersync",
                    rejected_at=now(),
                )


def _build_request(
    store: StateStore,
    host: PluginHost,
    platform: Platform,
    school_id: str,
    report: SyncProgress,
) -> tuple[ChangeSet, dict[str, Any], SyncSettings]:
    connection = store.get_connection(school_id)
    connector = host.connector(connection.connector)
    report.phase("authenticating")
    session = connector.authenticate(connection.config)

    context = FetchContext(
        sis_school_id=connection.sis_school_id,
        on_progress=lambda kind, n: report.advance(KIND_LABELS.get(kind, kind.value), n),
    )

    def adjusted(records: Iterable[Record]) -> Iterator[Record]:
        return host.adjust_records(records, school_id=school_id, connector=connector.name)

    report.phase("fetching grades and subjects")
    grade_map = store.grade_mappings(school_id)
    subject_map = store.subject_mappings(school_id)
    sis_grades = [r.key for r in adjusted(connector.fetch_grades(session, context))]
    sis_subjects = [r.key for r in adjusted(connector.fetch_subjects(session, context))]
    _check_mapped(
        school_id,
        [g for g in sis_grades if g not in grade_map],
        [s for s in sis_subjects if s not in subject_map],
    )

    feed = SisFeed(
        entities={k: {} for k in ENTITY_KINDS},
        joins={RecordKind.ENROLMENT: {}, RecordKind.FAMILY_LINK: {}},
    )
    missing_grades: set[str] = set()
    missing_subjects: set[str] = set()

    report.phase("fetching classes")
    classes = feed.entities[RecordKind.CLASS]
    for record in adjusted(connector.fetch_classes(session, context)):
        if type(record) is SchoolClass:
            classes[record.sis_id] = _map_class(
                record, grade_map, subject_map, missing_grades, missing_subjects
            )

    report.phase("fetching people")
    entities = feed.entities
    for record in adjusted(connector.fetch_people(session, context)):
        if type(record) is Person:
            if record.grade_id:
                mapped = grade_map.get(record.grade_id)
                if mapped is None:
                    missing_grades.add(record.grade_id)
                elif mapped != record.grade_id:
                    record = _with_grade(record, mapped)
            entities[_PERSON_KINDS[record.kind]][record.sis_id] = record

    report.phase("fetching enrolments")
    enrolments = feed.joins[RecordKind.ENROLMENT]
    family_links = feed.joins[RecordKind.FAMILY_LINK]
    for record in adjusted(connector.fetch_enrolments(session, context)):
        if type(record) is Enrolment:
            enrolments[f"{record.class_sis_id}|{record.person_sis_id}"] = record
        elif type(record) is FamilyLink:
            family_links[f"{record.family_sis_id}|{record.student_sis_id}"] = record
    _check_mapped(school_id, sorted(missing_grades), sorted(missing_subjects))
    feed.invalid = list(context.invalid)
    feed.delta_kinds = set(context.delta_kinds)
    feed.removed = {k: set(v) for k, v in context.removed.items()}

    report.phase("reading the platform")
    records = {kind: list(platform.list_records(school_id, kind)) for kind in SYNCED_KINDS}
    links = {kind: store.links(school_id, kind) for kind in ENTITY_KINDS}
    exclusions = store.exclusions(school_id)
    settings = load_settings(store, school_id)

    report.phase("matching existing records")
    matches, ambiguous = _match(feed, records, links, exclusions.sis, grade_map)

    report.phase("diffing")
    changes = compute_changes(
        DiffInputs(
            feed=feed,
            platform=records,
            links=links,
            exclusions=exclusions,
            settings=settings,
            matches=matches,
            ambiguous=ambiguous,
        )
    )
    frozen = {
        "connector": connector.name,
        "sis_school_id": connection.sis_school_id,
        "settings": settings.to_json(),
        "grade_mappings": grade_map,
        "subject_mappings": subject_map,
        "exclusions": exclusions_to_json(exclusions),
    }
    return changes, frozen, settings


def _check_mapped(school_id: str, grades: list[str], subjects: list[str]) -> None:
    if not grades and not subjects:
        return
    parts = []
    if grades:
        parts.append(f"grades {', '.join(repr(g) for g in grades)}")
    if subjects:
        parts.append(f"subjects {', '.join(repr(s) for s in subjects)}")
    raise UnmappedValuesError(
        f"the SIS uses {' and '.join(parts)} that have no mapping for school {school_id}:"
        " nothing was synced",
        grades=tuple(grades),
        subjects=tuple(subjects),
    )


def _with_grade(person: Person, grade: str) -> Person:
    return Person(
        person.sis_id,
        person.kind,
        person.given_name,
        person.family_name,
        person.middle_name,
        person.preferred_name,
        person.email,
        person.username,
        person.identifier,
        grade,
        person.phone,
        person.roles,
        person.enabled,
    )


def _map_class(
    record: SchoolClass,
    grade_map: dict[str, str],
    subject_map: dict[str, str],
    missing_grades: set[str],
    missing_subjects: set[str],
) -> SchoolClass:
    if not record.grade_ids and not record.subject_ids:
        return record
    grades = []
    for g in record.grade_ids:
        mapped = grade_map.get(g)
        if mapped is None:
            missing_grades.add(g)
        else:
            grades.append(mapped)
    subjects = []
    for s in record.subject_ids:
        mapped = subject_map.get(s)
        if mapped is None:
            missing_subjects.add(s)
        else:
            subjects.append(mapped)
    return SchoolClass(
        record.sis_id,
        record.title,
        record.code,
        record.class_type,
        record.course_sis_id,
        record.term_sis_ids,
        tuple(grades),
        tuple(subjects),
        record.location,
    )


def _match(
    feed: SisFeed,
    records: dict[RecordKind, list[PlatformRecord]],
    links: dict[RecordKind, dict[str, str]],
    excluded_sis: Any,
    grade_map: dict[str, str],
) -> tuple[dict[RecordKind, dict[str, str]], list[AmbiguousRecord]]:
    """Automatic matches for SIS records without a usable link; ambiguous ones reported."""
    matches: dict[RecordKind, dict[str, str]] = {}
    ambiguous: list[AmbiguousRecord] = []
    people = [
        r for k in (RecordKind.STUDENT, RecordKind.STAFF, RecordKind.FAMILY) for r in records[k]
    ]
    for kind in ENTITY_KINDS:
        by_pid = {r.platform_id for r in records[kind]}
        kind_links = links[kind]
        skip = excluded_sis.get(kind, frozenset())
        unlinked = [
            rec
            for sis_id, rec in feed.entities[kind].items()
            if kind_links.get(sis_id) not in by_pid and sis_id not in skip
        ]
        if not unlinked:
            continue
        candidates = records[kind] if kind is RecordKind.CLASS else people
        # A platform record already linked to another SIS record is never matched again.
        result = match_records(kind, unlinked, candidates, kind_links, grade_map)
        found = {
            sis_id: m.platform_id
            for sis_id, m in result.matched.items()
            if m.rule != "link" and m.platform_id in by_pid
        }
        if found:
            matches[kind] = found
        for sis_id, options in result.ambiguous.items():
            ambiguous.append(
                AmbiguousRecord(
                    kind,
                    sis_id,
                    tuple(o.platform_id for o in options),
                    "; ".join(o.reason for o in options),
                )
            )
    return matches, ambiguous
