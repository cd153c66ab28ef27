"""One district-wide ``users`` read shared by the syncs of the district's schools: read once,
each school served at most once, bounded in age, keyed by service and credentials, never
cached when it failed, and every school's roster exactly what an unshared read gives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from rostersync_core.districts import District, evolve_district, generate_district
from rostersync_core.errors import SisUnavailableError
from rostersync_core.fetch import FetchContext
from rostersync_core.http import oauth1
from rostersync_core.model import PersonKind, RecordKind
from rostersync_core.testing.fake_sis import FakeRequest, FakeResponse
from rostersync_oneroster import normalise as n
from rostersync_oneroster.config import build_source
from rostersync_oneroster.connector import OneRosterConnector
from rostersync_oneroster.rest import RestSource
from rostersync_oneroster.shared_index import IndexBuilder
from rostersync_oneroster.shared_users import SHARED_USERS
from rostersync_oneroster.testing import (
    FAKE_CLIENT_ID,
    FAKE_CLIENT_SECRET,
    FakeOneRosterServer,
    Fault,
    imsx_error,
)
from rostersync_oneroster.testing.fetching import Fetched, fetch_school
from rostersync_oneroster.testing.shapes import ref
from rostersync_oneroster.typed import User

FLAVOURS = [("1.2", "oauth2"), ("1.1", "oauth1")]
SINCE = dt.datetime(2026, 8, 15, tzinfo=dt.UTC)
UNSHARED = {"shared_users_max_age_seconds": 0}


@pytest.fixture(scope="module")
def district() -> District:
    return generate_district(students=900, seed=11)  # three schools


@pytest.fixture(params=FLAVOURS, ids=["1.2-oauth2", "1.1-oauth1"])
def sis(request: pytest.FixtureRequest, district: District) -> Iterator[FakeOneRosterServer]:
    version, auth = request.param
    with FakeOneRosterServer(district, version=version, auth=auth) as fake:
        add_unusual_users(fake)
        yield fake


def add_unusual_users(sis: FakeOneRosterServer) -> None:
    """Users the generator does not make: a role naming no org, family members
    linked from one side only and attached elsewhere, a nameless student, a teacher of a
    district office, a user without a role."""
    a, b, c = sis.dataset.school_ids()
    users = sis.dataset.collections["users"]
    student_of = {
        school: next(
            u for k, u in sorted(users.items()) if role_of(u) == "student" and at(u) == school
        )
        for school in (a, b)
    }

    def user(sis_id: str, role: str, org: str | None, **fields: Any) -> None:
        record: dict[str, Any] = {
            "sourcedId": sis_id,
            "status": "active",
            "dateLastModified": "2026-01-01T00:00:00.000Z",
            "givenName": "Given",
            "familyName": sis_id,
            "enabledUser": "true",
            "metadata": {"extension": "unused"},
            **fields,
        }
        if sis.version == "1.2":
            record["roles"] = [
                {"roleType": "primary", "role": role, **({"org": ref("orgs", org)} if org else {})}
            ]
        else:
            record["role"] = role
            record["orgs"] = [ref("orgs", org)] if org else []
        users[sis_id] = record

    user("u-no-org", "administrator", None)
    first_student = ref("users", student_of[a]["sourcedId"])
    user("u-guardian-by-own-agents", "guardian", c, agents=[first_student])
    user("u-parent-named-by-student", "parent", c)
    named = student_of[b]
    users[named["sourcedId"]] = {
        **named,
        "agents": [*named.get("agents", []), ref("users", "u-parent-named-by-student")],
    }
    user("u-nameless", "student", a, givenName="", familyName="")
    user("u-office", "teacher", "district-office")
    users["u-no-role"] = {"sourcedId": "u-no-role", "status": "active", "givenName": "N"}
    sis.dataset.forget()


def role_of(user: dict[str, Any]) -> str:
    return n.roles_at(user)[0] if n.roles_at(user) else ""


def at(user: dict[str, Any]) -> str:
    return sorted(n.user_orgs(user))[0] if n.user_orgs(user) else ""


def fetch_each(
    connector: OneRosterConnector,
    sis: FakeOneRosterServer,
    schools: list[str],
    config: dict[str, Any] | None = None,
    **context: Any,
) -> dict[str, Fetched]:
    """Each school fetched through its own session, as ``run_sync`` does."""
    fetched = {}
    for school in schools:
        session = connector.rostersync_authenticate(sis.config(**(config or {})))
        fetched[school] = fetch_school(connector, session, school, **context)
        session.close()
    return fetched


def users_reads(sis: FakeOneRosterServer, since: int = 0) -> int:
    """District-wide ``users`` reads begun after request number ``since``."""
    path = sis.base_path + "/users"
    return sum(
        1 for r in sis.requests[since:] if r.path == path and (r.arg("offset") or "0") == "0"
    )


def assert_same(shared: Fetched, alone: Fetched) -> None:
    assert shared.people == alone.people
    assert shared.enrolments == alone.enrolments
    assert shared.classes == alone.classes
    assert shared.context.invalid == alone.context.invalid
    assert shared.context.removed == alone.context.removed
    assert shared.context.delta_kinds == alone.context.delta_kinds


def test_every_school_gets_its_roster_from_one_read_of_users(
    connector: OneRosterConnector, sis: FakeOneRosterServer
) -> None:
    schools = sis.dataset.school_ids()
    alone = fetch_each(connector, sis, schools, UNSHARED)
    assert users_reads(sis) == 3
    start = len(sis.requests)
    shared = fetch_each(connector, sis, schools)
    assert users_reads(sis, start) == 1
    for school in schools:
        assert_same(shared[school], alone[school])
    a, b, c = schools
    ids = {s: {p.sis_id for p in shared[s].people} for s in schools}
    # A role naming no org used to count everywhere (a record sent to every school of the
    # district); OneRoster requires the org, so it places no one and every school reports
    # the row invalid (unknown there, never archived).
    assert "u-no-org" not in ids[a] | ids[b] | ids[c]
    for school in schools:
        assert (RecordKind.STAFF, "u-no-org", "the user names no org for its role") in {
            (p.kind, p.sis_id, p.reason) for p in shared[school].context.invalid
        }
    assert "u-guardian-by-own-agents" in ids[a] & ids[c]
    assert "u-parent-named-by-student" in ids[b] & ids[c]
    assert "u-office" not in ids[a] | ids[b] | ids[c]
    assert sorted(p.sis_id for p in shared[a].context.invalid) == ["u-nameless", "u-no-org"]
    assert SHARED_USERS.held() == 0  # every school with students was served: dropped


def test_family_links_across_schools_are_the_same_shared_or_not(
    connector: OneRosterConnector, sis: FakeOneRosterServer
) -> None:
    schools = sis.dataset.school_ids()
    alone = fetch_each(connector, sis, schools, UNSHARED)
    shared = fetch_each(connector, sis, list(reversed(schools)))
    for school in schools:
        assert_same(shared[school], alone[school])
    links = [e for f in shared.values() for e in f.enrolments if type(e).__name__ == "FamilyLink"]
    assert links


def test_a_school_fetched_again_reads_the_sis_again(
    connector: OneRosterConnector, sis: FakeOneRosterServer
) -> None:
    a, b, c = sis.dataset.school_ids()
    first = fetch_each(connector, sis, [a, b])
    start = len(sis.requests)
    again = fetch_each(connector, sis, [a])
    assert users_reads(sis, start) == 1
    assert_same(again[a], first[a])
    start = len(sis.requests)
    fetch_each(connector, sis, [b, c])  # b and c from the new read
    assert users_reads(sis, start) == 0


def test_a_published_snapshot_is_what_the_next_school_reads(
    connector: OneRosterConnector, sis: FakeOneRosterServer, district: District
) -> None:
    a, b, _ = sis.dataset.school_ids()
    fetch_each(connector, sis, [a])
    later = evolve_district(district, new_students=30, withdrawals=0, teacher_changes=0)
    sis.publish(later, modified="2026-09-01T00:00:00.000Z")  # the kit forgets shared reads
    fetched = fetch_each(connector, sis, [b])[b]
    assert {p.sis_id for p in fetched.people if p.kind is PersonKind.STUDENT} == {
        p.sis_id for p in later.school(b).students()
    }


def test_a_shared_read_expires(
    connector: OneRosterConnector, sis: FakeOneRosterServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(SHARED_USERS, "clock", lambda: now[0])
    a, b, c = sis.dataset.school_ids()
    fetch_each(connector, sis, [a])
    now[0] += 599
    start = len(sis.requests)
    fetch_each(connector, sis, [b])
    assert users_reads(sis, start) == 0  # the default: 10 minutes
    now[0] += 2
    fetch_each(connector, sis, [c])
    assert users_reads(sis, start) == 1
    short = {"shared_users_max_age_seconds": 30}
    fetch_each(connector, sis, [a], short)
    now[0] += 31
    start = len(sis.requests)
    fetch_each(connector, sis, [b], short)
    assert users_reads(sis, start) == 1


def test_sharing_can_be_turned_off(connector: OneRosterConnector, sis: FakeOneRosterServer) -> None:
    fetch_each(connector, sis, sis.dataset.school_ids(), UNSHARED)
    assert users_reads(sis) == 3
    assert SHARED_USERS.held() == 0


class TwoAccountServer(FakeOneRosterServer):
    """Signs two OAuth 1 consumers in, as a SIS with two integrations does."""

    OTHER = ("other-client", "other-secret-9876543210")

    def _verify_oauth1(self, request: FakeRequest) -> FakeResponse | None:
        params = oauth1.parse_authorization_header(request.header("authorization"))
        given = params.pop("oauth_signature", "")
        secret = dict([(FAKE_CLIENT_ID, FAKE_CLIENT_SECRET), self.OTHER]).get(
            params.get("oauth_consumer_key", "")
        )
        method = params.get("oauth_signature_method", "")
        if secret and given == oauth1.signature(
            request.method, request.url, list(params.items()), secret, signature_method=method
        ):
            return None
        return imsx_error(401, "unauthorisedrequest", "the request signature is not valid")


def test_two_accounts_never_share_a_read(connector: OneRosterConnector, district: District) -> None:
    with TwoAccountServer(district, version="1.1", auth="oauth1") as sis:
        a, b, c = sis.dataset.school_ids()
        other = dict(zip(("client_id", "client_secret"), TwoAccountServer.OTHER, strict=True))
        fetch_each(connector, sis, [a])
        fetch_each(connector, sis, [b], other)
        assert users_reads(sis) == 2
        fetch_each(connector, sis, [c])  # the first account's read
        fetch_each(connector, sis, [c], other)  # the second's
        assert users_reads(sis) == 2


def test_the_share_key_names_service_credentials_and_never_the_secret() -> None:
    base = {"base_url": "https://sis.example.org", "client_id": "abc", "client_secret": "s3cr3t"}

    def key(**changes: Any) -> tuple[str, ...]:
        source = build_source({**base, **changes})
        assert isinstance(source, RestSource) and source.users_share is not None
        return source.users_share.key

    assert key() == key()
    variants = [
        key(client_secret="other"),
        key(client_id="xyz"),
        key(version="1.1"),
        key(base_path="/ims/oneroster/v1p1"),
        key(base_url="https://sis2.example.org"),
        key(oauth_url="https://idp.example.org/token"),
        key(scopes=["x"]),
        key(auth="oauth1"),
        key(auth="oauth1", signature_method="HMAC-SHA1"),
    ]
    assert len({key(), *variants}) == len(variants) + 1
    assert all("s3cr3t" not in part for part in key())
    unshared = build_source({**base, **UNSHARED})
    assert isinstance(unshared, RestSource) and unshared.users_share is None


def test_delta_reads_are_never_shared_and_report_the_same_removals(
    connector: OneRosterConnector, sis: FakeOneRosterServer, district: District
) -> None:
    later = evolve_district(district, new_students=12, withdrawals=9, teacher_changes=3)
    sis.publish(later, modified="2026-09-01T00:00:00.000Z")
    schools = sis.dataset.school_ids()
    alone = fetch_each(connector, sis, schools, UNSHARED, since=SINCE)
    fetch_each(connector, sis, schools[:1])  # a full read held: no delta's
    start = len(sis.requests)
    shared = fetch_each(connector, sis, schools, since=SINCE)
    assert users_reads(sis, start) == len(schools)  # each delta its own, at its fetch
    assert {r.arg("filter") for r in sis.requests[start:] if r.path.endswith("/users")} == {
        "dateLastModified>'2026-08-15T00:00:00Z'"
    }
    for school in schools:
        assert_same(shared[school], alone[school])
        assert RecordKind.STUDENT in shared[school].context.delta_kinds
    assert any(f.context.removed.get(RecordKind.STUDENT) for f in shared.values())
    start = len(sis.requests)
    fetch_each(connector, sis, schools[1:2])  # the full read, kept, is still served
    assert users_reads(sis, start) == 0


def test_a_refused_delta_filter_is_read_in_full_by_each_delta(
    connector: OneRosterConnector, district: District
) -> None:
    with FakeOneRosterServer(district, supports_filter=False) as sis:
        schools = sis.dataset.school_ids()
        alone = fetch_each(connector, sis, schools, UNSHARED, since=SINCE)
        start = len(sis.requests)
        shared = fetch_each(connector, sis, schools, since=SINCE)
        full_reads = [
            r
            for r in sis.requests[start:]
            if r.path.endswith("/users") and r.arg("offset") == "0" and not r.arg("filter")
        ]
        assert len(full_reads) == len(schools)
        for school in schools:
            assert_same(shared[school], alone[school])
            assert RecordKind.STUDENT not in shared[school].context.delta_kinds


@pytest.mark.parametrize("skip", [0, 1], ids=["failed", "partial"])
def test_a_failed_read_is_not_shared(
    connector: OneRosterConnector, sis: FakeOneRosterServer, skip: int
) -> None:
    a, b, _ = sis.dataset.school_ids()
    session = connector.rostersync_authenticate(sis.config(page_size=50))
    fault = sis.inject(Fault(status=503, times=None, skip=skip, path="/users"))
    with pytest.raises(SisUnavailableError):
        fetch_school(connector, session, a)
    assert SHARED_USERS.held() == 0
    fault.times = 0
    start = len(sis.requests)
    shared = fetch_each(connector, sis, [b, a])
    assert users_reads(sis, start) == 1
    alone = fetch_each(connector, sis, [b, a], UNSHARED)
    for school in (a, b):
        assert_same(shared[school], alone[school])


def test_schools_fetched_in_threads_wait_for_one_read(
    connector: OneRosterConnector, sis: FakeOneRosterServer
) -> None:
    schools = sis.dataset.school_ids()
    alone = fetch_each(connector, sis, schools, UNSHARED)
    sis.inject(Fault(delay=0.02, times=None, path="/users"))  # reads overlap
    start = len(sis.requests)
    with ThreadPoolExecutor(max_workers=3) as pool:
        each = pool.map(lambda school: fetch_each(connector, sis, [school])[school], schools)
        shared = dict(zip(schools, each, strict=True))
    assert users_reads(sis, start) == 1
    for school in schools:
        assert_same(shared[school], alone[school])


def test_kept_users_hold_only_what_the_feed_reads(sis: FakeOneRosterServer) -> None:
    raw = {u["sourcedId"]: u for u in sis.dataset.records("users")}
    index = IndexBuilder.build(iter(raw.values()), delta=True)
    served = {u["sourcedId"]: u for s in sis.dataset.school_ids() for u in index.users_of(s)}
    assert len(served) > 100
    for sis_id, kept in served.items():
        user = raw[sis_id]
        assert "password" not in kept and "userIds" not in kept
        assert "extension" not in kept.get("metadata", {})
        assert n.roles_at(kept) == n.roles_at(user)
        assert n.user_orgs(kept) == n.user_orgs(user)
        assert n.ref_ids(kept.get("agents")) == n.ref_ids(user.get("agents"))
        assert n.is_removed(kept) == n.is_removed(user)
        for school in sis.dataset.school_ids():
            assert n.roles_at(kept, {school}) == n.roles_at(user, {school})
        for kind in PersonKind:
            one, other = FetchContext(sis_school_id="x"), FetchContext(sis_school_id="x")
            assert n.person_from(kept, kind, ("teacher",), one) == n.person_from(
                user, kind, ("teacher",), other
            )
            assert one.invalid == other.invalid


def test_odd_role_entries_read_the_same_when_kept() -> None:
    users: list[dict[str, Any]] = [
        {"sourcedId": "1", "givenName": "A", "roles": [["odd"], {"role": "student", "org": "s"}]},
        {"sourcedId": "2", "givenName": "B", "roles": ["teacher", {"role": "aide", "org": "s"}]},
        {
            "sourcedId": "3",
            "givenName": "C",
            "roles": [{"role": ["x"], "org": "s"}],
            "role": "aide",
        },
        {"sourcedId": "4", "givenName": "D", "role": "teacher", "orgs": "s", "grades": "09"},
    ]
    kept = IndexBuilder.build(iter(users), delta=False).users_of("s")
    assert [u["sourcedId"] for u in kept] == ["1", "2", "3", "4"]
    for user, mine in zip(users, kept, strict=True):
        assert n.roles_at(mine, {"s"}) == n.roles_at(user, {"s"})
        assert n.strings(mine.get("grades")) == n.strings(user.get("grades"))


def test_users_read_typed_are_served_typed(
    connector: OneRosterConnector, sis: FakeOneRosterServer
) -> None:
    a, b, _ = sis.dataset.school_ids()
    sources = [connector.rostersync_authenticate(sis.config()).source for _ in (a, b)]
    served = [
        list(source.records("users", school_id=school, since=None))
        for source, school in zip(sources, (a, b), strict=True)
    ]
    assert users_reads(sis) == 1
    assert served[0] and served[1]
    assert all(type(u) is User for users in served for u in users)


def test_a_limited_fetch_is_the_same_shared_or_not(
    connector: OneRosterConnector, sis: FakeOneRosterServer
) -> None:
    schools = sis.dataset.school_ids()
    alone = fetch_each(connector, sis, schools, UNSHARED, limit=4)
    shared = fetch_each(connector, sis, schools, limit=4)
    for school in schools:
        assert_same(shared[school], alone[school])
        assert shared[school].people


def test_a_service_with_one_school_reads_users_without_indexing_them(
    connector: OneRosterConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    added: list[object] = []
    monkeypatch.setattr(IndexBuilder, "add", lambda self, user: added.append(user))
    small = generate_district(students=40, seed=5)
    assert len(small.schools) == 1
    with FakeOneRosterServer(small) as sis:
        (school,) = sis.dataset.school_ids()
        fetched = fetch_each(connector, sis, [school])[school]
        assert fetched.people and added == []
    with FakeOneRosterServer(small, count_header=None) as sis:  # how many: not known
        fetch_each(connector, sis, [school])
        assert added


def test_a_read_left_unfinished_is_not_waited_for_beyond_the_age_limit(
    connector: OneRosterConnector, sis: FakeOneRosterServer
) -> None:
    a, b, _ = sis.dataset.school_ids()
    short = {"shared_users_max_age_seconds": 0.2}
    stalled = connector.rostersync_authenticate(sis.config(**short)).source
    started = stalled.records("users", school_id=a, since=None)
    assert next(iter(started))  # this read holds its key, and goes no further
    alone = fetch_each(connector, sis, [b], UNSHARED)[b]
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        other = pool.submit(fetch_each, connector, sis, [b], short).result(timeout=60)[b]
    finally:
        started.close()  # type: ignore[attr-defined]  # lets a waiting fetch go on
        pool.shutdown()
    assert_same(other, alone)


def test_a_delta_fetch_sees_every_change_made_before_it_began(
    connector: OneRosterConnector, sis: FakeOneRosterServer, district: District
) -> None:
    """A caller takes its next cursor from when a delta fetch began: a change made before
    that must be in this fetch, or no later delta ever shows it. A users read shared from
    an earlier school's delta began before the change: a delta is never served from it."""
    later = evolve_district(district, new_students=6, withdrawals=3, teacher_changes=1)
    sis.publish(later, modified="2026-09-01T00:00:00.000Z")
    a, b, _ = sis.dataset.school_ids()
    fetch_each(connector, sis, [a], since=SINCE)
    users = sis.dataset.collections["users"]
    student = next(k for k, u in sorted(users.items()) if role_of(u) == "student" and at(u) == b)
    users[student] = {
        **users[student],
        "givenName": "Renamed",
        "dateLastModified": "2026-10-01T00:00:00.000Z",
    }
    sis.dataset.forget()
    start = len(sis.requests)
    fetched = fetch_each(connector, sis, [b], since=SINCE)[b]
    assert users_reads(sis, start) == 1
    renamed = [p for p in fetched.people if p.sis_id == student]
    assert [p.given_name for p in renamed] == ["Renamed"]
    assert_same(fetched, fetch_each(connector, sis, [b], UNSHARED, since=SINCE)[b])
