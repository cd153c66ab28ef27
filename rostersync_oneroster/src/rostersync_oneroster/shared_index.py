"""A district's users, compact and indexed by school (for :mod:`.shared_users`).

Each user keeps only what the feed reads (no password, no metadata beyond the preferred
name, references as ids), packed in a tuple whose repeated values (status, roles, orgs,
grades, ids named as agents) are held once. Each school gets, in the service's order, the
users the feed can keep for it: users with a role or an org at the school, family
members linked by ``agents`` (either side) to a student of the school, in a delta every
``tobedeleted`` user, and every student or staff member with a role naming no org (a 1.2
role without an org, a 1.1 user without orgs): such a role places no one, and every
school's feed reports the row invalid. Users read typed are served as :class:`~.typed.User` again,
dicts as dicts.
"""

from __future__ import annotations

import contextlib
import heapq
from array import array
from collections.abc import Iterator
from typing import Any

import attrs
from msgspec.structs import astuple

from rostersync_oneroster import normalise as n
from rostersync_oneroster.typed import Meta, Role, User, ref_of, refs_of

__all__ = ["IndexBuilder", "UsersIndex", "compact_user"]

# Fields kept as they are, in ``User``'s order (a packed user is in that order).
_PLAIN_FIELDS = (
    "sourcedId",
    "status",
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
    "role",
)
_PACKED = (*_PLAIN_FIELDS, "roles", "orgs", "primaryOrg", "agents", "metadata")
assert tuple(User.__struct_fields__) == _PACKED
_SID, _STATUS, _ENABLED, _GRADES, _ROLE, _ROLES, _ORGS, _PRIMARY, _AGENTS, _META = (
    _PACKED.index(k)
    for k in (
        "sourcedId",
        "status",
        "enabledUser",
        "grades",
        "role",
        "roles",
        "orgs",
        "primaryOrg",
        "agents",
        "metadata",
    )
)
_METADATA_FIELDS = ("preferredFirstName", "preferredGivenName")

Packed = tuple[Any, ...]


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


def _share(packed: list[Any], memo: dict[Any, Any]) -> Packed:
    """``packed`` with the values many users repeat held once, through ``memo``."""
    for i in (_SID, _STATUS, _ROLE, _ENABLED, _PRIMARY):
        value = packed[i]
        if type(value) is str:
            packed[i] = memo.setdefault(value, value)
    grades = packed[_GRADES]
    if type(grades) is list and all(type(g) is str for g in grades):
        packed[_GRADES] = memo.setdefault(("grades", *grades), grades)
    roles = packed[_ROLES]
    if roles is not None:
        with contextlib.suppress(TypeError):  # an entry that is a list or an object
            packed[_ROLES] = memo.setdefault(("roles", roles), roles)
    for i in (_ORGS, _AGENTS):
        ids = packed[i]
        if ids is not None:
            packed[i] = tuple(memo.setdefault(v, v) for v in ids)
    return tuple(packed)


def _pack(row: dict[str, Any], memo: dict[Any, Any]) -> Packed:
    """A compact user (a dict) as a tuple: fields in ``_PACKED`` order, absent ones
    ``None``, roles as ``(role, org)`` pairs, id lists as tuples."""
    packed = [row.get(k) for k in _PACKED]
    roles = packed[_ROLES]
    if roles is not None:
        packed[_ROLES] = tuple((r["role"], r["org"]) if isinstance(r, dict) else r for r in roles)
    return _share(packed, memo)


def _pack_user(user: User, memo: dict[Any, Any]) -> Packed:
    """A typed user as :func:`_pack` packs the same user as a dict."""
    packed = list(astuple(user))
    roles = user.roles
    packed[_ROLES] = tuple((r.role, ref_of(r.org)) for r in roles) if roles else None
    for i in (_ORGS, _AGENTS):
        packed[i] = refs_of(packed[i]) or None
    packed[_PRIMARY] = ref_of(user.primaryOrg) or None
    meta = user.metadata
    if meta is not None:
        kept = {k: v for k in _METADATA_FIELDS if (v := getattr(meta, k)) is not None}
        packed[_META] = kept or None
    return _share(packed, memo)


def _unpack(packed: Packed) -> dict[str, Any]:
    """The compact user :func:`_pack` packed (JSON never gives tuples: a tuple in roles is a
    packed role)."""
    row = {k: v for k, v in zip(_PACKED, packed, strict=True) if v is not None}
    roles = packed[_ROLES]
    if roles is not None:
        row["roles"] = [{"role": r[0], "org": r[1]} if isinstance(r, tuple) else r for r in roles]
    for i in (_ORGS, _AGENTS):
        if packed[i] is not None:
            row[_PACKED[i]] = list(packed[i])
    return row


def _typed(packed: Packed) -> User:
    """The packed user as the :class:`~rostersync_oneroster.typed.User` it was read as."""
    roles, orgs, primary, agents, meta = packed[_ROLES:]
    return User(  # type: ignore[misc]  # the plain fields come first, positionally
        *packed[:_ROLES],
        roles=None if roles is None else [Role(role, org) for role, org in roles],
        orgs=None if orgs is None else list(orgs),
        primaryOrg=primary,
        agents=None if agents is None else list(agents),
        metadata=None if meta is None else Meta(**meta),
    )


def _places_nowhere(loose: list[str]) -> bool:
    """A student or staff role naming no org: the feed of every school reports it."""
    return bool(loose) and any(r in n.STUDENT_ROLES or r in n.STAFF_ROLES for r in loose)


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

    def iter_users(self, school_id: str) -> Iterator[Any]:
        """The users the feed may keep for ``school_id``, in the service's order: dicts, or
        ``User`` structs for those read typed."""
        rows, typed = self.rows, self.typed
        mine = self.by_school.get(school_id, array("i"))
        for pos in heapq.merge(mine, self.everywhere):
            yield _typed(rows[pos]) if typed[pos] else _unpack(rows[pos])

    def users_of(self, school_id: str) -> list[Any]:
        return list(self.iter_users(school_id))


class IndexBuilder:
    """Builds a :class:`UsersIndex` from a district's users, one at a time."""

    def __init__(self, *, delta: bool) -> None:
        self.delta = delta
        self.rows: list[Packed] = []
        self.typed = bytearray()
        self.places: list[frozenset[str] | None] = []
        self.student_places: dict[str, frozenset[str] | None] = {}
        self.agent_places: dict[str, frozenset[str] | None] = {}  # named by a student
        self.family: list[int] = []
        self.memo: dict[Any, Any] = {}

    def add(self, user: Any) -> None:
        """One user: a dict, or a :class:`~rostersync_oneroster.typed.User`."""
        if type(user) is User:
            if user.removed():
                self._removed(_pack_user(user, self.memo), typed=True)
                return
            roles = user.roles_at()
            if not roles:
                return  # the feed keeps no one without a role
            where: frozenset[str] | None = frozenset(user.org_ids())
            if "student" in roles:
                self._student(user.sis_id(), user.agent_ids(), where)
            if _places_nowhere(user.roles_without_org()):
                where = None  # a row every school reports invalid
            self._keep(_pack_user(user, self.memo), roles, where, typed=True)
            return
        row = compact_user(user)
        if n.is_removed(row):
            self._removed(_pack(row, self.memo), typed=False)
            return
        roles = n.roles_at(row)
        if not roles:
            return
        where_row: frozenset[str] | None = frozenset(n.user_orgs(row))
        if "student" in roles:
            self._student(n.text(row.get("sourcedId")), n.ref_ids(row.get("agents")), where_row)
        if _places_nowhere(n.roles_without_org(row)):
            where_row = None  # a row every school reports invalid
        self._keep(_pack(row, self.memo), roles, where_row, typed=False)

    def _removed(self, packed: Packed, *, typed: bool) -> None:
        if self.delta:  # a delta reports every removal to every school
            self.rows.append(packed)
            self.typed.append(typed)
            self.places.append(None)

    def _student(self, sis_id: str, agents: tuple[str, ...], where: frozenset[str] | None) -> None:
        places = self.student_places
        places[sis_id] = _union(places.get(sis_id, frozenset()), where)
        for agent in agents:
            self.agent_places[agent] = _union(self.agent_places.get(agent, frozenset()), where)

    def _keep(
        self, packed: Packed, roles: list[str], where: frozenset[str] | None, *, typed: bool
    ) -> None:
        if any(r in n.FAMILY_ROLES for r in roles):
            self.family.append(len(self.rows))
        self.rows.append(packed)
        self.typed.append(typed)
        self.places.append(where)

    def finish(self) -> UsersIndex:
        rows, places = self.rows, self.places
        for pos in self.family:  # family members go where their students are
            packed = rows[pos]
            named = self.agent_places.get(n.text(packed[_SID]), frozenset())
            where = _union(places[pos], named)
            for student in packed[_AGENTS] or ():
                if where is None:
                    break
                where = _union(where, self.student_places.get(student, frozenset()))
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
        schools = frozenset().union(*(p for p in self.student_places.values() if p is not None))
        return UsersIndex(rows, by_school, everywhere, schools, self.typed)

    @classmethod
    def build(cls, users: Iterator[Any] | list[Any], *, delta: bool) -> UsersIndex:
        builder = cls(delta=delta)
        for user in users:
            builder.add(user)
        return builder.finish()
