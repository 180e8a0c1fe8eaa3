"""Premium courses and lessons (the `premium_content` plan feature); suspended subscriptions.

Revision ID: 0010_billing_premium_suspend
Revises: 0009_list_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_billing_premium_suspend"
down_revision = "0009_list_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `is_premium` to course and lesson (false for the existing rows) and a subscription's
    suspension time and reason."""
    for table in ("course", "lesson"):
        op.add_column(table, sa.Column("is_premium", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("subscription", sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("subscription", sa.Column("suspension_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    """Drop the suspension columns and the premium flags."""
    op.drop_column("subscription", "suspension_reason")
    op.drop_column("subscription", "suspended_at")
    for table in ("course", "lesson"):
        op.drop_column(table, "is_premium")
