"""drafts and published versions: one draft per scope, every published version's snapshot, the audit
log; a counter's status notice to citizens; a hall's hour presets (named week schedules)

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("counters") as batch:
        batch.add_column(sa.Column("status_notice_zh", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("status_notice_en", sa.String(length=400), nullable=True))
    with op.batch_alter_table("halls") as batch:
        batch.add_column(sa.Column("hour_presets", sa.JSON(), nullable=True))
    op.create_table(
        "drafts",
        sa.Column("scope", sa.String(length=80), primary_key=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "published_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(length=80), nullable=False, index=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.UniqueConstraint("scope", "number"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("user_name", sa.String(length=32), nullable=True, index=True),
        sa.Column("scope", sa.String(length=80), nullable=True, index=True),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("published_versions")
    op.drop_table("drafts")
    with op.batch_alter_table("halls") as batch:
        batch.drop_column("hour_presets")
    with op.batch_alter_table("counters") as batch:
        batch.drop_column("status_notice_en")
        batch.drop_column("status_notice_zh")
