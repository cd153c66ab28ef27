"""Users and enrolments read two ways, with the same answers: typed and lenient.

REST pages of ``users`` and ``enrollments`` are decoded by :func:`page_decoder` with
``msgspec`` straight into :class:`User` / :class:`Enrollment` structs holding only the
fields the connector reads (about half the work of ``json.loads``, and no per-field
guessing afterwards). A page that does not fit the types (a number where a string is
expected, a bare reference where a list is, anything odd) is decoded by ``json.loads``
instead, into dicts that :class:`LenientUser` / :class:`LenientEnrollment` read through
:mod:`rostersync_oneroster.normalise`: one odd row is still one invalid row, never a failed
page. CSV rows are always dicts.

Both kinds answer the same questions (``sis_id``, ``removed``, ``roles_at``, ``person``,
...), computed from the same helpers in :mod:`~rostersync_oneroster.normalise`, so the feed
reads either without knowing which it has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from typing import Any, Final

import msgspec

from rostersync_core.fetch import FetchContext
from rostersync_core.http import SisResponse
from rostersync_core.model import Enrolment, Person, PersonKind
from rostersync_oneroster import normalise as n

__all__ = [
    "Enrollment",
    "LenientEnrollment",
    "LenientUser",
    "User",
    "enrollment_row",
    "page_decoder",
    "ref_of",
    "refs_of",
    "user_row",
]

_REMOVED = n.REMOVED_STATUSES
# What most rows hold, read without a detour (anything else takes the general path).
_ROLES = dict(n.ENROLMENT_ROLES)
_BOOLEANS: dict[bool | str | None, bool] = {None: False, True: True, False: False}
_BOOLEANS.update({"true": True, "false": False})
_BAD: Final = dt.date(1, 1, 1)  # "not a date" (compared by identity)
_DAYS: dict[str, dt.date] = {}  # ISO dates seen (a district has few), at most _MAX_DAYS
_MAX_DAYS = 20_000


def _day(raw: str | None) -> dt.date | None:
    """:func:`normalise.date` of ``raw``, or ``_BAD`` when it is not a date."""
    if not raw:
        return None
    day = _DAYS.get(raw)
    if day is None:
        try:
            parsed = n.date(raw, "")
        except n.BadRow:
            return _BAD
        if parsed is None or len(_DAYS) >= _MAX_DAYS:
            return parsed
        day = _DAYS[raw] = parsed
    return day


class Ref(msgspec.Struct, gc=False):
    """A reference object (``href``/``type`` are not read)."""

    sourcedId: str | None = None


class Role(msgspec.Struct, gc=False):
    role: str | None = None
    org: Ref | str | None = None


class Meta(msgspec.Struct, gc=False):
    preferredFirstName: str | None = None
    preferredGivenName: str | None = None


def _t(value: str | None) -> str:
    """:func:`normalise.text` of a string field."""
    return value.strip() if value else ""


def _ref(value: Ref | str | None) -> str:
    """:func:`normalise.ref_id` of a typed reference."""
    if type(value) is Ref:
        sourced_id = value.sourcedId
        return sourced_id.strip() if sourced_id else ""
    return value.strip() if value else ""  # type: ignore[union-attr]


def _refs(values: list[Ref | str] | None) -> tuple[str, ...]:
    """:func:`normalise.ref_ids` of a typed list of references."""
    if not values:
        return ()
    return tuple(i for i in map(_ref, values) if i)


ref_of = _ref
refs_of = _refs


class User(msgspec.Struct, gc=False):
    """A OneRoster user as the connector reads it (1.1 and 1.2 fields)."""

    sourcedId: str | None = None
    status: str | None = None
    givenName: str | None = None
    familyName: str | None = None
    middleName: str | None = None
    preferredFirstName: str | None = None
    preferredGivenName: str | None = None
    email: str | None = None
    username: str | None = None
    identifier: str | None = None
    phone: str | None = None
    enabledUser: bool | str | None = None
    grades: list[str] | str | None = None
    role: str | None = None
    roles: list[Role] | None = None
    orgs: list[Ref | str] | None = None
    primaryOrg: Ref | str | None = None
    agents: list[Ref | str] | None = None
    metadata: Meta | None = None

    def sis_id(self) -> str:
        return _t(self.sourcedId)

    def removed(self) -> bool:
        status = self.status
        return status is not None and status != "active" and status.strip().lower() in _REMOVED

    def roles_at(self, wanted: Collection[str] | None = None) -> list[str]:
        """:func:`normalise.roles_at`."""
        found: list[str] = []
        roles = self.roles
        if roles:
            for entry in roles:
                role = _t(entry.role)
                if role and role not in found:
                    if wanted is not None and _ref(entry.org) not in wanted:
                        continue
                    found.append(role)
            return found
        role = _t(self.role)
        if role:
            if wanted is not None and not any(o in wanted for o in _refs(self.orgs)):
                return found
            found.append(role)
        return found

    def roles_without_org(self) -> list[str]:
        """:func:`normalise.roles_without_org`."""
        found: list[str] = []
        roles = self.roles
        if roles:
            for entry in roles:
                role = _t(entry.role)
                if role and not _ref(entry.org) and role not in found:
                    found.append(role)
            return found
        role = _t(self.role)
        if role and not _refs(self.orgs):
            found.append(role)
        return found

    def org_ids(self) -> set[str]:
        """:func:`normalise.user_orgs`."""
        orgs = set(_refs(self.orgs))
        if self.roles:
            orgs.update(_ref(r.org) for r in self.roles)
        primary = _ref(self.primaryOrg)
        if primary:
            orgs.add(primary)
        orgs.discard("")
        return orgs

    def attached_to(self, org: str) -> bool:
        """``org in self.org_ids()``."""
        if not org:
            return False
        if _ref(self.primaryOrg) == org or (self.orgs and org in _refs(self.orgs)):
            return True
        return bool(self.roles) and any(_ref(r.org) == org for r in self.roles or ())

    def agent_ids(self) -> tuple[str, ...]:
        return _refs(self.agents)

    def person(
        self, kind: PersonKind, roles: tuple[str, ...], context: FetchContext
    ) -> Person | None:
        """:func:`normalise.person_from`."""
        meta = self.metadata
        return n.build_person(
            kind,
            roles,
            context,
            sis_id=_t(self.sourcedId),
            given=_t(self.givenName),
            family=_t(self.familyName),
            preferred=_t(
                self.preferredFirstName
                or self.preferredGivenName
                or (meta.preferredFirstName or meta.preferredGivenName if meta else None)
            ),
            middle=_t(self.middleName),
            email=_t(self.email),
            username=_t(self.username),
            identifier=_t(self.identifier),
            phone=_t(self.phone),
            grades=self.grades,
            enabled=self.enabledUser,
        )


class Enrollment(msgspec.Struct, gc=False):
    """A OneRoster enrollment as the connector reads it."""

    sourcedId: str | None = None
    status: str | None = None
    klass: Ref | str | None = msgspec.field(default=None, name="class")
    user: Ref | str | None = None
    school: Ref | str | None = None
    role: str | None = None
    primary: bool | str | None = None
    beginDate: str | None = None
    endDate: str | None = None

    def class_id(self) -> str:
        return _ref(self.klass)

    def school_id(self) -> str:
        return _ref(self.school)

    def user_id(self) -> str:
        return _ref(self.user)

    def removed(self) -> bool:
        status = self.status
        return status is not None and status != "active" and status.strip().lower() in _REMOVED

    def enrolment(self, context: FetchContext) -> Enrolment | None:
        """:func:`normalise.enrolment_from`."""
        role = _ROLES.get(self.role or "")
        primary = _BOOLEANS.get(self.primary)
        class_id = _ref(self.klass)
        user_id = _ref(self.user)
        if role is not None and primary is not None and class_id and user_id:
            begin = _day(self.beginDate)
            end = _day(self.endDate)
            if begin is not _BAD and end is not _BAD:
                return Enrolment(
                    class_id,
                    user_id,
                    role,
                    primary,
                    begin,
                    end,
                    _t(self.sourcedId),
                )
        return n.build_enrolment(
            context,
            sis_id=_t(self.sourcedId),
            class_id=_ref(self.klass),
            user_id=_ref(self.user),
            role_name=_t(self.role),
            begin=self.beginDate,
            end=self.endDate,
            primary=self.primary,
        )


class LenientUser:
    """A user read as a dict (a page that did not fit :class:`User`, or CSV)."""

    __slots__ = ("row",)

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row

    def sis_id(self) -> str:
        return n.text(self.row.get("sourcedId"))

    def removed(self) -> bool:
        return n.is_removed(self.row)

    def roles_at(self, wanted: Collection[str] | None = None) -> list[str]:
        return n.roles_at(self.row, wanted)

    def roles_without_org(self) -> list[str]:
        return n.roles_without_org(self.row)

    def org_ids(self) -> set[str]:
        return n.user_orgs(self.row)

    def attached_to(self, org: str) -> bool:
        return org in n.user_orgs(self.row)

    def agent_ids(self) -> tuple[str, ...]:
        return n.ref_ids(self.row.get("agents"))

    def person(
        self, kind: PersonKind, roles: tuple[str, ...], context: FetchContext
    ) -> Person | None:
        return n.person_from(self.row, kind, roles, context)


class LenientEnrollment:
    """An enrollment read as a dict."""

    __slots__ = ("row",)

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row

    def class_id(self) -> str:
        return n.ref_id(self.row.get("class"))

    def school_id(self) -> str:
        return n.ref_id(self.row.get("school"))

    def user_id(self) -> str:
        return n.ref_id(self.row.get("user"))

    def removed(self) -> bool:
        return n.is_removed(self.row)

    def enrolment(self, context: FetchContext) -> Enrolment | None:
        return n.enrolment_from(self.row, context)


def user_row(row: Any) -> User | LenientUser:
    """``row`` (a :class:`User` or a dict) as something the feed reads."""
    return row if type(row) is User else LenientUser(row)


def enrollment_row(row: Any) -> Enrollment | LenientEnrollment:
    return row if type(row) is Enrollment else LenientEnrollment(row)


class _UsersPage(msgspec.Struct, gc=False):
    users: list[User]


class _EnrollmentsPage(msgspec.Struct, gc=False):
    enrollments: list[Enrollment]


_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    "users": msgspec.json.Decoder(_UsersPage),
    "enrollments": msgspec.json.Decoder(_EnrollmentsPage),
}


def page_decoder(key: str) -> Callable[[SisResponse], Any] | None:
    """A page decoder for ``iter_offset_pages(decode=...)``: ``{key: [structs]}``, or the
    page as ``json.loads`` gives it when it does not fit the types (``None``: ``key`` has
    no typed reading)."""
    decoder = _DECODERS.get(key)
    if decoder is None:
        return None

    def decode(response: SisResponse) -> Any:
        try:
            page = decoder.decode(response.content)
        except msgspec.DecodeError:  # also a ValidationError: read it leniently
            return response.json()
        return {key: getattr(page, key)}

    return decode
