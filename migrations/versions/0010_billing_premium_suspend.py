"""Premium courses and lessons (the `premium_content` plan feature).

Revision ID: 0010_billing_premium_suspend
Revises: 0006_billing
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_billing_premium_suspend"
down_revision = "0006_billing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `is_premium` to course and lesson (false for the existing rows)."""
    for table in ("course", "lesson"):
        op.add_column(table, sa.Column("is_premium", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Drop the premium flags."""
    for table in ("course", "lesson"):
        op.drop_column(table, "is_premium")
