"""catalogue english: each service's conditions and process steps as bilingual pairs

Before: ``conditions`` a list of Chinese strings, ``process`` a list of ``{name, description}`` strings.
After: ``conditions`` a list of ``{"zh", "en"}`` and each step's name and description such a pair. Stored
rows have no English yet, so ``en`` is null (the API says so; the tour shows the Chinese). A downgrade keeps
the Chinese and drops the English.

Revision ID: 0007
Revises: 0006
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

services = sa.table(
    "service_items",
    sa.column("id", sa.Integer),
    sa.column("conditions", sa.JSON),
    sa.column("process", sa.JSON),
)


def to_pair(text: Any) -> Any:
    """An old-form text as a pair; a pair (already new) as it is."""
    return text if isinstance(text, dict) else {"zh": text, "en": None}


def to_text(value: Any) -> Any:
    """A pair's Chinese; an old-form text as it is."""
    return value.get("zh") if isinstance(value, dict) else value


def rewrite(convert) -> None:
    """Every service row's conditions and process steps, each text passed through *convert*."""
    connection = op.get_bind()
    for row_id, conditions, process in connection.execute(
        sa.select(services.c.id, services.c.conditions, services.c.process)
    ).all():
        connection.execute(
            services.update()
            .where(services.c.id == row_id)
            .values(
                conditions=[convert(c) for c in conditions or []],
                process=[
                    {"name": convert(p.get("name")), "description": convert(p.get("description"))}
                    for p in process or []
                ],
            )
        )


def upgrade() -> None:
    rewrite(to_pair)


def downgrade() -> None:
    rewrite(to_text)
