"""One district-wide read of OneRoster ``users`` shared by the syncs of the district's schools.

A OneRoster service has no per-school endpoint that returns every person a school needs
(``schools/{id}/students`` and ``/teachers`` leave out administrators, aides and family
members), so each school's sync reads the district's ``users``. Read once per school, a
district of S schools costs S district-wide reads per pass. Here the first school's read
is kept, indexed by school, and serves the other schools synced in the same process:

- **keyed** by the service (address, version, base path), the credentials (client id,
  token endpoint, scopes, signing method and a keyed digest of the secret — the secret
  itself is never kept) and the delta cursor: two services, two accounts or two cursors
  never share a read;
- a read serves **each school at most once**: a school synced again reads the SIS afresh
  (and that read is shared in turn);
- a read **expires** ``max_age`` seconds after it started (the connector's
  ``shared_users_max_age_seconds``, 600 by default; 0 turns sharing off);
- only a **complete** read is kept: a failure mid-read caches nothing;
- **thread safe**: syncs of the same district in threads wait for one read rather than
  each reading;
- **compact**: each user keeps only the fields the feed reads (no password, no metadata
  beyond the preferred name, references reduced to their ids); a read is dropped once
  every org with students was served, when it expires, or when more than :data:`MAX_READS`
  are held.

Each school gets the users the feed can keep for it, in the service's order: users with a
role or an org at the school, users with a role that counts everywhere (a 1.2 role
without an org, a 1.1 user without orgs), family members linked by ``agents`` (either
side) to a student of the school, and in a delta every ``tobedeleted`` user. The feed
filters them exactly as it filters the whole district's users.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import hmac
import secrets
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

from rostersync_oneroster import normalise as n
from rostersync_oneroster.typed import Meta, Role, User

__all__ = [
    "DEFAULT_MAX_AGE",
    "MAX_READS",
    "SHARED_USERS",
    "SharedUsers",
    "UsersIndex",
    "UsersShare",
    "compact_user",
    "secret_digest",
]

#: Seconds a district-wide read of ``users`` may serve other schools, by default.
DEFAULT_MAX_AGE = 600.0
#: District-wide reads held at once (the oldest is dropped beyond it).
MAX_READS = 4

Key = tuple[str, ...]

# A per-process key for the secrets' digests: the digest identifies a secret within this
# process only, and cannot be checked against guesses elsewhere.
_DIGEST_KEY = secrets.token_bytes(32)
# No org has this id: ``roles_at(user, _NOWHERE)`` gives the roles that count everywhere.
_NOWHERE = ("\0",)
# Fields the feed reads as they are; references are reduced to ids in ``compact_user``.
_PLAIN_FIELDS = (
    "sourcedId",
    "status",
    "role",
    "givenName",
    "familyName",
    "middleName",
    "preferredFirstName",
    "preferredGivenName",
    "email",
    "username",
    "identifier",
    "phone",
    "enabledUser",
    "grades",
)
_METADATA_FIELDS = ("preferredFirstName", "preferredGivenName")


def secret_digest(secret: str) -> str:
    """A keyed digest of ``secret`` for a cache key (never the secret itself)."""
    return hmac.new(_DIGEST_KEY, secret.encode(), hashlib.sha256).hexdigest()


def compact_user(user: dict[str, Any]) -> dict[str, Any]:
    """``user`` with only what the feed reads: :func:`normalise.person_from`,
    :func:`~normalise.roles_at`, :func:`~normalise.user_orgs`, ``agents`` and ``status``
    give the same answers for both."""
    out = {k: user[k] for k in _PLAIN_FIELDS if k in user}
    roles = user.get("roles")
    if isinstance(roles, list) and roles:
        out["roles"] = [
            {"role": r.get("role"), "org": n.ref_id(r.get("org"))} if isinstance(r, dict) else r
            for r in roles
        ]
    for field in ("orgs", "agents"):
        ids = n.ref_ids(user.get(field))
        if ids:
            out[field] = list(ids)
    primary = n.ref_id(user.get("primaryOrg"))
    if primary:
        out["primaryOrg"] = primary
    meta = user.get("metadata")
    if isinstance(meta, dict):
        kept = {k: meta[k] for k in _METADATA_FIELDS if k in meta}
        if kept:
            out["metadata"] = kept
    return out


_PACKED = (*_PLAIN_FIELDS, "roles", "orgs", "agents", "primaryOrg", "metadata")
_ROLES = len(_PLAIN_FIELDS)
_GRADES = _PACKED.index("grades")
_SHARED_TEXT = tuple(
    _PACKED.index(k) for k in ("sourcedId", "status", "role", "enabledUser", "primaryOrg")
)

Packed = tuple[Any, ...]


def _pack(row: dict[str, Any], memo: dict[Any, Any]) -> Packed:
    """A compact user as a tuple (a third of the dict's memory): fields in ``_PACKED``
    order, absent ones ``None``, roles as ``(role, org)`` pairs, id lists as tuples. Values
    many users repeat (status, roles, orgs, grades, ids named as agents) are kept once,
    through ``memo``."""
    packed = [row.get(k) for k in _PACKED]
    for i in _SHARED_TEXT:
        value = packed[i]
        if type(value) is str:
            packed[i] = memo.setdefault(value, value)
    grades = packed[_GRADES]
    if type(grades) is list and all(type(g) is str for g in grades):
        packed[_GRADES] = memo.setdefault(("grades", *grades), grades)
    roles = packed[_ROLES]
    if roles is not None:
        pairs = tuple((r["role"], r["org"]) if isinstance(r, dict) else r for r in roles)
        with contextlib.suppress(TypeError):  # an entry that is a list or an object
            pairs = memo.setdefault(("roles", pairs), pairs)
        packed[_ROLES] = pairs
    for i in (_ROLES + 1, _ROLES + 2):
        ids = packed[i]
        if ids is not None:
            packed[i] = tuple(memo.setdefault(v, v) for v in ids)
    return tuple(packed)


def _unpack(packed: Packed) -> dict[str, Any]:
    """The compact user :func:`_pack` packed (JSON never gives tuples: a tuple in roles is a
    packed role)."""
    row = {k: v for k, v in zip(_PACKED, packed, strict=True) if v is not None}
    roles = packed[_ROLES]
    if roles is not None:
        row["roles"] = [{"role": r[0], "org": r[1]} if isinstance(r, tuple) else r for r in roles]
    for i in (_ROLES + 1, _ROLES + 2):
        if packed[i] is not None:
            row[_PACKED[i]] = list(packed[i])
    return row


def _typed(packed: Packed) -> User:
    """The packed user as the :class:`~rostersync_oneroster.typed.User` it was read as."""
    roles, orgs, agents, primary, meta = packed[_ROLES:]
    return User(
        **dict(zip(_PLAIN_FIELDS, packed, strict=False)),
        roles=None if roles is None else [Role(role, org) for role, org in roles],
        orgs=None if orgs is None else list(orgs),
        agents=None if agents is None else list(agents),
        primaryOrg=primary,
        metadata=None if meta is None else Meta(**meta),
    )


def _union(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """Places as sets of school ids; ``None`` is everywhere."""
    if a is None or b is None:
        return None
    return a | b


@attrs.define
class UsersIndex:
    """A district's users (compact and packed, in the service's order) indexed by school."""

    rows: list[Packed]
    #: Positions in ``rows`` of each school's users, ascending.
    by_school: dict[str, array[int]]
    #: Positions of the users every school gets.
    everywhere: array[int]
    #: The orgs some student is at: the schools the read is for.
    schools: frozenset[str]
    #: 1 for each user read typed (served as a ``User`` again), 0 for a dict.
    typed: bytearray

    @classmethod
    def build(cls, users: Iterable[Any], *, delta: bool) -> UsersIndex:
        """The index of ``users`` (dicts, or :class:`~rostersync_oneroster.typed.User`)."""
        rows: list[Packed] = []
        places: list[frozenset[str] | None] = []
        student_places: dict[str, frozenset[str] | None] = {}
        agent_places: dict[str, frozenset[str] | None] = {}  # named as a student's agent
        family: list[int] = []
        memo: dict[Any, Any] = {}
        typed = bytearray()
        for user in users:
            is_dict = isinstance(user, dict)
            row = compact_user(user) if is_dict else user.compact()
            if n.is_removed(row):
                if delta:  # a delta reports every removal to every school
                    rows.append(_pack(row, memo))
                    typed.append(not is_dict)
                    places.append(None)
                continue
            roles = n.roles_at(row)
            if not roles:
                continue  # the feed keeps no one without a role
            where = None if n.roles_at(row, _NOWHERE) else frozenset(n.user_orgs(row))
            if "student" in roles:
                sis_id = n.text(row.get("sourcedId"))
                student_places[sis_id] = _union(student_places.get(sis_id, frozenset()), where)
                for agent in n.ref_ids(row.get("agents")):
                    agent_places[agent] = _union(agent_places.get(agent, frozenset()), where)
            if any(r in n.FAMILY_ROLES for r in roles):
                family.append(len(rows))
            rows.append(_pack(row, memo))
            typed.append(not is_dict)
            places.append(where)
        for pos in family:  # family members go where their students are
            row = _unpack(rows[pos])
            named = agent_places.get(n.text(row.get("sourcedId")), frozenset())
            where = _union(places[pos], named)
            for student in n.ref_ids(row.get("agents")):
                if where is None:
                    break
                where = _union(where, student_places.get(student, frozenset()))
            places[pos] = where
        by_school: dict[str, array[int]] = {}
        everywhere = array("i")
        for pos, where in enumerate(places):
            if where is None:
                everywhere.append(pos)
                continue
            for school in where:
                positions = by_school.get(school)
                if positions is None:
                    positions = by_school[school] = array("i")
                positions.append(pos)
        schools = frozenset().union(*(p for p in student_places.values() if p is not None))
        return cls(rows, by_school, everywhere, schools, typed)

    def users_of(self, school_id: str) -> list[Any]:
        """The users the feed may keep for ``school_id``, in the service's order: dicts, or
        ``User`` structs for those read typed."""
        rows, typed = self.rows, self.typed
        mine = self.by_school.get(school_id, array("i"))
        return [
            _typed(rows[pos]) if typed[pos] else _unpack(rows[pos])
            for pos in heapq.merge(mine, self.everywhere)
        ]


@attrs.define
class _Read:
    index: UsersIndex
    delta: bool
    started: float
    max_age: float
    served: set[str] = attrs.field(factory=set)


@attrs.define
class _Slot:
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    users: int = 0


class SharedUsers:
    """The district-wide ``users`` reads held by this process (see the module docstring).

    ``clock`` gives monotonic seconds (tests replace it)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._reads: dict[Key, _Read] = {}
        self._slots: dict[Key, _Slot] = {}

    def users_of(
        self,
        key: Key,
        school_id: str,
        max_age: float,
        read: Callable[[], tuple[Iterator[Any], bool]],
    ) -> tuple[list[Any], bool]:
        """(``school_id``'s users, was it a delta) from a shared read of ``key`` when one
        is fresh and has not served the school yet; else from ``read()``, which gives the
        district's users and whether they are a delta, and is shared from then on."""
        with self._lock:
            slot = self._slots.setdefault(key, _Slot())
            slot.users += 1
        try:
            with slot.lock:  # one read per key at a time: the others wait and share it
                with self._lock:
                    held = self._take(key, school_id, max_age)
                if held is not None:
                    return held
                started = self.clock()
                users, delta = read()
                fresh = _Read(UsersIndex.build(users, delta=delta), delta, started, max_age)
                fresh.served.add(school_id)
                with self._lock:
                    self._reads.pop(key, None)
                    if not fresh.served.issuperset(fresh.index.schools):
                        self._reads[key] = fresh
                        while len(self._reads) > MAX_READS:
                            del self._reads[next(iter(self._reads))]  # the oldest
                return fresh.index.users_of(school_id), delta
        finally:
            with self._lock:
                slot.users -= 1
                if slot.users == 0 and self._slots.get(key) is slot:
                    del self._slots[key]

    def _take(self, key: Key, school_id: str, max_age: float) -> tuple[list[Any], bool] | None:
        now = self.clock()
        for stale in [k for k, r in self._reads.items() if now - r.started >= r.max_age]:
            del self._reads[stale]
        held = self._reads.get(key)
        if held is None or school_id in held.served or now - held.started >= max_age:
            return None
        held.served.add(school_id)
        if held.served.issuperset(held.index.schools):
            del self._reads[key]  # every school with students had its users
        return held.index.users_of(school_id), held.delta

    def clear(self) -> None:
        """Forget every read."""
        with self._lock:
            self._reads.clear()

    def held(self) -> int:
        """How many reads are held."""
        with self._lock:
            return len(self._reads)


#: The process's shared reads.
SHARED_USERS = SharedUsers()


@attrs.frozen
class UsersShare:
    """How a REST source shares its ``users`` reads: ``key`` names the service and the
    credentials (see :func:`secret_digest`), ``max_age`` bounds a read's age in seconds."""

    key: Key
    max_age: float = DEFAULT_MAX_AGE
    reads: SharedUsers = attrs.field(default=SHARED_USERS, eq=False, repr=False)
