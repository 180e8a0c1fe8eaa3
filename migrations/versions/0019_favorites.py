"""favorites: a user's favorite targets, private collections and per-target counters

Revision ID: 0019_favorites
Revises: 0018_user_profile
Create Date: 2026-12-07 15:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0019_favorites"
down_revision = "0018_user_profile"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id_columns():
    return [
        sa.Column("id", BIG_ID, sa.Identity(always=False), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
    ]


def upgrade():
    op.create_table(
        "favorite_collection",
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("colour", sa.String(length=16), nullable=False),
        *_id_columns(),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], name=op.f("fk_favorite_collection_user_id_ab_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_favorite_collection")),
        sa.UniqueConstraint("uuid", name=op.f("uq_favorite_collection_uuid")),
    )
    with op.batch_alter_table("favorite_collection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_favorite_collection_is_deleted"), ["is_deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_favorite_collection_user_id"), ["user_id"], unique=False)

    # Never soft-deleted: a favorite of a deleted target waits for its restore (the list skips it).
    op.create_table(
        "favorite",
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", BIG_ID, nullable=False),
        sa.Column("collection_id", BIG_ID, nullable=True),
        *_id_columns(),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], name=op.f("fk_favorite_user_id_ab_user")),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["favorite_collection.id"],
            name=op.f("fk_favorite_collection_id_favorite_collection"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_favorite")),
        sa.UniqueConstraint("user_id", "target_type", "target_id", name="uq_favorite_user_target"),
        sa.UniqueConstraint("uuid", name=op.f("uq_favorite_uuid")),
    )
    with op.batch_alter_table("favorite", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_favorite_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_favorite_collection_id"), ["collection_id"], unique=False)
        batch_op.create_index("ix_favorite_user_created", ["user_id", "created_at"], unique=False)
        batch_op.create_index("ix_favorite_target", ["target_type", "target_id"], unique=False)

    op.create_table(
        "favorite_count",
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", BIG_ID, nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        *_id_columns(),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_favorite_count")),
        sa.UniqueConstraint("target_type", "target_id", name="uq_favorite_count_target"),
        sa.UniqueConstraint("uuid", name=op.f("uq_favorite_count_uuid")),
    )


def downgrade():
    op.drop_table("favorite_count")
    with op.batch_alter_table("favorite", schema=None) as batch_op:
        batch_op.drop_index("ix_favorite_target")
        batch_op.drop_index("ix_favorite_user_created")
        batch_op.drop_index(batch_op.f("ix_favorite_collection_id"))
        batch_op.drop_index(batch_op.f("ix_favorite_user_id"))
    op.drop_table("favorite")
    with op.batch_alter_table("favorite_collection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_favorite_collection_user_id"))
        batch_op.drop_index(batch_op.f("ix_favorite_collection_is_deleted"))
    op.drop_table("favorite_collection")
