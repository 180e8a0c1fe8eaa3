"""lean audit indexes: drop ix_audit_log_action_id, which no screen, filter or report needs

Every audit_log insert maintains each index. The screens sort by (created_at, id), an entity's
history reads (entity_type, entity_id), "My activity" reads (actor_id, created_at) and a request's
rows request_id; queries by action always add one of those, and a handful of actions makes an
index on action_id alone useless to the planner.

Revision ID: 0008_lean_audit_indexes
Revises: 0007_user_ids_bigint
Create Date: 2026-12-02 10:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_lean_audit_indexes"
down_revision = "0007_user_ids_bigint"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_action_id"))


def downgrade():
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_action_id"), ["action_id"], unique=False)
