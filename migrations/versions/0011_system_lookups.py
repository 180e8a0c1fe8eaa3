"""system lookups: `is_system` on lookup types and values (set by the seed)

Revision ID: 0011_system_lookups
Revises: 0010_billing_premium_suspend
Create Date: 2026-11-26 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0011_system_lookups"
down_revision = "0010_billing_premium_suspend"
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows start as non-system; `flask app init` / `flask seed lookups` marks the seeded ones.
    for table in ("lookup_type", "lookup"):
        op.add_column(
            table, sa.Column("is_system", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )


def downgrade():
    for table in ("lookup", "lookup_type"):
        op.drop_column(table, "is_system")
