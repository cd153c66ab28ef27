"""A contract problem: which record, which rule, what to fix — and how a list of them reads."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

__all__ = ["MAX_SHOWN", "Problem", "format_problems"]

#: How many problems a failure message lists before "... and N more".
MAX_SHOWN = 12


@attrs.frozen
class Problem:
    """One broken rule. ``where`` names the record (kind and id, never personal data)."""

    rule: str
    where: str
    what: str
    fix: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.where}: {self.what}\n      fix: {self.fix}"


def format_problems(headline: str, problems: Sequence[Problem]) -> str:
    """A failure message: the headline, then the first :data:`MAX_SHOWN` problems."""
    lines = [f"{headline} ({len(problems)} problem{'s' if len(problems) != 1 else ''})"]
    lines += [f"  - {p}" for p in problems[:MAX_SHOWN]]
    if len(problems) > MAX_SHOWN:
        lines.append(f"  ... and {len(problems) - MAX_SHOWN} more")
    return "\n".join(lines)
