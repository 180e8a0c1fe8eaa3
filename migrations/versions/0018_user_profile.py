"""the public profile of a user: headline, links, privacy per field, default CV

Revision ID: 0018_user_profile
Revises: 0017_push_subscriptions
Create Date: 2026-12-07 14:00:00.000000

"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0018_user_profile"
down_revision = "0017_push_subscriptions"
branch_labels = None
depends_on = None


def upgrade():
    # All optional: existing accounts get the default privacy (names, headline, avatar public) until
    # they choose. The CV is a media.id without a foreign key, like avatar_media_id (media refers to
    # ab_user already; the media library checks the row).
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("headline", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("links", json, nullable=True))
        batch_op.add_column(sa.Column("profile_privacy", json, nullable=True))
        batch_op.add_column(sa.Column("default_cv_media_id", sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.drop_column("default_cv_media_id")
        batch_op.drop_column("profile_privacy")
        batch_op.drop_column("links")
        batch_op.drop_column("headline")
