"""The OneRoster CSV exchange (1.1 and 1.2 layouts), from a zip file or a folder.

Rows are turned into the REST JSON shape (references as ``{"sourcedId": ...}``, lists for
multi-value cells, ``metadata.*`` columns gathered into ``metadata``; 1.2's ``roles.csv``
folded into each user's ``roles``), so one normaliser serves both sources.

``manifest.csv`` is honoured: ``file.<name>`` = ``bulk`` (a full snapshot), ``delta``
(changes only; ``status`` and ``dateLastModified`` required) or ``absent``. Without a
manifest every file present is bulk. A collection with no file is treated as unchanged,
never as empty: a missing ``users.csv`` must not archive everyone.

Zips come from outside: entries that escape the folder, absurd sizes or compression
ratios, files that are not UTF-8 CSV with the expected header, and files the manifest
declares but that are missing are refused with :class:`InvalidSisDataError` naming the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from rostersync_core.errors import ConfigError, InvalidSisDataError, UnknownSchoolError

__all__ = ["MAX_FILE_BYTES", "REQUIRED_COLUMNS", "CsvSource"]

log = logging.getLogger(__name__)

#: A file larger than this (uncompressed) is refused.
MAX_FILE_BYTES = 4 * 1024**3
#: A zip entry that inflates more than this many times is refused (a zip bomb).
MAX_COMPRESSION_RATIO = 200

#: Columns a file must have to be read (the rest are optional or extensions).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "orgs": ("sourcedId", "name", "type"),
    "academicSessions": ("sourcedId", "title", "type", "startDate", "endDate"),
    "courses": ("sourcedId", "title"),
    "classes": ("sourcedId", "title", "courseSourcedId", "schoolSourcedId"),
    "users": ("sourcedId", "givenName", "familyName"),
    "enrollments": ("sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
    "roles": ("userSourcedId", "role", "orgSourcedId"),
}
_MODES = ("bulk", "delta", "absent")
_USER_ID = re.compile(r"\{([^:}]*):([^}]*)\}")


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _ref(value: str | None) -> dict[str, str] | None:
    value = (value or "").strip()
    return {"sourcedId": value} if value else None


def _refs(value: str | None) -> list[dict[str, str]]:
    return [{"sourcedId": v} for v in _split(value)]


class CsvSource:
    """A OneRoster CSV exchange at ``path`` (a ``.zip`` file or a folder)."""

    def __init__(self, path: str | Path, *, max_file_bytes: int = MAX_FILE_BYTES) -> None:
        self.path = Path(path)
        self.max_file_bytes = max_file_bytes
        self.description = f"the OneRoster CSV at {self.path.name}"
        self._zip: zipfile.ZipFile | None = None
        self._names: dict[str, str] = {}  # "users" -> entry name or file path
        if self.path.is_dir():
            self._index_folder()
        elif self.path.is_file():
            self._index_zip()
        else:
            raise ConfigError(f"no OneRoster CSV zip or folder at {self.path}", field="path")
        self.manifest = self._read_manifest()
        self.version = self._version()
        self._roles: dict[str, list[dict[str, Any]]] | None = None

    # -- opening ---------------------------------------------------------------------------

    def _index_folder(self) -> None:
        root = self.path.resolve()
        for file in sorted(self.path.iterdir()):
            if file.suffix.lower() != ".csv":
                continue
            if not file.resolve().is_relative_to(root):
                raise InvalidSisDataError(
                    f"{self.description}: {file.name} points outside the folder; refused"
                )
            self._names[file.stem] = str(file)

    def _index_zip(self) -> None:
        try:
            archive = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError):
            raise InvalidSisDataError(f"{self.description} is not a readable zip file") from None
        self._zip = archive
        csvs = []
        for info in archive.infolist():
            name = info.filename
            pure = PurePosixPath(name.replace("\\", "/"))
            if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
                raise InvalidSisDataError(
                    f"{self.description}: the entry {name!r} escapes the folder; refused"
                )
            if info.is_dir() or pure.suffix.lower() != ".csv":
                continue
            if pure.name.startswith("._") or "__MACOSX" in pure.parts:
                continue
            if info.file_size > self.max_file_bytes:
                raise InvalidSisDataError(
                    f"{self.description}: {name} is {info.file_size} bytes, larger than the "
                    f"{self.max_file_bytes} allowed; refused"
                )
            if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
                raise InvalidSisDataError(
                    f"{self.description}: {name} inflates {info.file_size // info.compress_size}"
                    " times; refused as a likely zip bomb"
                )
            csvs.append(pure)
        folders = {p.parent for p in csvs}
        if len(folders) > 1:
            top = min(folders, key=lambda p: len(p.parts))
            csvs = [p for p in csvs if p.parent == top]
        for pure in csvs:
            self._names[pure.stem] = str(pure)

    def _open(self, name: str) -> IO[bytes]:
        where = self._names[name]
        if self._zip is not None:
            return self._zip.open(where)
        return open(where, "rb")

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    # -- manifest --------------------------------------------------------------------------

    def _read_manifest(self) -> dict[str, str]:
        if "manifest" not in self._names:
            return {}
        manifest: dict[str, str] = {}
        for row in self._rows("manifest", ("propertyName", "value")):
            manifest[(row.get("propertyName") or "").strip()] = (row.get("value") or "").strip()
        for key, value in manifest.items():
            if key.startswith("file.") and value.lower() not in _MODES:
                raise InvalidSisDataError(
                    f"{self.description}: manifest.csv says {key} is {value!r}, "
                    "not one of absent, bulk, delta"
                )
            name = key.removeprefix("file.")
            declared = key.startswith("file.") and value.lower() != "absent"
            if declared and name not in self._names and name in REQUIRED_COLUMNS:
                raise InvalidSisDataError(
                    f"{self.description}: manifest.csv lists {name}.csv as {value} "
                    "but the file is missing"
                )
        return manifest

    def _version(self) -> str:
        declared = self.manifest.get("oneroster.version", "")
        if declared.startswith("1.2") or "roles" in self._names:
            return "1.2"
        return "1.1"

    def mode(self, collection: str) -> str:
        """``bulk``, ``delta`` or ``absent`` for a collection's file."""
        if self.manifest:
            declared = self.manifest.get(f"file.{collection}", "absent").lower()
            if declared == "absent" and collection in self._names:
                log.info(
                    "%s: %s.csv is present but the manifest says absent; ignored",
                    self.description,
                    collection,
                )
            return declared
        return "bulk" if collection in self._names else "absent"

    # -- reading ---------------------------------------------------------------------------

    def _rows(self, name: str, required: tuple[str, ...]) -> Iterator[dict[str, str]]:
        file_name = f"{name}.csv"
        try:
            with self._open(name) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                reader = csv.DictReader(text, restkey="\0extra")
                header = reader.fieldnames or []
                missing = [c for c in required if c not in header]
                if missing:
                    raise InvalidSisDataError(
                        f"{self.description}: {file_name} is not a OneRoster {name} file "
                        f"(no column {', '.join(missing)})"
                    )
                yield from reader
        except UnicodeDecodeError:
            raise InvalidSisDataError(
                f"{self.description}: {file_name} is not UTF-8 text"
            ) from None
        except csv.Error as exc:
            raise InvalidSisDataError(
                f"{self.description}: {file_name} is not valid CSV (line "
                f"{getattr(exc, 'line_num', '?')})"
            ) from None
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
            # A bad CRC, a truncated or corrupt entry, an unsupported compression method,
            # an encrypted entry: the file cannot be trusted.
            raise InvalidSisDataError(
                f"{self.description}: {file_name} is damaged or unreadable in the zip; refused",
                hint="ask the SIS for a new export",
            ) from None

    def schools(self) -> Iterator[dict[str, Any]]:
        if self.mode("orgs") == "absent":
            return iter(())
        return self.records("orgs", school_id="", since=None)

    def require_school(self, school_id: str) -> None:
        if self.mode("orgs") != "bulk":
            return  # a delta exchange: the school is only listed if it changed
        for org in self.schools():
            if org.get("sourcedId") == school_id and org.get("type") == "school":
                return
        raise UnknownSchoolError(
            f"{self.description} has no school with id {school_id!r}",
            hint="pick the school again with `rostersync setup`",
        )

    def is_delta(self, collection: str, since: dt.datetime | None) -> bool:
        return self.mode(collection) != "bulk"

    def records(
        self, collection: str, *, school_id: str, since: dt.datetime | None
    ) -> Iterator[dict[str, Any]]:
        mode = self.mode(collection)
        if mode == "absent":
            return
        shape = _SHAPERS[collection]
        roles = self._user_roles() if collection == "users" and self.version == "1.2" else {}
        for row in self._rows(collection, REQUIRED_COLUMNS[collection]):
            record = shape(row)
            if "\0extra" in row:
                record["\0invalid"] = "the row has more cells than the header"
            if mode == "delta" and not (row.get("status") and row.get("dateLastModified")):
                record["\0invalid"] = "a delta row needs status and dateLastModified"
            if collection == "users" and roles:
                record["roles"] = roles.get(record["sourcedId"], record.get("roles", []))
            yield record

    def _user_roles(self) -> dict[str, list[dict[str, Any]]]:
        if self._roles is None:
            self._roles = {}
            if "roles" in self._names:
                for row in self._rows("roles", REQUIRED_COLUMNS["roles"]):
                    if (row.get("status") or "").strip().lower() == "tobedeleted":
                        continue
                    self._roles.setdefault((row.get("userSourcedId") or "").strip(), []).append(
                        {
                            "roleType": (row.get("roleType") or "").strip(),
                            "role": (row.get("role") or "").strip(),
                            "org": _ref(row.get("orgSourcedId")),
                        }
                    )
        return self._roles


def _common(row: dict[str, str]) -> dict[str, Any]:
    return {
        "sourcedId": (row.get("sourcedId") or "").strip(),
        "status": (row.get("status") or "").strip() or "active",
        "dateLastModified": (row.get("dateLastModified") or "").strip(),
        "metadata": {
            k[len("metadata.") :]: v for k, v in row.items() if k and k.startswith("metadata.")
        },
    }


def _org(row: dict[str, str]) -> dict[str, Any]:
    return {
        **_common(row),
        "name": row.get("name", ""),
        "type": row.get("type", ""),
        "identifier": row.get("identifier", ""),
        "parent": _ref(row.get("parentSourcedId")),
    }


def _session(row: dict[str, str]) -> dict[str, Any]:
    return {
        **_common(row),
        "title": row.get("title", ""),
        "type": row.get("type", ""),
        "startDate": row.get("startDate", ""),
        "endDate": row.get("endDate", ""),
        "parent": _ref(row.get("parentSourcedId")),
        "schoolYear": row.get("schoolYear", ""),
    }


def _course(row: dict[str, str]) -> dict[str, Any]:
    return {
        **_common(row),
        "title": row.get("title", ""),
        "schoolYear": _ref(row.get("schoolYearSourcedId")),
        "courseCode": row.get("courseCode", ""),
        "grades": _split(row.get("grades")),
        "org": _ref(row.get("orgSourcedId")),
        "subjects": _split(row.get("subjects")),
        "subjectCodes": _split(row.get("subjectCodes")),
    }


def _class(row: dict[str, str]) -> dict[str, Any]:
    return {
        **_common(row),
        "title": row.get("title", ""),
        "grades": _split(row.get("grades")),
        "course": _ref(row.get("courseSourcedId")),
        "classCode": row.get("classCode", ""),
        "classType": row.get("classType", ""),
        "location": row.get("location", ""),
        "school": _ref(row.get("schoolSourcedId")),
        "terms": _refs(row.get("termSourcedIds")),
        "subjects": _split(row.get("subjects")),
        "subjectCodes": _split(row.get("subjectCodes")),
        "periods": _split(row.get("periods")),
    }


def _user(row: dict[str, str]) -> dict[str, Any]:
    user: dict[str, Any] = {
        **_common(row),
        "enabledUser": row.get("enabledUser", ""),
        "username": row.get("username", ""),
        "userIds": [
            {"type": t, "identifier": i} for t, i in _USER_ID.findall(row.get("userIds") or "")
        ],
        "givenName": row.get("givenName", ""),
        "familyName": row.get("familyName", ""),
        "middleName": row.get("middleName", ""),
        "preferredFirstName": row.get("preferredFirstName") or row.get("preferredGivenName", ""),
        "identifier": row.get("identifier", ""),
        "email": row.get("email", ""),
        "sms": row.get("sms", ""),
        "phone": row.get("phone", ""),
        "agents": _refs(row.get("agentSourcedIds")),
        "grades": _split(row.get("grades")),
        "primaryOrg": _ref(row.get("primaryOrgSourcedId")),
    }
    if "role" in row:  # 1.1: one role and its orgs on the user row
        user["role"] = row.get("role", "")
        user["orgs"] = _refs(row.get("orgSourcedIds"))
    return user


def _enrollment(row: dict[str, str]) -> dict[str, Any]:
    return {
        **_common(row),
        "class": _ref(row.get("classSourcedId")),
        "school": _ref(row.get("schoolSourcedId")),
        "user": _ref(row.get("userSourcedId")),
        "role": row.get("role", ""),
        "primary": row.get("primary", ""),
        "beginDate": row.get("beginDate", ""),
        "endDate": row.get("endDate", ""),
    }


_SHAPERS = {
    "orgs": _org,
    "academicSessions": _session,
    "courses": _course,
    "classes": _class,
    "users": _user,
    "enrollments": _enrollment,
}
