"""audit rows name their action without a foreign key

Revision ID: 0013_audit_action_without_fk
Revises: 0012_assessment_races
Create Date: 2026-12-07 07:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_audit_action_without_fk"
down_revision = "0012_assessment_races"
branch_labels = None
depends_on = None


def upgrade():
    # Every audited write checked its action against `lookup` and locked that row FOR KEY SHARE: all
    # writers of the site contended for the same few lookup rows. Lookups are never hard-deleted and
    # the audit listener refuses an action that is not seeded, so the check guarded nothing.
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint("fk_audit_log_action_id_lookup", type_="foreignkey")


def downgrade():
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_foreign_key("fk_audit_log_action_id_lookup", "lookup", ["action_id"], ["id"])
