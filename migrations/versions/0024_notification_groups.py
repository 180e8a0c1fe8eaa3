"""notification groups: one open row per recipient and group key ("Sara and 4 others reacted")

Revision ID: 0024_notification_groups
Revises: 0023_comment_threads
Create Date: 2026-12-07 16:45:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0024_notification_groups"
down_revision = "0023_comment_threads"
branch_labels = None
depends_on = None

OPEN = "group_key IS NOT NULL AND in_app AND read_at IS NULL AND NOT is_deleted"


def upgrade():
    op.add_column("notification", sa.Column("group_key", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_notification_open_group",
        "notification",
        ["recipient_id", "group_key"],
        unique=True,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade():
    op.drop_index("uq_notification_open_group", table_name="notification")
    op.drop_column("notification", "group_key")
