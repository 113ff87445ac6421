"""hall time: each hall's time zone and holiday calendar, and how to get there

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("halls") as batch:
        batch.add_column(
            sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="Asia/Shanghai")
        )
        batch.add_column(sa.Column("calendar", sa.String(length=32), nullable=False, server_default="cn"))
        batch.add_column(sa.Column("access", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("halls") as batch:
        batch.drop_column("access")
        batch.drop_column("calendar")
        batch.drop_column("time_zone")
