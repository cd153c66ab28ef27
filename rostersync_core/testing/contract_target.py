"""What a connector's tests hand the contract suite: configs, the school, and fault injection."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

__all__ = ["ContractFault", "ContractTarget", "FaultInjector"]


class ContractFault(enum.StrEnum):
    """A failure a fake SIS can be told to serve.

    - ``TRANSIENT``: the SIS is briefly unavailable (HTTP 503/429, connection reset, a file
      share hiccup). The connector must retry and then carry on as if nothing happened.
    - ``CREDENTIALS``: the SIS refuses the credentials mid-sync (HTTP 401/403, a revoked
      key). The connector must raise :class:`~rostersync_core.errors.AuthenticationError`
      without retrying (one re-authentication, e.g. an OAuth token refresh, is allowed).
    """

    TRANSIENT = "transient"
    CREDENTIALS = "credentials"


@runtime_checkable
class FaultInjector(Protocol):
    """Optional: lets the suite make a connector's fake SIS fail on purpose.

    Implement it on your fake server (or on a fixture wrapping the connector's I/O).
    """

    def inject(self, fault: ContractFault, times: int) -> None:
        """Make the next ``times`` requests fail with ``fault``, then answer normally again.

        Resets the count returned by :meth:`served`.
        """

    def served(self) -> int:
        """How many injected failures requests have run into since the last :meth:`inject`."""


@attrs.frozen
class ContractTarget:
    """One connector under test, pointed at its fake SIS (or its recorded cassettes).

    - ``config``: a valid config whose credentials the SIS accepts.
    - ``sis_school_id``: the SIS id of a school in the fake SIS; every fetch is for it.
    - ``bad_config``: the same config with wrong credentials (``None``: the connector has
      no credentials and the credential checks are skipped).
    - ``expected_counts``: the source of truth, records per kind (``{"student": 12, ...}``,
      keys are :class:`~rostersync_core.model.RecordKind` values) for the school; used to
      prove paging lost or doubled nothing. ``None`` skips that check.
    - ``faults``: a :class:`FaultInjector` for the retry checks (``None`` skips them).
    - ``limit``: the ``context.limit`` used by the fast-run check.
    - ``since``: the ``context.since`` of the delta check: a time after every change in the
      fake SIS (fixed, so recorded cassettes replay).
    """

    config: Mapping[str, Any]
    sis_school_id: str
    bad_config: Mapping[str, Any] | None = None
    expected_counts: Mapping[str, int] | None = None
    faults: FaultInjector | None = None
    limit: int = 2
    since: dt.datetime = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
