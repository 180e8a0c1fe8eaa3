"""quiz attempts remember who abandoned them

Revision ID: 0012_assessment_races
Revises: 0011_system_lookups
Create Date: 2026-12-10 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_assessment_races"
down_revision = "0011_system_lookups"
branch_labels = None
depends_on = None


def upgrade():
    # An attempt abandoned by the course's staff does not count against the learner's limit.
    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("abandoned_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_quiz_attempt_abandoned_by_id_ab_user"), "ab_user", ["abandoned_by_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_quiz_attempt_abandoned_by_id_ab_user"), type_="foreignkey")
        batch_op.drop_column("abandoned_by_id")
