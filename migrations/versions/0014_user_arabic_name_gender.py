"""a user's name in Arabic and gender (Arabic certificates)

Revision ID: 0014_user_arabic_name_gender
Revises: 0013_audit_action_without_fk
Create Date: 2026-12-07 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0014_user_arabic_name_gender"
down_revision = "0013_audit_action_without_fk"
branch_labels = None
depends_on = None


def upgrade():
    # Both optional: existing accounts keep their Latin name and neutral wording until they say more.
    # The `genders` lookup values come from seed/lookups/users.yaml (`flask app init`).
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_ar", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("gender_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_ab_user_gender_id"), ["gender_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_ab_user_gender_id_lookup"), "lookup", ["gender_id"], ["id"])


def downgrade():
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_ab_user_gender_id_lookup"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_ab_user_gender_id"))
        batch_op.drop_column("gender_id")
        batch_op.drop_column("name_ar")
