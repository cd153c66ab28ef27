"""Write a district as a OneRoster CSV exchange (1.1 or 1.2 layout, bulk or delta).

::

    write_csv(generate_district(students=300), Path("district-v1"))              # folder
    write_csv(district, Path("district.zip"), version="1.2")                      # zip
    dataset = dataset_from_district(v1).evolve(dataset_from_district(v2), modified=T)
    write_csv(dataset, Path("delta"), delta_since="2026-08-15T00:00:00Z")         # delta

Bulk files hold every active record with ``status`` and ``dateLastModified`` left blank
(as the spec says); delta files hold the records modified after ``delta_since``, with
``status`` (``active`` or ``tobedeleted``) and ``dateLastModified``. Passwords are not
written unless ``include_passwords`` (the bundled sample carries none).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rostersync_core.districts import District
from rostersync_oneroster.testing.shapes import COLLECTIONS, OneRosterDataset, dataset_from_district

__all__ = ["COLUMNS", "csv_files", "write_csv"]

_COMMON = ["sourcedId", "status", "dateLastModified"]
COLUMNS: dict[str, dict[str, list[str]]] = {
    "1.1": {
        "orgs": [*_COMMON, "name", "type", "identifier", "parentSourcedId"],
        "academicSessions": [
            *_COMMON,
            "title",
            "type",
            "startDate",
            "endDate",
            "parentSourcedId",
            "schoolYear",
        ],
        "courses": [
            *_COMMON,
            "schoolYearSourcedId",
            "title",
            "courseCode",
            "grades",
            "orgSourcedId",
            "subjects",
            "subjectCodes",
        ],
        "classes": [
            *_COMMON,
            "title",
            "grades",
            "courseSourcedId",
            "classCode",
            "classType",
            "location",
            "schoolSourcedId",
            "termSourcedIds",
            "subjects",
            "subjectCodes",
            "periods",
        ],
        "users": [
            *_COMMON,
            "enabledUser",
            "orgSourcedIds",
            "role",
            "username",
            "userIds",
            "givenName",
            "familyName",
            "middleName",
            "identifier",
            "email",
            "sms",
            "phone",
            "agentSourcedIds",
            "grades",
            "password",
        ],
        "enrollments": [
            *_COMMON,
            "classSourcedId",
            "schoolSourcedId",
            "userSourcedId",
            "role",
            "primary",
            "beginDate",
            "endDate",
        ],
    },
}
COLUMNS["1.2"] = {
    **COLUMNS["1.1"],
    "users": [
        *_COMMON,
        "enabledUser",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
        "userMasterIdentifier",
        "resourceSourcedIds",
        "preferredGivenName",
        "preferredMiddleName",
        "preferredFamilyName",
        "primaryOrgSourcedId",
        "pronouns",
    ],
    "roles": [
        *_COMMON,
        "userSourcedId",
        "roleType",
        "role",
        "beginDate",
        "endDate",
        "orgSourcedId",
        "userProfileSourcedId",
    ],
}


def _id(ref: Any) -> str:
    return str(ref.get("sourcedId", "")) if isinstance(ref, dict) else ""


def _ids(refs: Any) -> str:
    return ",".join(_id(r) for r in refs or [])


def _join(values: Iterable[Any] | None) -> str:
    return ",".join(str(v) for v in values or [])


def _row(collection: str, r: dict[str, Any], passwords: bool) -> dict[str, str]:
    """A record's CSV cells (before status/date handling and metadata)."""
    if collection == "orgs":
        return {
            "name": r["name"],
            "type": r["type"],
            "identifier": r.get("identifier", ""),
            "parentSourcedId": _id(r.get("parent")),
        }
    if collection == "academicSessions":
        return {
            "title": r["title"],
            "type": r["type"],
            "startDate": r["startDate"],
            "endDate": r["endDate"],
            "parentSourcedId": _id(r.get("parent")),
            "schoolYear": r.get("schoolYear", ""),
        }
    if collection == "courses":
        return {
            "schoolYearSourcedId": _id(r.get("schoolYear")),
            "title": r["title"],
            "courseCode": r.get("courseCode", ""),
            "grades": _join(r.get("grades")),
            "orgSourcedId": _id(r.get("org")),
            "subjects": _join(r.get("subjects")),
            "subjectCodes": _join(r.get("subjectCodes")),
        }
    if collection == "classes":
        return {
            "title": r["title"],
            "grades": _join(r.get("grades")),
            "courseSourcedId": _id(r.get("course")),
            "classCode": r.get("classCode", ""),
            "classType": r.get("classType", ""),
            "location": r.get("location", ""),
            "schoolSourcedId": _id(r.get("school")),
            "termSourcedIds": _ids(r.get("terms")),
            "subjects": _join(r.get("subjects")),
            "subjectCodes": _join(r.get("subjectCodes")),
            "periods": _join(r.get("periods")),
        }
    if collection == "enrollments":
        return {
            "classSourcedId": _id(r.get("class")),
            "schoolSourcedId": _id(r.get("school")),
            "userSourcedId": _id(r.get("user")),
            "role": r["role"],
            "primary": r.get("primary", "false"),
            "beginDate": r.get("beginDate", ""),
            "endDate": r.get("endDate", ""),
        }
    # users
    row = {
        "enabledUser": r.get("enabledUser", "true"),
        "username": r.get("username", ""),
        "userIds": ",".join(f"{{{u['type']}:{u['identifier']}}}" for u in r.get("userIds", [])),
        "givenName": r["givenName"],
        "familyName": r["familyName"],
        "middleName": r.get("middleName", ""),
        "identifier": r.get("identifier", ""),
        "email": r.get("email", ""),
        "sms": r.get("sms", ""),
        "phone": r.get("phone", ""),
        "agentSourcedIds": _ids(r.get("agents")),
        "grades": _join(r.get("grades")),
        "password": r.get("password", "") if passwords else "",
    }
    if "roles" in r:
        row["preferredGivenName"] = r.get("preferredFirstName", "")
        row["primaryOrgSourcedId"] = _id(r.get("primaryOrg"))
    else:
        row["orgSourcedIds"] = _ids(r.get("orgs"))
        row["role"] = r.get("role", "")
    return row


def _after(stamp: str, since: dt.datetime) -> bool:
    when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return when > since


def csv_files(
    dataset: OneRosterDataset,
    *,
    delta_since: str | None = None,
    include_passwords: bool = False,
) -> dict[str, str]:
    """File name -> CSV text for the whole exchange (manifest included)."""
    version = dataset.version
    since = dt.datetime.fromisoformat(delta_since.replace("Z", "+00:00")) if delta_since else None
    mode = "delta" if since else "bulk"
    files: dict[str, str] = {}
    tables: dict[str, list[dict[str, str]]] = {}
    for collection in COLLECTIONS:
        rows: list[dict[str, str]] = []
        for record in dataset.records(collection):
            removed = record["status"] == "tobedeleted"
            if since is not None:
                if not _after(record["dateLastModified"], since):
                    continue
            elif removed:
                continue
            row = {"sourcedId": record["sourcedId"], **_row(collection, record, include_passwords)}
            if since is not None:
                row["status"] = record["status"]
                row["dateLastModified"] = record["dateLastModified"]
            for key, value in (record.get("metadata") or {}).items():
                row[f"metadata.{key}"] = str(value)
            rows.append(row)
            if collection == "users" and "roles" in record and not removed:
                for i, role in enumerate(record["roles"]):
                    tables.setdefault("roles", []).append(
                        {
                            "sourcedId": f"{record['sourcedId']}-r{i}",
                            "status": row.get("status", ""),
                            "dateLastModified": row.get("dateLastModified", ""),
                            "userSourcedId": record["sourcedId"],
                            "roleType": role.get("roleType", ""),
                            "role": role.get("role", ""),
                            "orgSourcedId": _id(role.get("org")),
                        }
                    )
        tables[collection] = rows
    if version == "1.2":
        tables.setdefault("roles", [])
    for name, rows in tables.items():
        columns = list(COLUMNS[version][name])
        extra = sorted({k for row in rows for k in row if k.startswith("metadata.")})
        out = io.StringIO()
        writer = csv.DictWriter(out, [*columns, *extra], lineterminator="\r\n", restval="")
        writer.writeheader()
        writer.writerows(rows)
        files[f"{name}.csv"] = out.getvalue()
    manifest = [
        ("manifest.version", "1.0"),
        ("oneroster.version", version),
        *((f"file.{name}", mode if name in tables else "absent") for name in _MANIFEST_FILES),
        ("source.systemName", "rostersync generator"),
        ("source.systemCode", "rostersync"),
    ]
    out = io.StringIO()
    writer2 = csv.writer(out, lineterminator="\r\n")
    writer2.writerow(["propertyName", "value"])
    writer2.writerows(manifest)
    files["manifest.csv"] = out.getvalue()
    return files


_MANIFEST_FILES = (
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItems",
    "orgs",
    "resources",
    "results",
    "users",
    "roles",
)


def write_csv(
    source: District | OneRosterDataset,
    target: Path,
    *,
    version: str = "1.1",
    delta_since: str | None = None,
    include_passwords: bool = False,
) -> Path:
    """Write the exchange to ``target``: a folder, or a zip when it ends in ``.zip``."""
    dataset = (
        source
        if isinstance(source, OneRosterDataset)
        else dataset_from_district(source, version=version)
    )
    files = csv_files(dataset, delta_since=delta_since, include_passwords=include_passwords)
    if target.suffix.lower() == ".zip":
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(files):
                archive.writestr(name, files[name])
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (target / name).write_text(text, encoding="utf-8", newline="")
    return target
