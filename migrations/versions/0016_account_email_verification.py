"""e-mail verification and confirmed e-mail changes on accounts

Revision ID: 0016_account_email_verification
Revises: 0015_notifications
Create Date: 2026-12-10 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0016_account_email_verification"
down_revision = "0015_notifications"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("pending_email", sa.String(length=320), nullable=True))
    # Accounts made before verification existed keep working as they did: verified.
    op.execute("UPDATE ab_user SET email_verified_at = CURRENT_TIMESTAMP WHERE email_verified_at IS NULL")


def downgrade():
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.drop_column("pending_email")
        batch_op.drop_column("email_verified_at")
