"""Test kit for the OneRoster connector: a fake REST server, the district shapes, a CSV writer.

- :class:`FakeOneRosterServer` — a real loopback server serving a generated district in
  1.1 or 1.2 flavour, OAuth 2 or OAuth 1.0a, with real servers' quirks and injectable
  faults (the benchmarks reuse it).
- :func:`dataset_from_district` / :class:`OneRosterDataset` — a district as OneRoster JSON.
- :func:`write_csv` — a district (or dataset) as a OneRoster CSV folder or zip, bulk or delta.
"""

from rostersync_core.testing.fake_sis import Fault
from rostersync_oneroster.testing.csv_writer import csv_files, write_csv
from rostersync_oneroster.testing.server import (
    FAKE_CLIENT_ID,
    FAKE_CLIENT_SECRET,
    FakeOneRosterServer,
    imsx_error,
)
from rostersync_oneroster.testing.shapes import (
    OneRosterDataset,
    dataset_from_district,
    family_role,
)

__all__ = [
    "FAKE_CLIENT_ID",
    "FAKE_CLIENT_SECRET",
    "FakeOneRosterServer",
    "Fault",
    "OneRosterDataset",
    "csv_files",
    "dataset_from_district",
    "family_role",
    "imsx_error",
    "write_csv",
]
