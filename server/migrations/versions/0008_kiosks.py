"""kiosks: the touch screens in a hall (position, facing, idle times, audio, last heartbeat)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kiosks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(length=64), nullable=False, unique=True),
        sa.Column(
            "hall_id", sa.Integer(), sa.ForeignKey("halls.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("floor_id", sa.Integer(), sa.ForeignKey("floors.id", ondelete="CASCADE"), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("z", sa.Float(), nullable=False),
        sa.Column("facing", sa.Float(), nullable=False),
        sa.Column("idle_seconds", sa.Integer(), nullable=False),
        sa.Column("countdown_seconds", sa.Integer(), nullable=False),
        sa.Column("audio", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_version", sa.String(length=64), nullable=True),
        sa.Column("heartbeat_errors", sa.JSON(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("kiosks")
