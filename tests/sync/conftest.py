"""Fixtures for the sync tests: a small generated district served by the memory connector,
a school set up on the reference platform with every grade and subject mapped."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from rostersync_core.districts import District, generate_district
from rostersync_core.testing.memory import set_up_memory_school

SCHOOL = "maple"


def set_up_school(store: Any, platform: Any, district: District, school_id: str = SCHOOL) -> str:
    """Bind ``school_id`` to the district's first school and map every grade and subject."""
    return set_up_memory_school(store, platform, district, school_id)


@pytest.fixture
def district() -> District:
    return generate_district(students=40, seed=3)


@pytest.fixture
def school(store: Any, platform: Any, district: District) -> str:
    set_up_school(store, platform, district)
    return SCHOOL


@pytest.fixture
def collector_running() -> Iterator[None]:
    """Python's cyclic collector running during the test (as in a fresh process), and left
    as it was found: for tests of how runs pause and resume it."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()
