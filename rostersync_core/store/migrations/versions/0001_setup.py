"""The store and the reference platform: connections, SIS values and records, mappings,
links, match candidates, exclusions; ref_* tables of the reference platform.

Revision ID: 0001_setup
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_setup"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("school_id", sa.String(length=255), nullable=False),
        sa.Column("connector", sa.String(length=100), nullable=False),
        sa.Column("sis_school_id", sa.String(length=255), nullable=False),
        sa.Column("sis_school_name", sa.String(length=500), server_default="", nullable=False),
        sa.Column("config_public", sa.Text(), nullable=False),
        sa.Column("config_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_connections")),
    )
    op.create_table(
        "exclusions",
        sa.Column("school_id", sa.String(length=255), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "school_id", "side", "kind", "record_id", name=op.f("pk_exclusions")
        ),
    )
    op.create_table(
        "match_candidates",
        sa.Column("school_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sis_id", sa.String(length=255), nullable=False),
        sa.Column("platform_id", sa.String(length=255), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("ambiguous", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(
            "school_id", "kind", "sis_id", "platform_id", name=op.f("pk_match_candidates")
        ),
    )
    op.create_table(
        "record_links",
        sa.Column("school_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sis_id", sa.String(length=600), nullable=False),
        sa.Column("platform_id", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "kind", "sis_id", name=op.f("pk_record_links")),
    )
    op.create_index(
        "ix_record_links_platform",
        "record_links",
        ["school_id", "kind", "platform_id"],
        unique=False,
    )
    op.create_table(
        "ref_applied_changes",
        sa.Column("change_key", sa.String(length=255), nullable=False),
        sa.Column("school_id", sa.String(length=255), nullable=False),
        sa.Column("platform_id", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("change_key", name=op.f("pk_ref_applied_changes")),
    )
    op.create_table(
        "ref_grades",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_grades")),
    )
    op.create_table(
        "ref_schools",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("timezone", sa.String(length=100), server_default="UTC", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_schools")),
    )
    op.create_table(
        "ref_subjects",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_subjects")),
    )
    op.create_table(
        "sis_records",
        sa.Column("school_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sis_id", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("email", sa.String(length=500), server_default="", nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "kind", "sis_id", name=op.f("pk_sis_records")),
    )
    op.create_table(
        "sis_values",
        sa.Column("school_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sis_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=500), server_default="", nullable=False),
        sa.Column("code", sa.String(length=100), server_default="", nullable=False),
        sa.Column("present", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "kind", "sis_id", name=op.f("pk_sis_values")),
    )
    op.create_table(
        "value_mappings",
        sa.Column("school_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sis_id", sa.String(length=255), nullable=False),
        sa.Column("platform_id", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "kind", "sis_id", name=op.f("pk_value_mappings")),
    )
    op.create_table(
        "ref_classes",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("school_id", sa.String(length=255), nullable=False),
        sa.Column("sis_id", sa.String(length=255), server_default="", nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("code", sa.String(length=200), server_default="", nullable=False),
        sa.Column("class_type", sa.String(length=20), server_default="scheduled", nullable=False),
        sa.Column("course_sis_id", sa.String(length=255), server_default="", nullable=False),
        sa.Column("term_sis_ids", sa.Text(), server_default="[]", nullable=False),
        sa.Column("grade_ids", sa.Text(), server_default="[]", nullable=False),
        sa.Column("subject_ids", sa.Text(), server_default="[]", nullable=False),
        sa.Column("location", sa.String(length=200), server_default="", nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["ref_schools.id"], name=op.f("fk_ref_classes_school_id_ref_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_classes")),
    )
    op.create_index("ix_ref_classes_school", "ref_classes", ["school_id"], unique=False)
    op.create_table(
        "ref_people",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("school_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sis_id", sa.String(length=255), server_default="", nullable=False),
        sa.Column("given_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("family_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("middle_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("preferred_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("email", sa.String(length=500), server_default="", nullable=False),
        sa.Column("username", sa.String(length=200), server_default="", nullable=False),
        sa.Column("identifier", sa.String(length=200), server_default="", nullable=False),
        sa.Column("grade_id", sa.String(length=255), server_default="", nullable=False),
        sa.Column("phone", sa.String(length=100), server_default="", nullable=False),
        sa.Column("roles", sa.Text(), server_default="[]", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["ref_schools.id"], name=op.f("fk_ref_people_school_id_ref_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_people")),
    )
    op.create_index("ix_ref_people_school_kind", "ref_people", ["school_id", "kind"], unique=False)
    op.create_table(
        "ref_enrolments",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("school_id", sa.String(length=255), nullable=False),
        sa.Column("class_id", sa.String(length=255), nullable=False),
        sa.Column("person_id", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), server_default="student", nullable=False),
        sa.Column("is_primary", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("begin_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("sis_id", sa.String(length=255), server_default="", nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"], ["ref_classes.id"], name=op.f("fk_ref_enrolments_class_id_ref_classes")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["ref_people.id"], name=op.f("fk_ref_enrolments_person_id_ref_people")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["ref_schools.id"], name=op.f("fk_ref_enrolments_school_id_ref_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_enrolments")),
    )
    op.create_index("ix_ref_enrolments_school", "ref_enrolments", ["school_id"], unique=False)
    op.create_table(
        "ref_family_links",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("school_id", sa.String(length=255), nullable=False),
        sa.Column("family_id", sa.String(length=255), nullable=False),
        sa.Column("student_id", sa.String(length=255), nullable=False),
        sa.Column("relationship", sa.String(length=50), server_default="guardian", nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"], ["ref_people.id"], name=op.f("fk_ref_family_links_family_id_ref_people")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["ref_schools.id"],
            name=op.f("fk_ref_family_links_school_id_ref_schools"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["ref_people.id"],
            name=op.f("fk_ref_family_links_student_id_ref_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_family_links")),
    )
    op.create_index("ix_ref_family_links_school", "ref_family_links", ["school_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ref_family_links_school", table_name="ref_family_links")
    op.drop_table("ref_family_links")
    op.drop_index("ix_ref_enrolments_school", table_name="ref_enrolments")
    op.drop_table("ref_enrolments")
    op.drop_index("ix_ref_people_school_kind", table_name="ref_people")
    op.drop_table("ref_people")
    op.drop_index("ix_ref_classes_school", table_name="ref_classes")
    op.drop_table("ref_classes")
    op.drop_table("value_mappings")
    op.drop_table("sis_values")
    op.drop_table("sis_records")
    op.drop_table("ref_subjects")
    op.drop_table("ref_schools")
    op.drop_table("ref_grades")
    op.drop_table("ref_applied_changes")
    op.drop_index("ix_record_links_platform", table_name="record_links")
    op.drop_table("record_links")
    op.drop_table("match_candidates")
    op.drop_table("exclusions")
    op.drop_table("connections")
