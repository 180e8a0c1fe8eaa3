"""comment threads: replies to replies (depth and the thread's top-level comment), backfilled

Revision ID: 0023_comment_threads
Revises: 0022_view_counts
Create Date: 2026-12-07 16:40:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0023_comment_threads"
down_revision = "0022_view_counts"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table("comment") as batch:
        batch.add_column(sa.Column("root_id", BIG, nullable=True))
        batch.add_column(sa.Column("depth", sa.Integer(), server_default="1", nullable=False))
        batch.create_foreign_key("fk_comment_root_id_comment", "comment", ["root_id"], ["id"])
        batch.create_index("ix_comment_root_id", ["root_id"])
    # Existing replies: one level under a top-level comment, but walk any chain to be safe (each
    # pass settles one more level; a pass that changes nothing ends it).
    for _ in range(100):
        result = op.get_bind().execute(
            sa.text(
                "UPDATE comment SET depth = p.depth + 1, root_id = COALESCE(p.root_id, p.id) "
                "FROM comment AS p WHERE comment.parent_id = p.id "
                "AND (comment.depth <> p.depth + 1 OR comment.root_id IS DISTINCT FROM COALESCE(p.root_id, p.id))"
            )
        )
        if not result.rowcount:
            break


def downgrade():
    # Back to one level: every reply joins its thread's top-level comment.
    op.execute("UPDATE comment SET parent_id = root_id WHERE root_id IS NOT NULL")
    with op.batch_alter_table("comment") as batch:
        batch.drop_index("ix_comment_root_id")
        batch.drop_constraint("fk_comment_root_id_comment", type_="foreignkey")
        batch.drop_column("depth")
        batch.drop_column("root_id")
