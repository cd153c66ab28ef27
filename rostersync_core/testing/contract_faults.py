"""Contract-suite fault injection for fakes built on the core's ``FakeSisServer``.

``faults=lambda fake_sis: ServerFaults(fake_sis)`` hands the suite a
:class:`~rostersync_core.testing.contract_target.FaultInjector` for any fake built on the
core's fake server base: a transient fault answers HTTP 503 (with ``Retry-After: 0``), a
credentials fault answers HTTP 401, to every request until spent.
"""

from __future__ import annotations

from rostersync_core.testing.contract_target import ContractFault
from rostersync_core.testing.fake_sis import FakeSisServer, Fault

__all__ = ["ServerFaults"]


class ServerFaults:
    """Injects contract faults into a running :class:`FakeSisServer`.

    ``transient_status`` / ``credentials_status`` / ``credentials_body`` let a fake answer
    the way its SIS does (PowerSchool: 401 with an HTML page; OneRoster: 401 with imsx JSON).
    """

    def __init__(
        self,
        server: FakeSisServer,
        *,
        transient_status: int = 503,
        credentials_status: int = 401,
        credentials_body: object = None,
    ) -> None:
        self.server = server
        self.transient_status = transient_status
        self.credentials_status = credentials_status
        self.credentials_body = credentials_body
        self._fault: Fault | None = None

    def inject(self, fault: ContractFault, times: int) -> None:
        if fault is ContractFault.TRANSIENT:
            planned = Fault(status=self.transient_status, retry_after="0", times=times)
        else:
            planned = Fault(
                status=self.credentials_status, body=self.credentials_body, times=times
            )
        self._fault = self.server.inject(planned)

    def served(self) -> int:
        return self._fault.hits if self._fault is not None else 0
