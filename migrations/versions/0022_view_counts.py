"""view counts: per-target counters applied in bulk by the view flush task, and its ledger of batches

Revision ID: 0022_view_counts
Revises: 0021_shares
Create Date: 2026-12-07 16:30:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0022_view_counts"
down_revision = "0021_shares"
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
    op.create_table(
        "view_count",
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", BIG, nullable=False),
        sa.Column("count", sa.BigInteger(), server_default="0", nullable=False),
        *_common(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_view_count")),
        sa.UniqueConstraint("target_type", "target_id", name="uq_view_count_target"),
        sa.UniqueConstraint("uuid", name=op.f("uq_view_count_uuid")),
    )
    op.create_table(
        "view_flush",
        sa.Column("token", sa.String(length=64), nullable=False),
        *_common(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_view_flush")),
        sa.UniqueConstraint("token", name=op.f("uq_view_flush_token")),
        sa.UniqueConstraint("uuid", name=op.f("uq_view_flush_uuid")),
    )
    # The courses' views counted so far (Course.view_count) start the generic counters.
    uuid = "gen_random_uuid()" if op.get_bind().dialect.name == "postgresql" else "lower(hex(randomblob(16)))"
    op.execute(
        "INSERT INTO view_count (target_type, target_id, count, uuid, created_at, updated_at) "
        f"SELECT 'course', id, view_count, {uuid}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP "
        "FROM course WHERE view_count > 0"
    )


def downgrade():
    op.drop_table("view_flush")
    op.drop_table("view_count")
