"""A faithful fake OneRoster REST server (1.1 or 1.2, OAuth 2 or OAuth 1.0a) on loopback.

::

    from rostersync_core.districts import generate_district
    from rostersync_oneroster.testing import FakeOneRosterServer

    with FakeOneRosterServer(generate_district(students=60), version="1.2") as sis:
        config = sis.config()          # ready for the connector (base_url, client_id, ...)
        sis.inject(Fault(status=429, retry_after="1", times=2))   # any base-class fault
        sis.tokens.expire_all()        # OAuth 2: the next call answers 401
        sis.publish(evolve_district(district), modified="2026-09-01T00:00:00.000Z")

Serves orgs, schools, academicSessions, terms, courses, classes, users, students,
teachers, enrollments, each also by id and per school (``/schools/{id}/classes`` ...), with
``limit``/``offset``/``sort``/``orderBy``/``filter``. Real servers' quirks are options:
``count_header`` (``"X-Total-Count"``, ``"x-total-count"`` or None), ``link_header``,
``limit_cap`` (the server silently caps ``limit``), ``lower_case_headers``
(``x-total-count``, ``link``), ``supports_filter`` (False: any ``filter`` is refused with
a 400, as some 1.1 servers do). Faults (429, 500, slow pages, truncated bodies, dropped
connections) come from :class:`~rostersync_core.testing.fake_sis.FakeSisServer`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from rostersync_core.districts import District
from rostersync_core.http import oauth1
from rostersync_core.testing.fake_sis import (
    FakeRequest,
    FakeResponse,
    FakeSisServer,
    Fault,
    OAuth2TokenIssuer,
)
from rostersync_oneroster.config import BASE_PATHS, DEFAULT_SCOPES
from rostersync_oneroster.shared_users import SHARED_USERS
from rostersync_oneroster.testing.shapes import (
    OneRosterDataset,
    dataset_from_district,
    user_roles,
)

__all__ = [
    "FAKE_CLIENT_ID",
    "FAKE_CLIENT_SECRET",
    "ContractFaults",
    "FakeOneRosterServer",
    "imsx_error",
]

FAKE_CLIENT_ID = "fake-oneroster-client"
FAKE_CLIENT_SECRET = "fake-oneroster-secret-0123456789"

_SINGULAR = {
    "orgs": "org",
    "academicSessions": "academicSession",
    "courses": "course",
    "classes": "class",
    "users": "user",
    "enrollments": "enrollment",
}
#: path name -> (collection, answer key, record filter)
_VIEWS: dict[str, tuple[str, str, Any]] = {
    "orgs": ("orgs", "orgs", None),
    "schools": ("orgs", "orgs", lambda r: r.get("type") == "school"),
    "academicSessions": ("academicSessions", "academicSessions", None),
    "terms": ("academicSessions", "academicSessions", lambda r: r.get("type") != "schoolYear"),
    "courses": ("courses", "courses", None),
    "classes": ("classes", "classes", None),
    "users": ("users", "users", None),
    "students": ("users", "users", lambda r: "student" in user_roles(r)),
    "teachers": ("users", "users", lambda r: "teacher" in user_roles(r)),
    "enrollments": ("enrollments", "enrollments", None),
}
_CLAUSE = re.compile(r"^\s*([A-Za-z][\w.]*)\s*(>=|<=|!=|=|>|<|~)\s*'(.*)'\s*$")


def imsx_error(status: int, minor: str, description: str) -> FakeResponse:
    """A OneRoster 1.2 error answer."""
    return FakeResponse.json(
        {
            "imsx_codeMajor": "failure",
            "imsx_severity": "error",
            "imsx_description": description,
            "imsx_CodeMinor": {
                "imsx_codeMinorField": [
                    {
                        "imsx_codeMinorFieldName": "TargetEndSystem",
                        "imsx_codeMinorFieldValue": minor,
                    }
                ]
            },
        },
        status,
    )


def _parse_time(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _matches(record: dict[str, Any], field: str, op: str, wanted: str) -> bool:
    value = record
    for part in field.split("."):
        value = value.get(part, "") if isinstance(value, dict) else ""
    have: Any = value if isinstance(value, str) else str(value)
    want: Any = wanted
    if field == "dateLastModified":
        have, want = _parse_time(have), _parse_time(wanted)
        if have is None or want is None:
            return False
    if op == "~":
        return str(want).lower() in str(have).lower()
    return bool(
        {
            "=": have == want,
            "!=": have != want,
            ">": have > want,
            ">=": have >= want,
            "<": have < want,
            "<=": have <= want,
        }[op]
    )


class FakeOneRosterServer(FakeSisServer):
    """A OneRoster REST server for a generated district. See the module docstring."""

    def __init__(
        self,
        district: District | OneRosterDataset,
        *,
        version: str = "1.2",
        auth: str = "oauth2",
        signature_method: str = "HMAC-SHA256",
        count_header: str | None = "X-Total-Count",
        link_header: bool = True,
        limit_cap: int | None = None,
        supports_filter: bool = True,
        lower_case_headers: bool = False,
        token_lifetime: float = 3600.0,
        client_id: str = FAKE_CLIENT_ID,
        client_secret: str = FAKE_CLIENT_SECRET,
    ) -> None:
        super().__init__()
        self.version = version
        self.auth = auth
        self.signature_method = signature_method
        self.count_header = count_header
        self.link_header = link_header
        self.limit_cap = limit_cap
        self.supports_filter = supports_filter
        self.lower_case_headers = lower_case_headers
        self.client_id = client_id
        self.client_secret = client_secret
        self.dataset = (
            district
            if isinstance(district, OneRosterDataset)
            else dataset_from_district(district, version=version)
        )
        self.base_path = BASE_PATHS[version]
        self.tokens = OAuth2TokenIssuer(
            client_id,
            client_secret,
            lifetime=token_lifetime,
            required_scopes=DEFAULT_SCOPES[version],
        )
        if auth == "oauth2":
            self.use_oauth2(self.tokens, token_path="/oauth/token")
        elif auth == "oauth1":
            self.set_guard(self._verify_oauth1)
        else:
            raise ValueError(f"auth must be 'oauth2' or 'oauth1', not {auth!r}")
        base = re.escape(self.base_path)
        names = "|".join(_VIEWS)
        self.add_route("GET", rf"{base}/(?P<view>{names})", self._collection)
        self.add_route("GET", rf"{base}/(?P<view>{names})/(?P<sourced_id>[^/]+)", self._one)
        self.add_route(
            "GET",
            rf"{base}/schools/(?P<school>[^/]+)/(?P<view>classes|enrollments|students|teachers|courses|terms)",
            self._per_school,
        )

    # -- what tests use ----------------------------------------------------------------------

    def config(self, **overrides: Any) -> dict[str, Any]:
        """A connector config pointing at this server with the right credentials."""
        config: dict[str, Any] = {
            "source": "rest",
            "base_url": self.url,
            "version": self.version,
            "auth": self.auth,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        if self.auth == "oauth1":
            config["signature_method"] = self.signature_method
        config.update(overrides)
        return config

    def contract_faults(self) -> ContractFaults:
        """A fault injector for the connector contract suite."""
        return ContractFaults(self)

    def counts(self, school_id: str, district: District) -> dict[str, int]:
        """Records per kind the connector must yield for ``school_id`` of ``district``."""
        roster = district.school(school_id)
        return {
            "class": len(roster.classes),
            "student": len(roster.students()),
            "staff": len(roster.staff()),
            "family": len(roster.family()),
            "enrolment": len(roster.enrolments),
            "family_link": len(roster.family_links),
        }

    def bad_config(self) -> dict[str, Any]:
        """The same config with a wrong secret."""
        return self.config(client_secret="not-the-right-secret")

    def publish(self, district: District, *, modified: str) -> None:
        """Serve a later snapshot: what changed is stamped ``modified``, what vanished is
        ``tobedeleted`` (so ``filter=dateLastModified>...`` gives the delta). The users reads
        this process shared are forgotten."""
        later = dataset_from_district(district, version=self.version)
        self.dataset = self.dataset.evolve(later, modified=modified)
        SHARED_USERS.clear()  # a school synced next sees the new snapshot

    def stop(self) -> None:
        """Stop serving; the users reads this process shared are forgotten (a server
        started later can get the same port and credentials, with other data)."""
        super().stop()
        SHARED_USERS.clear()

    # -- auth --------------------------------------------------------------------------------

    def unauthorized(self, request: FakeRequest) -> FakeResponse:
        response = imsx_error(401, "unauthorisedrequest", "invalid or expired access token")
        return response.with_headers({"WWW-Authenticate": 'Bearer error="invalid_token"'})

    def _verify_oauth1(self, request: FakeRequest) -> FakeResponse | None:
        params = oauth1.parse_authorization_header(request.header("authorization"))
        given = params.pop("oauth_signature", "")
        method = params.get("oauth_signature_method", "")
        if params.get("oauth_consumer_key") == self.client_id and method == self.signature_method:
            expected = oauth1.signature(
                request.method,
                request.url,
                list(params.items()),
                self.client_secret,
                signature_method=method,
            )
            if given == expected:
                return None
        return imsx_error(401, "unauthorisedrequest", "the request signature is not valid")

    # -- serving -----------------------------------------------------------------------------

    def _page(self, request: FakeRequest, records: list[dict[str, Any]], key: str) -> FakeResponse:
        filter_ = request.arg("filter")
        if filter_ and not self.supports_filter:
            return imsx_error(400, "invalid_filter_field", "filtering is not supported")
        if filter_:
            clauses = re.split(r"\s+(AND|OR)\s+", filter_)
            parsed = [_CLAUSE.match(c) for c in clauses[::2]]
            if any(p is None for p in parsed) or (self.version == "1.1" and len(parsed) > 2):
                return imsx_error(400, "invalid_filter_field", "the filter cannot be read")
            joins = clauses[1::2]
            kept = []
            for record in records:
                result = _matches(record, *parsed[0].groups())  # type: ignore[union-attr]
                for join, clause in zip(joins, parsed[1:], strict=True):
                    value = _matches(record, *clause.groups())  # type: ignore[union-attr]
                    result = (result and value) if join == "AND" else (result or value)
                if result:
                    kept.append(record)
            records = kept
        sort = request.arg("sort")
        if sort and not (sort == "sourcedId" and request.arg("orderBy", "asc") == "asc"):
            records = sorted(
                records,
                key=lambda r: str(r.get(sort, "")),
                reverse=request.arg("orderBy") == "desc",
            )
        try:
            limit = int(request.arg("limit", "100") or 100)
            offset = int(request.arg("offset", "0") or 0)
        except ValueError:
            return imsx_error(400, "invalid_selection_field", "limit and offset are numbers")
        if self.limit_cap is not None:
            limit = min(limit, self.limit_cap)
        page = records[offset : offset + max(limit, 0)]
        headers: dict[str, str] = {}
        if self.count_header:
            headers[self.count_header] = str(len(records))
        if self.link_header and offset + limit < len(records):
            query = {k: v[0] for k, v in request.query.items()}
            query.update(limit=str(limit), offset=str(offset + limit))
            headers["Link"] = f'<{self.url}{request.raw_path}?{urlencode(query)}>; rel="next"'
        if self.lower_case_headers:
            headers = {k.lower(): v for k, v in headers.items()}
        return FakeResponse.json({key: page}, headers=headers)

    def _collection(self, request: FakeRequest, view: str) -> FakeResponse:
        collection, key, keep = _VIEWS[view]
        records = self.dataset.records(collection)
        if keep is not None:
            records = [r for r in records if keep(r)]
        return self._page(request, records, key)

    def _one(self, request: FakeRequest, view: str, sourced_id: str) -> FakeResponse:
        collection, _, keep = _VIEWS[view]
        record = self.dataset.collections[collection].get(sourced_id)
        if record is None or (keep is not None and not keep(record)):
            return imsx_error(404, "unknownobject", f"no such {_SINGULAR[collection]}")
        return FakeResponse.json({_SINGULAR[collection]: record})

    def _per_school(self, request: FakeRequest, school: str, view: str) -> FakeResponse:
        org = self.dataset.collections["orgs"].get(school)
        if org is None or org.get("type") != "school":
            return imsx_error(404, "unknownobject", "no such school")
        collection, key, keep = _VIEWS[view]
        records = self.dataset.school_records(collection, school)
        if keep is not None:
            records = [r for r in records if keep(r)]
        return self._page(request, records, key)


class ContractFaults:
    """The contract suite's ``FaultInjector`` for a :class:`FakeOneRosterServer`:
    transient faults are 503s, credential faults 401s, on the rostering paths only."""

    def __init__(self, server: FakeOneRosterServer) -> None:
        self.server = server
        self._fault: Fault | None = None

    def inject(self, fault: Any, times: int) -> None:
        status = 401 if str(fault) == "credentials" else 503
        if self._fault is not None:
            self._fault.times = 0
        self._fault = self.server.inject(
            Fault(status=status, times=times, path=f"^{re.escape(self.server.base_path)}/")
        )

    def served(self) -> int:
        return self._fault.hits if self._fault is not None else 0
