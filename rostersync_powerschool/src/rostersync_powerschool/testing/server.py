"""A fake PowerSchool server on loopback, serving a generated district.

Built on the core's :class:`~rostersync_core.testing.fake_sis.FakeSisServer`, so it can be
told to misbehave with :meth:`inject` (429 with or without ``Retry-After``, 503, slow,
truncated or malformed answers) and keeps a request log. ``issuer.expire_all()`` makes
the next call answer 401 ``invalid_token`` (an expired token)::

    district = generate_district(students=40, seed=3)
    with FakePowerSchool(district, max_page_size=10) as ps:
        config = ps.config()        # base_url, client_id, client_secret
        ...

What it serves (see :mod:`rostersync_powerschool.testing.render` for the shapes):
``POST /oauth/access_token`` (``expires_in`` as a string), ``/ws/v1/metadata``,
``/ws/v1/district/school``, ``/ws/v1/school/{id}`` and its ``student``, ``staff``,
``section``, ``course`` and ``term`` lists, ``/ws/v1/section/{id}/section_enrollment``,
each list with ``/count`` and ``page``/``pagesize`` paging; the Contacts API
``/ws/contacts/student/{dcid}`` (204 when none; 404 with ``contacts_api=False``, like
an older server) and the co-teacher PowerQuery ``POST /ws/schema/query/{name}``.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Sequence
from typing import Any

from rostersync_core.districts import District
from rostersync_core.testing.fake_sis import (
    FakeRequest,
    FakeResponse,
    FakeSisServer,
    Fault,
    OAuth2TokenIssuer,
)
from rostersync_powerschool.api import COTEACHER_QUERY
from rostersync_powerschool.testing.render import PowerSchoolData, render_district

__all__ = ["FAKE_CLIENT_ID", "FAKE_CLIENT_SECRET", "FakePowerSchool", "Fault"]

#: The fake plugin credentials (made up; never a real secret).
FAKE_CLIENT_ID = "fake-ps-plugin-client"
FAKE_CLIENT_SECRET = "fake-ps-plugin-secret-0c8f3a"
#: PowerSchool's default token lifetime, about 29 days.
DEFAULT_LIFETIME = 2504956.0
_ID = r"(?P<{}>-?\d+)"


class FakePowerSchool(FakeSisServer):
    """A PowerSchool server holding ``district``.

    - ``max_page_size``: every resource's maximum (and default) page size.
    - ``contacts_api``: False answers 404 on the Contacts API (PowerSchool before 12).
    - ``refusal_status``: the status of a refused token request (200 sends the PowerSchool
      ``{"error": ...}`` body with HTTP 200).
    - ``pre_registered_every`` / ``transferred_out`` / ``dropped_every``: see
      :func:`~rostersync_powerschool.testing.render.render_district`.
    - ``data``: the rendered objects; tests may edit them to serve odd shapes.
    """

    def __init__(
        self,
        district: District,
        *,
        client_id: str = FAKE_CLIENT_ID,
        client_secret: str = FAKE_CLIENT_SECRET,
        max_page_size: int = 100,
        contacts_api: bool = True,
        refusal_status: int = 401,
        token_lifetime: float = DEFAULT_LIFETIME,
        pre_registered_every: int = 0,
        transferred_out: int = 0,
        dropped_every: int = 0,
    ) -> None:
        super().__init__()
        self.district = district
        self.client_id = client_id
        self.client_secret = client_secret
        self.max_page_size = max_page_size
        self.contacts_api = contacts_api
        self._flight_lock = threading.Lock()
        self.in_flight = 0
        #: The most requests the server was answering at once (routes only, not faults).
        self.max_in_flight = 0
        #: Added to every ``/count`` answer (a count that is out of date); None: no count
        #: endpoints at all (404).
        self.count_skew: int | None = 0
        #: Serve at most this many records a page, whatever the metadata says (a server
        #: whose real cap is lower than its advertised one).
        self.page_cap: int | None = None
        #: Answer page 1 whatever ``page`` asks for (a server that ignores paging).
        self.ignores_page = False
        #: Serve the co-teacher PowerQuery (False: 404, as for a plugin without access).
        self.coteacher_query = True
        #: ``(path regex, seconds)``: matching routes take this long (counted in flight).
        self.slow_routes: tuple[str, float] | None = None
        self.data: PowerSchoolData = render_district(
            district,
            pre_registered_every=pre_registered_every,
            transferred_out=transferred_out,
            dropped_every=dropped_every,
        )
        self.use_oauth2(
            OAuth2TokenIssuer(
                client_id,
                client_secret,
                lifetime=token_lifetime,
                expires_in_as_string=True,
                refusal_status=refusal_status,
                refusal_body={"error": "invalid_client",
                              "error_description": "Client authentication failed"},
            ),
            token_path="/oauth/access_token",
        )
        school = _ID.format("school")
        self.add_route("GET", r"/ws/v1/metadata", self._metadata)
        self.add_route("GET", r"/ws/v1/district/school", self._schools)
        self.add_route("GET", r"/ws/v1/district/school/count", self._schools_count)
        self.add_route("GET", rf"/ws/v1/school/{school}", self._school)
        resources = "student|staff|section|course|term"
        self.add_route("GET", rf"/ws/v1/school/{school}/(?P<resource>{resources})", self._list)
        self.add_route("GET", rf"/ws/v1/school/{school}/(?P<resource>{resources})/count",
                       self._count)
        section = _ID.format("section")
        self.add_route("GET", rf"/ws/v1/section/{section}/section_enrollment",
                       self._section_enrollments)
        self.add_route("GET", rf"/ws/v1/section/{section}/section_enrollment/count",
                       self._section_enrollments_count)
        self.add_route("GET", rf"/ws/contacts/student/{_ID.format('student')}", self._contacts)
        self.add_route("POST", r"/ws/schema/query/(?P<name>[\w.]+)", self._powerquery)
        self.add_route("POST", r"/ws/schema/query/(?P<name>[\w.]+)/count",
                       self._powerquery_count)

    # -- helpers ----------------------------------------------------------------------------

    def config(self, **overrides: Any) -> dict[str, Any]:
        """A connection config for this server (overrides win)."""
        return {"base_url": self.url, "client_id": self.client_id,
                "client_secret": self.client_secret, **overrides}

    def dispatch(self, request: FakeRequest) -> FakeResponse:
        with self._flight_lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.slow_routes and re.search(self.slow_routes[0], request.path):
                time.sleep(self.slow_routes[1])
            return super().dispatch(request)
        finally:
            with self._flight_lock:
                self.in_flight -= 1

    def unauthorized(self, request: FakeRequest) -> FakeResponse:
        return FakeResponse.json(
            {"message": "Access denied"}, 401,
            {"WWW-Authenticate": 'Bearer realm="PowerSchool", error="invalid_token", '
             'error_description="The access token has expired"'},
        )

    def _page(
        self, request: FakeRequest, items: Sequence[Any], plural: str, singular: str
    ) -> FakeResponse:
        size = min(int(request.arg("pagesize") or self.max_page_size), self.max_page_size,
                   self.page_cap or self.max_page_size)
        page = 1 if self.ignores_page else max(1, int(request.arg("page") or 1))
        chunk = list(items[(page - 1) * size: page * size])
        inner: dict[str, Any] = {}
        if request.arg("expansions"):
            inner["@expansions"] = "school_enrollment, contact, contact_info, demographics"
        if request.arg("extensions"):
            inner["@extensions"] = "s_crs_x"
        if not chunk:
            return FakeResponse.json({plural: ""})
        inner[singular] = chunk[0] if len(chunk) == 1 else chunk
        return FakeResponse.json({plural: inner})

    def _count_of(self, items: Sequence[Any]) -> FakeResponse:
        if self.count_skew is None:
            return FakeResponse.json({"message": "Not Found"}, 404)
        return FakeResponse.json({"resource": {"count": max(0, len(items) + self.count_skew)}})

    def _school_data(self, school: str) -> Any:
        return self.data.schools.get(int(school))

    # -- routes -----------------------------------------------------------------------------

    def _metadata(self, request: FakeRequest) -> FakeResponse:
        sizes = {f"{r}_max_page_size": self.max_page_size for r in (
            "school", "student", "staff", "section", "course", "term", "section_enrollment",
            "powerquery")}
        return FakeResponse.json({"metadata": {
            "plugin_id": 4711, "powerschool_version": "23.4.0.0",
            "district_timezone": "America/New_York", **sizes}})

    def _all_schools(self) -> list[dict[str, Any]]:
        return [*self.data.other_schools[:1],
                *(s.school for s in self.data.schools.values()),
                *self.data.other_schools[1:]]

    def _schools(self, request: FakeRequest) -> FakeResponse:
        return self._page(request, self._all_schools(), "schools", "school")

    def _schools_count(self, request: FakeRequest) -> FakeResponse:
        return self._count_of(self._all_schools())

    def _school(self, request: FakeRequest, school: str) -> FakeResponse:
        data = self._school_data(school)
        if data is None:
            return FakeResponse.json({"message": "Not Found"}, 404)
        return FakeResponse.json({"school": data.school})

    def _items(self, request: FakeRequest, school: str, resource: str) -> list[Any] | None:
        data = self._school_data(school)
        if data is None:
            return None
        items: list[Any] = getattr(data, "staff" if resource == "staff" else f"{resource}s")
        if resource == "student":
            wanted = {e.strip() for e in (request.arg("expansions") or "").split(",")}
            expansions = {"school_enrollment", "contact", "contact_info"}
            items = [{k: v for k, v in s.items() if k not in expansions or k in wanted}
                     for s in items]
        elif resource == "course" and "s_crs_x" not in (request.arg("extensions") or ""):
            items = [{k: v for k, v in c.items() if k != "_extension_data"} for c in items]
        return items

    def _list(self, request: FakeRequest, school: str, resource: str) -> FakeResponse:
        items = self._items(request, school, resource)
        if items is None:
            return FakeResponse.json({"message": "Not Found"}, 404)
        plural = "staffs" if resource == "staff" else f"{resource}s"
        return self._page(request, items, plural, resource)

    def _count(self, request: FakeRequest, school: str, resource: str) -> FakeResponse:
        items = self._items(request, school, resource)
        if items is None:
            return FakeResponse.json({"message": "Not Found"}, 404)
        return self._count_of(items)

    def _section_enrollments(self, request: FakeRequest, section: str) -> FakeResponse:
        rows = self.data.section_enrollments.get(int(section))
        if rows is None:
            return FakeResponse.json({"message": "Not Found"}, 404)
        return self._page(request, rows, "section_enrollments", "section_enrollment")

    def _section_enrollments_count(self, request: FakeRequest, section: str) -> FakeResponse:
        return self._count_of(self.data.section_enrollments.get(int(section), []))

    def _contacts(self, request: FakeRequest, student: str) -> FakeResponse:
        if not self.contacts_api:
            return FakeResponse.json({"message": "Not Found"}, 404)
        contacts = self.data.contacts.get(int(student))
        if not contacts:
            return FakeResponse.empty(204)
        return FakeResponse.json(contacts)

    def _powerquery(self, request: FakeRequest, name: str) -> FakeResponse:
        if name != COTEACHER_QUERY or not self.coteacher_query:
            return FakeResponse.json({"message": f"no PowerQuery {name}"}, 404)
        size = min(int(request.arg("pagesize") or self.max_page_size), self.max_page_size)
        page = 1 if self.ignores_page else max(1, int(request.arg("page") or 1))
        rows = self.data.coteachers[(page - 1) * size: page * size]
        return FakeResponse.json({"name": name, "record": rows})

    def _powerquery_count(self, request: FakeRequest, name: str) -> FakeResponse:
        return FakeResponse.json({"count": len(self.data.coteachers)})

    def page_count(self, items: int) -> int:
        """How many pages ``items`` records take at the server's maximum page size."""
        return math.ceil(items / self.max_page_size)
