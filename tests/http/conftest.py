"""A small fake SIS for the HTTP toolkit's tests, built on the shared fake-SIS base."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rostersync_core.http import RetryPolicy
from rostersync_core.testing.fake_sis import (
    FakeRequest,
    FakeResponse,
    FakeSisServer,
    OAuth2TokenIssuer,
)

CLIENT_ID = "district-client"
CLIENT_SECRET = "s3cret-value-never-logged"


class RecordingSleep:
    """A sleep that records the waits instead of sleeping (no timing in tests)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class PupilsSis(FakeSisServer):
    """Serves 23 pupils under ``/pupils`` with limit/offset paging, and echoes ``/echo``."""

    def __init__(
        self,
        pupils: int = 23,
        cap: int | None = None,
        count_header: str | None = "X-Total-Count",
        ignores_offset: bool = False,
        stated_count: int | None = None,
    ) -> None:
        super().__init__()
        self.ignores_offset = ignores_offset
        self.stated_count = stated_count
        self.pupils = [{"id": f"p{i:03d}"} for i in range(pupils)]
        self.cap = cap
        self.count_header = count_header
        self.add_route("GET", r"/pupils", self.list_pupils)
        self.add_route("GET", r"/pupils/(?P<pupil>[^/]+)", self.one_pupil)
        self.add_route("GET", r"/echo", lambda request: FakeResponse.json({"ok": True}))
        self.add_route("GET", r"/bad-request", lambda request: FakeResponse.json({}, 422))

    def list_pupils(self, request: FakeRequest) -> FakeResponse:
        limit = int(request.arg("limit", "100") or 100)
        if self.cap:
            limit = min(limit, self.cap)
        offset = 0 if self.ignores_offset else int(request.arg("offset", "0") or 0)
        count = len(self.pupils) if self.stated_count is None else self.stated_count
        headers = {self.count_header: str(count)} if self.count_header else {}
        return FakeResponse.json({"pupils": self.pupils[offset : offset + limit]}, headers=headers)

    def one_pupil(self, request: FakeRequest, pupil: str) -> FakeResponse:
        found = [p for p in self.pupils if p["id"] == pupil]
        if not found:
            return FakeResponse.json({"error": "unknown"}, 404)
        return FakeResponse.json({"pupil": found[0]})


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def fast_retry(sleep: RecordingSleep) -> RetryPolicy:
    return RetryPolicy.fast(sleep=sleep)


@pytest.fixture
def sis() -> Iterator[PupilsSis]:
    with PupilsSis() as server:
        yield server


@pytest.fixture
def oauth_sis() -> Iterator[PupilsSis]:
    server = PupilsSis()
    server.use_oauth2(OAuth2TokenIssuer(CLIENT_ID, CLIENT_SECRET, expires_in_as_string=True))
    with server:
        yield server
