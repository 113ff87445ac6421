"""material english: each material's name and notes in English beside the catalogue's Chinese

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("materials") as batch:
        batch.add_column(sa.Column("name_en", sa.String(length=400), nullable=False, server_default=""))
        batch.add_column(sa.Column("notes_en", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("materials") as batch:
        batch.drop_column("notes_en")
        batch.drop_column("name_en")
