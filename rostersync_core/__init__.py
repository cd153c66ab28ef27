"""rostersync-core: keep a learning platform's roster in step with a school's SIS.

The public API is re-exported here; import from ``rostersync_core``, not its modules.
Plugin authors: ``from rostersync_core import hookimpl``.
"""

from rostersync_core.config import redact, validate_config
from rostersync_core.connector import Connector
from rostersync_core.connector_info import PLUGIN_API_VERSION, ConnectorInfo
from rostersync_core.errors import (
    AuthenticationError,
    ConfigError,
    IncompatiblePluginError,
    InvalidSisDataError,
    JobStateError,
    PluginError,
    RostersyncError,
    SisUnavailableError,
    StateStoreError,
    SyncAlreadyRunningError,
    SyncHeldError,
    UnknownConnectorError,
    UnknownJobError,
    UnknownSchoolError,
    UnmappedValuesError,
)
from rostersync_core.events import JobState, SyncJobEvent
from rostersync_core.fetch import FetchContext, InvalidRow
from rostersync_core.hookspecs import hookimpl
from rostersync_core.model import (
    AcademicSession,
    ClassType,
    Course,
    Enrolment,
    EnrolmentRole,
    FamilyLink,
    Grade,
    Person,
    PersonKind,
    Record,
    RecordKind,
    School,
    SchoolClass,
    SessionType,
    Subject,
    fingerprint,
    record_kind,
)
from rostersync_core.platform import (
    ChangeAction,
    Platform,
    PlatformChange,
    PlatformGrade,
    PlatformRecord,
    PlatformSchool,
    PlatformSubject,
)
from rostersync_core.plugins import PluginFailure, PluginHost, PluginRefusedError

__version__ = "0.1.0"

__all__ = [
    "PLUGIN_API_VERSION",
    "AcademicSession",
    "AuthenticationError",
    "ChangeAction",
    "ClassType",
    "ConfigError",
    "Connector",
    "ConnectorInfo",
    "Course",
    "Enrolment",
    "EnrolmentRole",
    "FamilyLink",
    "FetchContext",
    "Grade",
    "IncompatiblePluginError",
    "InvalidRow",
    "InvalidSisDataError",
    "JobState",
    "JobStateError",
    "Person",
    "PersonKind",
    "Platform",
    "PlatformChange",
    "PlatformGrade",
    "PlatformRecord",
    "PlatformSchool",
    "PlatformSubject",
    "PluginError",
    "PluginFailure",
    "PluginHost",
    "PluginRefusedError",
    "Record",
    "RecordKind",
    "RostersyncError",
    "School",
    "SchoolClass",
    "SessionType",
    "SisUnavailableError",
    "StateStoreError",
    "Subject",
    "SyncAlreadyRunningError",
    "SyncHeldError",
    "SyncJobEvent",
    "UnknownConnectorError",
    "UnknownJobError",
    "UnknownSchoolError",
    "UnmappedValuesError",
    "__version__",
    "fingerprint",
    "hookimpl",
    "record_kind",
    "redact",
    "validate_config",
]
