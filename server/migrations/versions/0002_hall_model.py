"""hall model: the published GLB of each hall

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("halls") as batch:
        batch.add_column(sa.Column("model_sha", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("model_published_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("halls") as batch:
        batch.drop_column("model_published_at")
        batch.drop_column("model_sha")
