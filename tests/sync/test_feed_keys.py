"""The feed a sync fetches keys its enrolments and family links as ``feed_key`` says."""

from __future__ import annotations

from typing import Any

from rostersync_core.model import RecordKind
from rostersync_core.sync.diff import STAFF_KEY_SUFFIX, feed_key
from rostersync_core.sync.feed import Silent, fetch_feed


def test_fetched_joins_are_keyed_by_feed_key(store: Any, host: Any, school: str) -> None:
    feed, _ = fetch_feed(store, host, school, Silent())
    enrolments = feed.joins[RecordKind.ENROLMENT]
    family_links = feed.joins[RecordKind.FAMILY_LINK]
    assert enrolments and family_links
    for joins in (enrolments, family_links):
        assert all(key == feed_key(rec) for key, rec in joins.items())
    assert any(key.endswith(STAFF_KEY_SUFFIX) for key in enrolments)  # teachers
