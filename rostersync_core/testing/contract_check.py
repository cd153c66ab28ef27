"""The contract rules outside pytest: check an installed connector against a live SIS.

``rostersync check-connector NAME --config FILE --school ID`` is a thin layer over
:func:`check_connector`. It runs every rule that needs no fake server: the config schema,
the school listed, record types and fields, unique ids, vocabularies, references, stable
output, and fast runs. (Wrong credentials, paging counts, retries and the delta rule need a
controlled SIS: the pytest suite checks those.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from rostersync_core.connector import Connector
from rostersync_core.errors import UnknownSchoolError
from rostersync_core.testing import contract_compare as compare
from rostersync_core.testing import contract_records as records
from rostersync_core.testing.contract_fetch import fetch_roster
from rostersync_core.testing.contract_problems import Problem

__all__ = ["ContractReport", "check_connector"]


@attrs.frozen
class ContractReport:
    """What :func:`check_connector` found: records per kind, and every broken rule."""

    connector: str
    sis_school_id: str
    counts: Mapping[str, int]
    invalid_rows: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_connector(
    connector: Connector, config: Mapping[str, Any], sis_school_id: str, *, limit: int = 2
) -> ContractReport:
    """Authenticate with ``config``, fetch ``sis_school_id`` three times (full, again, and
    with ``context.limit``), and check every rule on what came back.

    Raises what :meth:`Connector.authenticate` and the fetch hooks raise (``ConfigError``,
    ``AuthenticationError``, ``SisUnavailableError``...): those are answers, not findings.
    """
    problems: list[Problem] = list(
        compare.check_config_schema(connector.info.config_schema, {"config": config})
    )
    session = connector.authenticate(config)
    listed = {s.sis_id for s in connector.list_schools(session)}
    if sis_school_id not in listed:
        problems.append(
            Problem(
                "schools",
                f"school {sis_school_id!r}",
                f"is not among the {len(listed)} schools rostersync_list_schools lists",
                "list every school the credentials can read; setup binds one from the list",
            )
        )
    try:
        full = fetch_roster(connector, session, sis_school_id)
    except UnknownSchoolError:
        if not problems or problems[-1].rule != "schools":
            raise
        # a school the SIS does not know: say that it is not listed, with the rule's advice
        return ContractReport(connector.name, sis_school_id, {}, 0, tuple(problems))
    for check in (
        records.check_hook_types,
        records.check_field_types,
        records.check_required_fields,
        records.check_unique_ids,
        records.check_vocabularies,
        records.check_references,
    ):
        problems += check(full)
    problems += compare.check_same_records(full, fetch_roster(connector, session, sis_school_id))
    limited = fetch_roster(connector, session, sis_school_id, limit=limit)
    problems += compare.check_limited_subset(limited, full)
    problems += compare.check_limit_applies(limited, full)
    return ContractReport(
        connector=connector.name,
        sis_school_id=sis_school_id,
        counts={kind.value: n for kind, n in sorted(full.counts().items())},
        invalid_rows=len(full.invalid),
        problems=tuple(problems),
    )
