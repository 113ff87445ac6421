"""panoramas: each scene's published tiles config, and staff hotspot overrides

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scenes") as batch:
        batch.add_column(sa.Column("panorama", sa.JSON(), nullable=True))
    op.create_table(
        "hotspot_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scene_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=False),
        sa.Column("yaw", sa.Float(), nullable=True),
        sa.Column("pitch", sa.Float(), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["scene_id"], ["scenes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scene_id", "target"),
    )
    op.create_index(op.f("ix_hotspot_overrides_scene_id"), "hotspot_overrides", ["scene_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_hotspot_overrides_scene_id"), table_name="hotspot_overrides")
    op.drop_table("hotspot_overrides")
    with op.batch_alter_table("scenes") as batch:
        batch.drop_column("panorama")
