"""scenes: the view a scene opens at (initial yaw/pitch); scene links: the view on arrival through a link

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scenes") as batch:
        batch.add_column(sa.Column("initial_yaw", sa.Float(), nullable=True))
        batch.add_column(sa.Column("initial_pitch", sa.Float(), nullable=True))
    with op.batch_alter_table("scene_links") as batch:
        batch.add_column(sa.Column("arrival_yaw", sa.Float(), nullable=True))
        batch.add_column(sa.Column("arrival_pitch", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scene_links") as batch:
        batch.drop_column("arrival_pitch")
        batch.drop_column("arrival_yaw")
    with op.batch_alter_table("scenes") as batch:
        batch.drop_column("initial_pitch")
        batch.drop_column("initial_yaw")
