"""Errors of the HTTP toolkit and the table that classifies every failure.

The classification (in the spirit of Airbyte's error handlers):

=====================================  ===============================================
what happened                          what the caller gets
=====================================  ===============================================
401 / 403 (after one auth refresh)     :class:`~rostersync_core.errors.AuthenticationError`
                                       -- "fix your credentials", never retried
429, 500, 502, 503, 504, timeouts,     retried with backoff; once retries are spent,
connection resets, short reads         :class:`~rostersync_core.errors.SisUnavailableError`
other 5xx                              :class:`~rostersync_core.errors.SisUnavailableError`
404                                    :class:`SisNotFoundError` (the connector maps it,
                                       e.g. to :class:`~rostersync_core.errors.UnknownSchoolError`)
other 4xx (400, 422, ...)              :class:`SisRequestRejectedError`
a body that is not valid JSON          :class:`~rostersync_core.errors.InvalidSisDataError`
=====================================  ===============================================

Messages name the SIS host, the method and the path, never a query string, a header, a
token, a secret or a body (they can carry personal data).
"""

from __future__ import annotations

from rostersync_core.errors import InvalidSisDataError, RostersyncError

__all__ = ["SisNotFoundError", "SisRequestRejectedError", "where"]


def where(method: str, host: str, path: str) -> str:
    """``"GET /path on sis.example.org"``: how messages name a request."""
    return f"{method} {path} on {host}"


class SisNotFoundError(RostersyncError):
    """The SIS answered 404 for a path: the object (a school, a class...) does not exist.

    ``host`` and ``path`` name the request; a connector maps this to the error its caller
    can act on (``UnknownSchoolError`` for a school id).
    """

    def __init__(self, message: str, *, host: str = "", path: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.host = host
        self.path = path
        self.status = 404


class SisRequestRejectedError(InvalidSisDataError):
    """The SIS refused a request as malformed (400, 405, 409, 422...): ``status`` says which.

    Usually a connector bug or a feature the server lacks (a 1.1 server refusing a filter).
    """

    def __init__(
        self, message: str, *, status: int, host: str = "", path: str = "", hint: str = ""
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.host = host
        self.path = path
