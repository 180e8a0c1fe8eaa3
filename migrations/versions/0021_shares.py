"""shares: share records and counters, referral codes, touches (visits through share links) and
conversions (sign-ups, enrolments, purchases credited to first and last touch)

Revision ID: 0021_shares
Revises: 0020_reactions
Create Date: 2026-12-07 16:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_shares"
down_revision = "0020_reactions"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _common(table):
    return [
        sa.Column("id", BIG, sa.Identity(always=False), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("uuid", name=op.f(f"uq_{table}_uuid")),
    ]


def _user_fk(table, column):
    return sa.ForeignKeyConstraint([column], ["ab_user.id"], name=op.f(f"fk_{table}_{column}_ab_user"))


def upgrade():
    op.create_table(
        "share",
        sa.Column("user_id", BIG, nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", BIG, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        *_common("share"),
        _user_fk("share", "user_id"),
    )
    op.create_index("ix_share_target", "share", ["target_type", "target_id"], unique=False)
    op.create_index("ix_share_user_created", "share", ["user_id", "created_at"], unique=False)

    op.create_table(
        "share_count",
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", BIG, nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("joined_count", sa.Integer(), server_default="0", nullable=False),
        *_common("share_count"),
        sa.UniqueConstraint("target_type", "target_id", name="uq_share_count_target"),
    )

    op.create_table(
        "referral_code",
        sa.Column("user_id", BIG, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        *_common("referral_code"),
        _user_fk("referral_code", "user_id"),
        sa.UniqueConstraint("user_id", name=op.f("uq_referral_code_user_id")),
        sa.UniqueConstraint("code", name=op.f("uq_referral_code_code")),
    )

    op.create_table(
        "referral_touch",
        sa.Column("sharer_id", BIG, nullable=False),
        sa.Column("user_id", BIG, nullable=True),
        sa.Column("visitor_id", sa.String(length=32), nullable=True),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", BIG, nullable=True),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        *_common("referral_touch"),
        _user_fk("referral_touch", "sharer_id"),
        _user_fk("referral_touch", "user_id"),
    )
    op.create_index("ix_referral_touch_visitor", "referral_touch", ["visitor_id", "touched_at"], unique=False)
    op.create_index("ix_referral_touch_user", "referral_touch", ["user_id", "touched_at"], unique=False)
    op.create_index("ix_referral_touch_sharer", "referral_touch", ["sharer_id", "touched_at"], unique=False)

    op.create_table(
        "referral_conversion",
        sa.Column("user_id", BIG, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", BIG, nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("first_sharer_id", BIG, nullable=False),
        sa.Column("last_sharer_id", BIG, nullable=False),
        sa.Column("first_touch_id", BIG, nullable=True),
        sa.Column("last_touch_id", BIG, nullable=True),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=False),
        *_common("referral_conversion"),
        _user_fk("referral_conversion", "user_id"),
        _user_fk("referral_conversion", "first_sharer_id"),
        _user_fk("referral_conversion", "last_sharer_id"),
        sa.ForeignKeyConstraint(
            ["first_touch_id"],
            ["referral_touch.id"],
            name=op.f("fk_referral_conversion_first_touch_id_referral_touch"),
        ),
        sa.ForeignKeyConstraint(
            ["last_touch_id"],
            ["referral_touch.id"],
            name=op.f("fk_referral_conversion_last_touch_id_referral_touch"),
        ),
        sa.UniqueConstraint("kind", "source_key", name="uq_referral_conversion_source"),
    )
    op.create_index(op.f("ix_referral_conversion_user_id"), "referral_conversion", ["user_id"], unique=False)
    op.create_index(
        "ix_referral_conversion_first",
        "referral_conversion",
        ["first_sharer_id", "converted_at"],
        unique=False,
    )
    op.create_index(
        "ix_referral_conversion_last", "referral_conversion", ["last_sharer_id", "converted_at"], unique=False
    )
    op.create_index(
        "ix_referral_conversion_target", "referral_conversion", ["target_type", "target_id"], unique=False
    )


def downgrade():
    op.drop_table("referral_conversion")
    op.drop_table("referral_touch")
    op.drop_table("referral_code")
    op.drop_table("share_count")
    op.drop_table("share")
