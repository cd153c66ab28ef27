"""Test kit: a fake PowerSchool server serving a generated district, and its shapes.

>>> from rostersync_powerschool.testing import FakePowerSchool, Fault
"""

from rostersync_core.testing.fake_sis import Fault
from rostersync_powerschool.testing.render import (
    CEDS_TO_POWERSCHOOL,
    PowerSchoolData,
    ps_grade,
    render_district,
)
from rostersync_powerschool.testing.server import (
    FAKE_CLIENT_ID,
    FAKE_CLIENT_SECRET,
    FakePowerSchool,
)

__all__ = [
    "CEDS_TO_POWERSCHOOL",
    "FAKE_CLIENT_ID",
    "FAKE_CLIENT_SECRET",
    "FakePowerSchool",
    "Fault",
    "PowerSchoolData",
    "ps_grade",
    "render_district",
]
