"""The state database schema (SQLAlchemy Core): one ``metadata`` for every table.

The store's tables (connections, fetched SIS values and records, mappings, links, match
candidates, exclusions) and the reference platform's tables (prefix ``ref_``) live here;
the sync engine adds its own tables to the same ``metadata`` in ``sync_tables.py``.

Every change here needs an Alembic revision in ``migrations/versions``.
Ids are strings (SIS ids and platform ids are opaque); lists are stored as JSON text.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "STORE_TABLES",
    "connections",
    "exclusions",
    "match_candidates",
    "metadata",
    "record_links",
    "ref_applied_changes",
    "ref_classes",
    "ref_enrolments",
    "ref_family_links",
    "ref_grades",
    "ref_people",
    "ref_schools",
    "ref_subjects",
    "sis_records",
    "sis_values",
    "value_mappings",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

_ID = sa.String(255)
_TS = sa.DateTime(timezone=True)

# -- the store ---------------------------------------------------------------------------

#: One platform school's link to one SIS school. ``config_sealed`` is the whole config,
#: encrypted (Fernet); ``config_public`` the same config with secret values hidden.
connections = sa.Table(
    "connections",
    metadata,
    sa.Column("school_id", _ID, primary_key=True),
    sa.Column("connector", sa.String(100), nullable=False),
    sa.Column("sis_school_id", _ID, nullable=False),
    sa.Column("sis_school_name", sa.String(500), nullable=False, server_default=""),
    sa.Column("config_public", sa.Text, nullable=False),
    sa.Column("config_sealed", sa.Text, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)

#: Grade and subject values as the SIS has them (``kind`` is ``grade`` or ``subject``).
#: ``present`` is false once a refetch no longer returns the value.
sis_values = sa.Table(
    "sis_values",
    metadata,
    sa.Column("school_id", _ID, primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("sis_id", _ID, primary_key=True),
    sa.Column("name", sa.String(500), nullable=False, server_default=""),
    sa.Column("code", sa.String(100), nullable=False, server_default=""),
    sa.Column("present", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("first_seen", _TS, nullable=False),
    sa.Column("last_seen", _TS, nullable=False),
)

#: Accepted grade and subject mappings: SIS value -> platform grade/subject id.
value_mappings = sa.Table(
    "value_mappings",
    metadata,
    sa.Column("school_id", _ID, primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("sis_id", _ID, primary_key=True),
    sa.Column("platform_id", _ID, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)

#: SIS record -> platform record, per kind (classes, people, enrolments, family links).
record_links = sa.Table(
    "record_links",
    metadata,
    sa.Column("school_id", _ID, primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("sis_id", sa.String(600), primary_key=True),
    sa.Column("platform_id", _ID, nullable=False),
    sa.Index("ix_record_links_platform", "school_id", "kind", "platform_id"),
)

#: SIS classes and people fetched by ``match fetch`` (for matching and exclusion search).
#: ``data`` is the record as tagged JSON; ``label`` and ``email`` are searchable.
sis_records = sa.Table(
    "sis_records",
    metadata,
    sa.Column("school_id", _ID, primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("sis_id", _ID, primary_key=True),
    sa.Column("label", sa.String(1000), nullable=False, server_default=""),
    sa.Column("email", sa.String(500), nullable=False, server_default=""),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("fetched_at", _TS, nullable=False),
)

#: What the last ``match fetch`` proposed, waiting for a person (``ambiguous`` or not).
match_candidates = sa.Table(
    "match_candidates",
    metadata,
    sa.Column("school_id", _ID, primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("sis_id", _ID, primary_key=True),
    sa.Column("platform_id", _ID, primary_key=True),
    sa.Column("rule", sa.String(40), nullable=False),
    sa.Column("reason", sa.String(1000), nullable=False),
    sa.Column("ambiguous", sa.Boolean, nullable=False),
)

#: Exclusions in force: ``side`` is ``platform`` or ``sis``; ``record_id`` is a platform id
#: or an SIS id accordingly.
exclusions = sa.Table(
    "exclusions",
    metadata,
    sa.Column("school_id", _ID, primary_key=True),
    sa.Column("side", sa.String(10), primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("record_id", _ID, primary_key=True),
    sa.Column("created_at", _TS, nullable=False),
)

# -- the reference platform --------------------------------------------------------------

ref_schools = sa.Table(
    "ref_schools",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("timezone", sa.String(100), nullable=False, server_default="UTC"),
)

ref_grades = sa.Table(
    "ref_grades",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
)

ref_subjects = sa.Table(
    "ref_subjects",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
)

ref_classes = sa.Table(
    "ref_classes",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("school_id", _ID, sa.ForeignKey("ref_schools.id"), nullable=False),
    sa.Column("sis_id", _ID, nullable=False, server_default=""),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("code", sa.String(200), nullable=False, server_default=""),
    sa.Column("class_type", sa.String(20), nullable=False, server_default="scheduled"),
    sa.Column("course_sis_id", _ID, nullable=False, server_default=""),
    sa.Column("term_sis_ids", sa.Text, nullable=False, server_default="[]"),
    sa.Column("grade_ids", sa.Text, nullable=False, server_default="[]"),
    sa.Column("subject_ids", sa.Text, nullable=False, server_default="[]"),
    sa.Column("location", sa.String(200), nullable=False, server_default=""),
    sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_ref_classes_school", "school_id"),
)

ref_people = sa.Table(
    "ref_people",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("school_id", _ID, sa.ForeignKey("ref_schools.id"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("sis_id", _ID, nullable=False, server_default=""),
    sa.Column("given_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("family_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("middle_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("preferred_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("email", sa.String(500), nullable=False, server_default=""),
    sa.Column("username", sa.String(200), nullable=False, server_default=""),
    sa.Column("identifier", sa.String(200), nullable=False, server_default=""),
    sa.Column("grade_id", _ID, nullable=False, server_default=""),
    sa.Column("phone", sa.String(100), nullable=False, server_default=""),
    sa.Column("roles", sa.Text, nullable=False, server_default="[]"),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_ref_people_school_kind", "school_id", "kind"),
)

ref_enrolments = sa.Table(
    "ref_enrolments",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("school_id", _ID, sa.ForeignKey("ref_schools.id"), nullable=False),
    sa.Column("class_id", _ID, sa.ForeignKey("ref_classes.id"), nullable=False),
    sa.Column("person_id", _ID, sa.ForeignKey("ref_people.id"), nullable=False),
    sa.Column("role", sa.String(20), nullable=False, server_default="student"),
    sa.Column("is_primary", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("begin_date", sa.Date, nullable=True),
    sa.Column("end_date", sa.Date, nullable=True),
    sa.Column("sis_id", _ID, nullable=False, server_default=""),
    sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_ref_enrolments_school", "school_id"),
)

ref_family_links = sa.Table(
    "ref_family_links",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("school_id", _ID, sa.ForeignKey("ref_schools.id"), nullable=False),
    sa.Column("family_id", _ID, sa.ForeignKey("ref_people.id"), nullable=False),
    sa.Column("student_id", _ID, sa.ForeignKey("ref_people.id"), nullable=False),
    sa.Column("relationship", sa.String(50), nullable=False, server_default="guardian"),
    sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_ref_family_links_school", "school_id"),
)

#: Change keys already applied, with the platform id each one produced (idempotence).
ref_applied_changes = sa.Table(
    "ref_applied_changes",
    metadata,
    sa.Column("change_key", sa.String(255), primary_key=True),
    sa.Column("school_id", _ID, nullable=False),
    sa.Column("platform_id", _ID, nullable=False),
)

#: The tables created by revision ``0001_setup`` (the store and the reference platform).
STORE_TABLES: tuple[str, ...] = tuple(metadata.tables)
