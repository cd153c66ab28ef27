"""PowerSchool's REST API over the core's HTTP toolkit: auth, metadata, counts, paging.

Every request goes through one :class:`~rostersync_core.http.client.SisClient`: OAuth 2
client credentials at ``/oauth/access_token`` (``expires_in`` as a string, the token
cached, renewed once on 401), retries honouring ``Retry-After``, and the connection's
rate and concurrency limits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from rostersync_core.errors import ConfigError, InvalidSisDataError, UnknownSchoolError
from rostersync_core.http import (
    OAuth2ClientCredentials,
    RequestLimits,
    RetryPolicy,
    SisClient,
    SisNotFoundError,
    segment,
)
from rostersync_powerschool.settings import PowerSchoolSettings
from rostersync_powerschool.shapes import (
    as_list,
    as_mapping,
    int_or_none,
    unwrap_list,
    wrapped_count,
)

__all__ = [
    "COTEACHER_QUERY",
    "DEFAULT_PAGE_SIZE",
    "ContactsForbiddenError",
    "PowerSchoolApi",
    "token_auth",
    "unknown_school",
]

#: The PowerQuery that lists every teacher of every section (lead and co-teachers).
COTEACHER_QUERY = "com.powerschool.core.users.coteacher_access_roles"
#: Page size when the metadata names none for a resource.
DEFAULT_PAGE_SIZE = 100
#: Default token lifetime when ``expires_in`` is unreadable (PowerSchool's is ~30 days).
_DEFAULT_LIFETIME = 3600.0


class ContactsForbiddenError(ConfigError):
    """The plugin's credentials work, but its access does not include the Contacts API
    (PowerSchool answers 403): a setup matter for the district, not bad credentials."""


def _ignores_paging(path: str) -> InvalidSisDataError:
    """A server that answers every ``page`` with the same records would be read forever."""
    return InvalidSisDataError(
        f"PowerSchool answered /{path} with the same page again: it ignores 'page'",
        hint="tell the district's PowerSchool administrator; paging cannot work",
    )


def unknown_school(school_id: str) -> UnknownSchoolError:
    """The error for a school id PowerSchool does not know (404 on its paths)."""
    return UnknownSchoolError(
        f"PowerSchool has no school {school_id!r}",
        hint="pick the school again with `rostersync setup`",
    )


def token_auth(settings: PowerSchoolSettings) -> OAuth2ClientCredentials:
    """The plugin's OAuth 2 client credentials at ``/oauth/access_token`` (token cached)."""
    return OAuth2ClientCredentials(
        "/oauth/access_token",
        settings.client_id,
        settings.client_secret,
        default_lifetime=_DEFAULT_LIFETIME,
    )


class PowerSchoolApi:
    """One authenticated connection to a PowerSchool server."""

    def __init__(
        self,
        settings: PowerSchoolSettings,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        auth: OAuth2ClientCredentials | None = None,
    ) -> None:
        self.settings = settings
        self.auth = auth or token_auth(settings)
        self.client = SisClient(
            settings.base_url,
            auth=self.auth,
            retry=retry,
            limits=RequestLimits(
                max_concurrency=settings.max_concurrency,
                requests_per_second=settings.requests_per_second,
            ),
            timeout=timeout,
            user_agent="rostersync-powerschool",
        )
        self.metadata: Mapping[str, Any] = {}
        #: The real page size of a server that caps pages below its metadata, learnt from
        #: a counted list (None until seen): it tells a capped full page from the last one
        #: in lists read without a count.
        self.page_cap: int | None = None

    def __repr__(self) -> str:
        return f"PowerSchoolApi({self.settings.base_url!r})"

    def close(self) -> None:
        self.client.close()

    # -- connection check -------------------------------------------------------------------

    def check(self) -> Mapping[str, Any]:
        """Fetch ``/ws/v1/metadata`` (a token is fetched first): proves the credentials work
        and gives the page-size limits."""
        self.metadata = as_mapping(as_mapping(self.client.get_json("ws/v1/metadata")).get(
            "metadata"))
        return self.metadata

    def page_size(self, resource: str) -> int:
        """Records per page for ``resource``: the config's, never above the plugin's max."""
        limit = int_or_none(self.metadata.get(f"{resource}_max_page_size"))
        limit = limit if limit and limit > 0 else DEFAULT_PAGE_SIZE
        wanted = self.settings.page_size
        return min(wanted, limit) if wanted else limit

    # -- reading ----------------------------------------------------------------------------

    def get_json(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        return self.client.get_json(path, params=params)

    def count(self, path: str) -> int | None:
        """``GET {path}/count``; None when the server gives no readable count."""
        try:
            return wrapped_count(self.client.get_json(f"{path}/count"))
        except SisNotFoundError:
            return None

    def school_path(self, school_id: str, resource: str) -> str:
        return f"ws/v1/school/{segment(school_id)}/{resource}"

    def list_records(
        self,
        path: str,
        plural: str,
        singular: str,
        *,
        resource: str,
        params: Mapping[str, str | int] | None = None,
        use_count: bool = True,
    ) -> Iterator[Mapping[str, Any]]:
        """Every record of a paged list, in order.

        Page 1 is read first: when it is shorter than asked although more records exist,
        the server caps pages lower than its metadata says, and that size is used. The
        count endpoint says how many pages follow; they are fetched concurrently within the
        connection's limits. Reading stops at the count or at the first empty page,
        whichever comes first. Without a count (or with ``use_count=False``, for lists that
        rarely pass one page, like a section's enrolments, or a count of 0, which page 1
        must confirm), pages are read one by one until an empty or short one (short of the
        server's real page size when a counted list showed it caps pages).
        """
        size = self.page_size(resource)
        total = self.count(path) if use_count else None

        def page(number: int) -> list[Mapping[str, Any]]:
            query: dict[str, str | int] = {**(params or {}), "page": number, "pagesize": size}
            return unwrap_list(self.client.get_json(path, params=query), plural, singular,
                               where=f"PowerSchool's answer to GET /{path}")

        if total is not None and total <= 0:
            # A count of 0 is believed only if page 1 agrees: a wrong one would make
            # everyone look gone. Read as if there were no count.
            total = None
        first = page(1)
        if total is None:
            records, number = first, 1
            while True:
                yield from records
                if not records or len(records) < self._full_page(size):
                    return
                number += 1
                previous, records = records, page(number)
                if records == previous:
                    raise _ignores_paging(path)
        effective = len(first)
        if 0 < effective < size and total > effective:
            self.page_cap = min(self.page_cap or effective, effective)
        take = first[:total]
        yield from take
        seen = len(take)
        if seen >= total or not first:
            return
        for records in self.client.imap(page, range(2, math.ceil(total / effective) + 1)):
            if not records:
                return
            if records == first:
                raise _ignores_paging(path)
            take = records[: total - seen]
            seen += len(take)
            yield from take
            if seen >= total:
                return

    def _full_page(self, size: int) -> int:
        """How many records a full page holds when ``size`` were asked for."""
        return min(size, self.page_cap) if self.page_cap else size

    def school_records(
        self, school_id: str, resource: str, plural: str, *, params: Mapping[str, str] | None = None
    ) -> Iterator[Mapping[str, Any]]:
        """A school's ``student``/``staff``/``section``/``course``/``term`` records."""
        path = self.school_path(school_id, resource)
        try:
            yield from self.list_records(path, plural, resource, resource=resource, params=params)
        except SisNotFoundError:
            raise unknown_school(school_id) from None

    def powerquery(
        self, name: str, arguments: Mapping[str, Any] | None = None
    ) -> Iterator[Mapping[str, Any]]:
        """Every record of a PowerQuery (``POST /ws/schema/query/{name}``), paged.

        Yields each record's ``tables`` mapping (values are strings).
        """
        path = f"ws/schema/query/{segment(name)}"
        size = self.page_size("powerquery") if self.metadata else DEFAULT_PAGE_SIZE
        number = 1
        previous: list[Mapping[str, Any]] = []
        while True:
            body = self.client.request(
                "POST", path, params={"page": number, "pagesize": size}, json=dict(arguments or {})
            ).json()
            records = [as_mapping(r) for r in as_list(as_mapping(body).get("record"))]
            if number > 1 and records and records == previous:
                raise _ignores_paging(path)
            for record in records:
                yield as_mapping(record.get("tables"))
            if len(records) < self._full_page(size):
                return
            number += 1
            previous = records

    def imap(self, fn: Callable[[Any], Any], items: Any) -> Iterator[Any]:
        """The toolkit's concurrent map, within this connection's limits."""
        return self.client.imap(fn, items)

    def student_contacts(self, student_dcid: str) -> list[Mapping[str, Any]] | None:
        """The Contacts API answer for one student: ``[]`` on 204, None when the server has
        no Contacts API (404: an older PowerSchool); :class:`ContactsForbiddenError` when
        the plugin may not read it (403 once the token was renewed: the credentials are
        good, the plugin's access lacks the Contacts API)."""
        path = f"ws/contacts/student/{segment(student_dcid)}"
        response = self.client.request("GET", path, check_status=False)
        if response.status == 403:
            raise ContactsForbiddenError(
                f"the PowerSchool plugin may not read the Contacts API ({response.host} "
                f"answered 403 to GET /ws/contacts/student/{{dcid}})",
                field="contacts",
                hint="grant the plugin access to the Contacts API in its plugin.xml, or set "
                "contacts to 'expansion'",
            )
        if response.status == 404:
            return None
        self.client.raise_for_status(response)
        if response.status == 204 or not response.content.strip():
            return []
        body = response.json()
        if isinstance(body, Mapping) and "contacts" in body:
            body = as_mapping(body["contacts"]).get("contact", body["contacts"])
        return [as_mapping(c) for c in as_list(body)]
