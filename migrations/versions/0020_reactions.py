"""reactions: one per user and target (a reaction_types lookup value), and counters per target and type

Revision ID: 0020_reactions
Revises: 0019_favorites
Create Date: 2026-12-07 14:40:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0020_reactions"
down_revision = "0019_favorites"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _common():
    return [
        sa.Column("id", BIG, sa.Identity(always=False), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def upgrade():
    # The unique key spans soft-deleted rows: a removed reaction is revived, never duplicated.
    op.create_table(
        "reaction",
        sa.Column("user_id", BIG, nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", BIG, nullable=False),
        sa.Column("type_id", BIG, nullable=False),
        *_common(),
        sa.Column("is_deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], name=op.f("fk_reaction_user_id_ab_user")),
        sa.ForeignKeyConstraint(["type_id"], ["lookup.id"], name=op.f("fk_reaction_type_id_lookup")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reaction")),
        sa.UniqueConstraint("user_id", "target_type", "target_id", name="uq_reaction_user_target"),
        sa.UniqueConstraint("uuid", name=op.f("uq_reaction_uuid")),
    )
    with op.batch_alter_table("reaction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reaction_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reaction_is_deleted"), ["is_deleted"], unique=False)
        batch_op.create_index("ix_reaction_target", ["target_type", "target_id", "type_id"], unique=False)

    op.create_table(
        "reaction_count",
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", BIG, nullable=False),
        sa.Column("type_id", BIG, nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        *_common(),
        sa.ForeignKeyConstraint(["type_id"], ["lookup.id"], name=op.f("fk_reaction_count_type_id_lookup")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reaction_count")),
        sa.UniqueConstraint("target_type", "target_id", "type_id", name="uq_reaction_count_target_type"),
        sa.UniqueConstraint("uuid", name=op.f("uq_reaction_count_uuid")),
    )


def downgrade():
    op.drop_table("reaction_count")
    with op.batch_alter_table("reaction", schema=None) as batch_op:
        batch_op.drop_index("ix_reaction_target")
        batch_op.drop_index(batch_op.f("ix_reaction_is_deleted"))
        batch_op.drop_index(batch_op.f("ix_reaction_user_id"))
    op.drop_table("reaction")
