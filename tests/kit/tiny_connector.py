"""A tiny in-memory connector that keeps the contract — unless told to make mistakes.

The kit's tests run the contract suite on it through ``pytester``: with no mistakes every
check passes; each mistake must fail its check with a clear message. ``TinySis`` is its
"server": a few records, and a FaultInjector for the retry checks.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from rostersync_core import (
    PLUGIN_API_VERSION,
    AcademicSession,
    AuthenticationError,
    ConnectorInfo,
    Course,
    Enrolment,
    EnrolmentRole,
    FamilyLink,
    FetchContext,
    Grade,
    Person,
    PersonKind,
    School,
    SchoolClass,
    SisUnavailableError,
    Subject,
    hookimpl,
)
from rostersync_core.testing.contract import ContractFault

GOOD_KEY = "tiny-key-0a1b2c3d"
WRONG_KEY = "tiny-key-wrong-99"

#: Every mistake the connector can be told to make.
MISTAKES = (
    "duplicate-id",
    "dangling-enrolment",
    "secret-in-error",
    "unmarked-secret",
    "auth-not-checked",
    "wrong-types",
    "unknown-grade",
    "lost-page",
    "unstable",
    "limit-cuts-dependencies",
    "ignores-limit",
    "wrong-hook",
    "missing-title",
    "school-not-listed",
    "unmarked-delta",
    "logs-secret",
    "no-retry",
    "retries-credentials",
    "forgets-yield",
)

COUNTS = {
    "grade": 2, "subject": 1, "session": 1, "course": 1, "class": 2,
    "student": 3, "staff": 1, "family": 1, "enrolment": 4, "family_link": 1,
}


class TinySis:
    """The tiny connector's SIS: answers ``request()`` and serves injected faults."""

    def __init__(self) -> None:
        self._fault: ContractFault | None = None
        self._left = 0
        self._served = 0

    def inject(self, fault: ContractFault, times: int) -> None:
        self._fault, self._left, self._served = fault, times, 0

    def served(self) -> int:
        return self._served

    def request(self, key: str) -> None:
        """One request; raises ``ConnectionError`` or ``PermissionError`` when a fault is due."""
        if self._left:
            self._left -= 1
            self._served += 1
            if self._fault is ContractFault.TRANSIENT:
                raise ConnectionError("503 Service Unavailable")
            raise PermissionError("401 Unauthorized")
        if key != GOOD_KEY:
            raise PermissionError("401 Unauthorized")


class TinyConnector:
    """A connector plugin object; ``mistakes`` picks which rules it breaks."""

    _counter = itertools.count()

    def __init__(self, sis: TinySis, mistakes: frozenset[str] = frozenset()) -> None:
        unknown = mistakes - set(MISTAKES)
        assert not unknown, f"unknown mistakes {unknown}"
        self.sis = sis
        self.mistakes = mistakes

    # -- hooks -----------------------------------------------------------------------------

    @hookimpl
    def rostersync_connector_info(self) -> ConnectorInfo:
        key: dict[str, Any] = {"type": "string"}
        if "unmarked-secret" not in self.mistakes:
            key["writeOnly"] = True
        return ConnectorInfo(
            name="tiny",
            version="1.0",
            plugin_api=PLUGIN_API_VERSION,
            config_schema={
                "type": "object",
                "properties": {"api_key": key},
                "required": ["api_key"],
            },
        )

    @hookimpl
    def rostersync_authenticate(self, config: Mapping[str, Any]) -> str:
        key = str(config["api_key"])
        if "logs-secret" in self.mistakes:
            logging.getLogger("tiny").debug("connecting with key %s", key)
        if "auth-not-checked" in self.mistakes:
            return key
        try:
            self.sis.request(key)
        except PermissionError:
            if "secret-in-error" in self.mistakes:
                raise AuthenticationError(f"the SIS refused the key {key}") from None
            raise AuthenticationError("the SIS refused the api_key") from None
        return key

    @hookimpl
    def rostersync_list_schools(self, session: str) -> list[School]:
        if "school-not-listed" in self.mistakes:
            return [School("S2", "Another School")]
        return [School("S1", "Tiny School")]

    @hookimpl
    def rostersync_fetch_grades(self, session: str, context: FetchContext) -> Iterator[Grade]:
        self._call(session)
        yield Grade("01", "Grade 1")
        yield Grade("02", "Grade 2")

    @hookimpl
    def rostersync_fetch_subjects(
        self, session: str, context: FetchContext
    ) -> Iterator[Subject] | None:
        if "forgets-yield" in self.mistakes:
            self._subjects(session)  # builds the generator but never hands it back
            return None
        return self._subjects(session)

    def _subjects(self, session: str) -> Iterator[Subject]:
        self._call(session)
        yield Subject("MATH", "Mathematics")

    @hookimpl
    def rostersync_fetch_classes(
        self, session: str, context: FetchContext
    ) -> Iterator[AcademicSession | Course | SchoolClass]:
        self._call(session)
        yield AcademicSession("T1", "Term 1", start_date=dt.date(2026, 1, 5))
        yield Course("C1", "Maths", grade_ids=("01",), subject_ids=("MATH",))
        location = f"Room {next(self._counter)}" if "unstable" in self.mistakes else "Room 1"
        title = "" if "missing-title" in self.mistakes else "Maths A"
        yield SchoolClass("K1", title, course_sis_id="C1", term_sis_ids=("T1",),
                          location=location)
        if not self._limited(context):
            yield SchoolClass("K2", "Maths B", course_sis_id="C1", term_sis_ids=("T1",))

    @hookimpl
    def rostersync_fetch_people(self, session: str, context: FetchContext) -> Iterator[Person]:
        self._call(session)
        students = [
            Person("st1", PersonKind.STUDENT, "Ada", "Lovelace", grade_id="01"),
            Person("st2", PersonKind.STUDENT, "Alan", "Turing", grade_id="02"),
            Person("st3", PersonKind.STUDENT, "Grace", "Hopper", grade_id="01"),
        ]
        if "wrong-types" in self.mistakes:
            students[0] = Person("st1", PersonKind.STUDENT, "Ada", None, roles=["x"])  # type: ignore[arg-type]
        if "unknown-grade" in self.mistakes:
            students[1] = Person("st2", PersonKind.STUDENT, "Alan", "Turing", grade_id="Year 2")
        if "lost-page" in self.mistakes:
            students = students[:2]
        if context.since is not None and "unmarked-delta" in self.mistakes:
            students = students[:1]  # "changed since": but it never calls mark_delta
        if self._limited(context):  # a fast run keeps class K1 and its people only
            students = students[:2]
            if "limit-cuts-dependencies" in self.mistakes:
                students = students[:1]
        yield from students
        if "duplicate-id" in self.mistakes:
            yield students[0]
        yield Person("t1", PersonKind.STAFF, "Kate", "Johnson", roles=("teacher",))
        yield Person("f1", PersonKind.FAMILY, "Augusta", "Byron")
        if "wrong-hook" in self.mistakes:
            yield Grade("03", "Grade 3")  # type: ignore[misc]

    @hookimpl
    def rostersync_fetch_enrolments(
        self, session: str, context: FetchContext
    ) -> Iterator[Enrolment | FamilyLink]:
        self._call(session)
        yield Enrolment("K1", "t1", EnrolmentRole.TEACHER, primary=True)
        yield Enrolment("K1", "st1")
        yield Enrolment("K1", "st2")
        if not self._limited(context):
            yield Enrolment("K2", "st3")
        if "dangling-enrolment" in self.mistakes:
            yield Enrolment("GHOST", "st1")
        yield FamilyLink("f1", "st1", "mother")

    def _limited(self, context: FetchContext) -> bool:
        return context.limit is not None and "ignores-limit" not in self.mistakes

    # -- the "HTTP" layer, with (or without) retries ----------------------------------------

    def _call(self, session: str) -> None:
        attempts = 1 if "no-retry" in self.mistakes else 4
        for attempt in range(attempts):
            try:
                self.sis.request(session)
                return
            except ConnectionError:
                if attempt == attempts - 1:
                    raise SisUnavailableError("the tiny SIS is unavailable") from None
            except PermissionError:
                if "retries-credentials" in self.mistakes and attempt < attempts - 1:
                    continue
                raise AuthenticationError("the SIS refused the api_key") from None
