"""Contract rules across fetches and around credentials: completeness, stability, limits,
config schema, and secrets kept out of errors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs
import jsonschema

from rostersync_core.config import secret_fields
from rostersync_core.model import RecordKind, fingerprint, record_kind
from rostersync_core.testing.contract_cassettes import shows_secret
from rostersync_core.testing.contract_fetch import HOOK_OF_KIND, FetchedRoster
from rostersync_core.testing.contract_problems import Problem
from rostersync_core.testing.contract_records import check_references

__all__ = [
    "SECRET_NAME",
    "check_config_schema",
    "check_counts",
    "check_delta_marked",
    "check_limit_applies",
    "check_limited_subset",
    "check_same_records",
    "error_texts",
    "find_secrets",
    "secret_names",
    "secret_values",
    "which_secret",
]

#: Config field names that look like secrets; they must carry ``"writeOnly": true``.
SECRET_NAME = re.compile(
    r"secret|password|passwd|token(?!_?url$)|api_?key|private_?key|credential", re.I
)


def check_config_schema(
    schema: Mapping[str, Any], configs: Mapping[str, Mapping[str, Any]]
) -> list[Problem]:
    """The schema is valid JSON Schema, marks secrets, and accepts the example configs."""
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        return [
            Problem(
                "config-schema",
                "config_schema",
                f"is not a valid JSON Schema (draft 2020-12): {exc.message}",
                "fix the schema returned in ConnectorInfo.config_schema",
            )
        ]
    problems = []
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), Mapping):
        problems.append(
            Problem(
                "config-schema",
                "config_schema",
                'must be {"type": "object", "properties": {...}}',
                "describe each config field under 'properties'",
            )
        )
    props: Mapping[str, Any] = schema.get("properties") or {}
    for name, spec in props.items():
        spec = spec if isinstance(spec, Mapping) else {}
        if SECRET_NAME.search(name) and not spec.get("writeOnly"):
            problems.append(
                Problem(
                    "config-schema",
                    f"config field {name!r}",
                    "looks like a secret but is not marked",
                    'add "writeOnly": true so rostersync hides and encrypts it',
                )
            )
        if spec.get("writeOnly") and "default" in spec:
            problems.append(
                Problem(
                    "config-schema",
                    f"config field {name!r}",
                    "is a secret with a default value",
                    "remove the default: secrets must come from the admin, never the code",
                )
            )
    for name in schema.get("required", []):
        if name not in props:
            problems.append(
                Problem(
                    "config-schema",
                    f"config field {name!r}",
                    "is required but has no entry in 'properties'",
                    "describe it under 'properties' (type, description)",
                )
            )
    validator = jsonschema.Draft202012Validator(schema)
    for label, config in configs.items():
        for error in validator.iter_errors(dict(config)):
            field = ".".join(str(p) for p in error.absolute_path) or "(config)"
            problems.append(
                Problem(
                    "config-schema",
                    f"the test's {label}",
                    f"does not validate against the schema at {field} ({error.validator})",
                    "fix the example config given to the contract suite, or the schema",
                )
            )
    return problems


def _secret_items(
    schema: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    """``(field, value)`` for each secret (or secret-looking) field of ``config``."""
    names = set(secret_fields(schema))
    for name, value in config.items():
        secret = name in names or SECRET_NAME.search(name)
        if secret and isinstance(value, str) and len(value) >= 4:
            yield name, value


def secret_values(
    schema: Mapping[str, Any], configs: Iterable[Mapping[str, Any]]
) -> set[str]:
    """Values of secret fields (and of secret-looking fields) in ``configs``."""
    return {value for config in configs for _, value in _secret_items(schema, config)}


def secret_names(
    schema: Mapping[str, Any], configs: Mapping[str, Mapping[str, Any]]
) -> dict[str, str]:
    """Each secret value -> where it came from (``"bad_config['api_key']"``), so a failure
    can say which secret leaked without showing any of it."""
    names: dict[str, str] = {}
    for label, config in configs.items():
        for name, value in _secret_items(schema, config):
            names.setdefault(value, f"{label}[{name!r}]")
    return names


def which_secret(value: str, names: Mapping[str, str] | None) -> str:
    """How a failure names a leaked secret: its config field, never any of its characters."""
    if names and value in names:
        return f"the value of {names[value]}"
    return f"a secret config value ({len(value)} characters)"


def error_texts(exc: BaseException) -> Iterator[str]:
    """Everything an error could show: message, hint, args, and its causes, recursively."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current.args)
        yield str(getattr(current, "hint", ""))
        current = current.__cause__ or current.__context__


def find_secrets(
    exc: BaseException, secrets: set[str], names: Mapping[str, str] | None = None
) -> list[Problem]:
    """A problem for each secret value that shows in ``exc`` or its causes; ``names`` (from
    :func:`secret_names`) lets it say which config field the secret came from."""
    text = "\n".join(error_texts(exc))
    return [
        Problem(
            "secret-in-error",
            type(exc).__name__,
            "the error (or an error it was raised from) contains "
            + which_secret(s, names),
            "never put config values, tokens or URLs with credentials in messages; "
            "raise AuthenticationError with a plain sentence and `from None`",
        )
        for s in sorted(secrets)
        if shows_secret(text, s)
    ]


def check_counts(roster: FetchedRoster, expected: Mapping[str, int]) -> list[Problem]:
    """Per kind, as many records as the source of truth holds (paging lost or doubled none)."""
    counts = roster.counts()
    problems = []
    for kind_name, want in expected.items():
        if kind_name not in {k.value for k in RecordKind}:
            problems.append(
                Problem(
                    "paging",
                    f"expected_counts[{kind_name!r}]",
                    "is not a kind of record, so nothing can be compared with it",
                    "key expected_counts by RecordKind values: "
                    + ", ".join(k.value for k in RecordKind),
                )
            )
            continue
        kind = RecordKind(kind_name)
        got = counts.get(kind, 0)
        if got != want:
            what = "missing" if got < want else "too many (duplicated)"
            problems.append(
                Problem(
                    "paging",
                    f"{kind.value.replace('_', ' ')} records",
                    f"{got} yielded but the source holds {want}: {abs(want - got)} {what} "
                    f"(from {HOOK_OF_KIND[kind]})",
                    "follow every page to the end (next links, totals, short pages) and sort "
                    "by id so offset paging is stable",
                )
            )
    return problems


def _by_key(roster: FetchedRoster) -> dict[tuple[RecordKind, str], Any]:
    return {(record_kind(r), r.key): r for kind in RecordKind for r in roster.of_kind(kind)}


def check_same_records(first: FetchedRoster, second: FetchedRoster) -> list[Problem]:
    """Two fetches of unchanged data give the same records, field for field."""
    a, b = _by_key(first), _by_key(second)
    problems = []
    for key in sorted(a.keys() | b.keys()):
        kind, rkey = key
        where = f"{kind.value.replace('_', ' ')} {rkey!r}"
        if key not in b or key not in a:
            problems.append(
                Problem(
                    "stable",
                    where,
                    f"is yielded by the {'first' if key in a else 'second'} fetch only",
                    "make paging deterministic (sort by id) and fetch the same set each time",
                )
            )
        elif fingerprint(a[key]) != fingerprint(b[key]):
            fields = [
                f.name
                for f in attrs.fields(type(a[key]))
                if getattr(a[key], f.name) != getattr(b[key], f.name)
            ]
            problems.append(
                Problem(
                    "stable",
                    where,
                    f"differs between two fetches of unchanged data in {fields}",
                    "do not put fetch times, random values or unordered collections "
                    "(sets, dict order) in records; sort multi-valued fields",
                )
            )
    return problems


def check_limited_subset(limited: FetchedRoster, full: FetchedRoster) -> list[Problem]:
    """A ``context.limit`` run yields a consistent part of the full roster."""
    problems = [
        attrs.evolve(
            p,
            rule="limit",
            what=p.what + f" in a run with context.limit={limited.limit}",
        )
        for p in check_references(limited)
    ]
    whole = full.fingerprints()
    for key, digest in limited.fingerprints().items():
        kind, rkey = key
        if whole.get(key) != digest:
            problems.append(
                Problem(
                    "limit",
                    f"{kind.value.replace('_', ' ')} {rkey!r}",
                    "is yielded with context.limit set but not (or not the same) without it",
                    "with a limit, yield a subset of the full records, never altered ones",
                )
            )
    return problems


def check_limit_applies(limited: FetchedRoster, full: FetchedRoster) -> list[Problem]:
    """With ``context.limit`` set, a school with more records than the limit yields fewer."""
    limit = limited.limit or 0
    full_counts, limited_counts = full.counts(), limited.counts()
    larger = [kind for kind, n in full_counts.items() if n > limit]
    if not larger or sum(limited_counts.values()) < sum(full_counts.values()):
        return []
    kinds = ", ".join(k.value for k in larger)
    return [
        Problem(
            "limit",
            f"a run with context.limit={limit}",
            f"yielded everything although the school holds more than {limit} {kinds} records",
            "read context.limit in the fetch hooks: fetch about that many records per kind "
            "(plus what they depend on), so fast runs and previews stay fast",
        )
    ]


def check_delta_marked(delta: FetchedRoster, full: FetchedRoster) -> list[Problem]:
    """A fetch with ``context.since`` that leaves records out must say so (``mark_delta``):
    otherwise the sync reads the missing records as gone from the SIS and archives them."""
    full_counts, delta_counts = full.counts(), delta.counts()
    problems = []
    for kind in sorted(full_counts):
        if delta_counts.get(kind, 0) < full_counts[kind] and kind not in delta.delta_kinds:
            problems.append(
                Problem(
                    "delta",
                    f"{kind.value.replace('_', ' ')} records",
                    f"a fetch with context.since yielded {delta_counts.get(kind, 0)} of "
                    f"{full_counts[kind]} without calling context.mark_delta({kind.value!r}); "
                    "the sync would archive the others",
                    "call context.mark_delta(kind) for each kind you fetch as a delta, or "
                    "ignore context.since and yield the full snapshot",
                )
            )
    return problems
