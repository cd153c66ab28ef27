"""Grade and subject mapping: what the SIS has, what the platform offers, and the links.

The functions take ``kind`` = ``RecordKind.GRADE`` or ``RecordKind.SUBJECT``; the CLI's
``grades`` and ``subjects`` groups are thin layers over them.
"""

from rostersync_core.mapping.suggest import (
    Suggestion,
    grade_level,
    subject_key,
    suggest_grade,
    suggest_subject,
)
from rostersync_core.mapping.values import (
    MAPPED_KINDS,
    RefetchReport,
    SisValue,
    accept_suggestions,
    fetch_values,
    fetched_ids,
    list_values,
    map_values,
    platform_targets,
    suggest_values,
    unmap_values,
)

__all__ = [
    "MAPPED_KINDS",
    "RefetchReport",
    "SisValue",
    "Suggestion",
    "accept_suggestions",
    "fetch_values",
    "fetched_ids",
    "grade_level",
    "list_values",
    "map_values",
    "platform_targets",
    "subject_key",
    "suggest_grade",
    "suggest_subject",
    "suggest_values",
    "unmap_values",
]
