"""notifications: one row per recipient and event; channel preferences per user and type

Revision ID: 0015_notifications
Revises: 0014_user_arabic_name_gender
Create Date: 2026-12-07 13:18:27.282286

"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0015_notifications"
down_revision = "0014_user_arabic_name_gender"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification",
        sa.Column("recipient_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("type_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("in_app", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_state", sa.String(length=8), server_default="none", nullable=False),
        sa.Column("push_due", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["ab_user.id"], name=op.f("fk_notification_actor_id_ab_user")),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["ab_user.id"], name=op.f("fk_notification_recipient_id_ab_user")
        ),
        sa.ForeignKeyConstraint(["type_id"], ["lookup.id"], name=op.f("fk_notification_type_id_lookup")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("recipient_id", "dedupe_key", name="uq_notification_recipient_id"),
        sa.UniqueConstraint("uuid", name=op.f("uq_notification_uuid")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_email_state", ["email_state"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_is_deleted"), ["is_deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_type_id"), ["type_id"], unique=False)
        batch_op.create_index(
            "ix_notification_recipient_created", ["recipient_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_notification_unread", ["recipient_id", "read_at", "is_deleted"], unique=False
        )

    op.create_table(
        "notification_preference",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("type_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("push", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["type_id"], ["lookup.id"], name=op.f("fk_notification_preference_type_id_lookup")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["ab_user.id"], name=op.f("fk_notification_preference_user_id_ab_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preference")),
        sa.UniqueConstraint("user_id", "type_id", name="uq_notification_preference_user_id"),
        sa.UniqueConstraint("uuid", name=op.f("uq_notification_preference_uuid")),
    )
    with op.batch_alter_table("notification_preference", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_preference_type_id"), ["type_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_preference_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_notification_preference_default",
            ["type_id"],
            unique=True,
            postgresql_where=sa.text("user_id IS NULL"),
            sqlite_where=sa.text("user_id IS NULL"),
        )


def downgrade():
    with op.batch_alter_table("notification_preference", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_notification_preference_default",
            postgresql_where=sa.text("user_id IS NULL"),
            sqlite_where=sa.text("user_id IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_notification_preference_user_id"))
        batch_op.drop_index(batch_op.f("ix_notification_preference_type_id"))

    op.drop_table("notification_preference")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_unread")
        batch_op.drop_index("ix_notification_recipient_created")
        batch_op.drop_index(batch_op.f("ix_notification_type_id"))
        batch_op.drop_index(batch_op.f("ix_notification_is_deleted"))
        batch_op.drop_index("ix_notification_email_state")

    op.drop_table("notification")
