"""list indexes: "starts with" on the audit log's actor served by lower(actor_label) text_pattern_ops

Revision ID: 0009_list_indexes
Revises: 0008_lean_audit_indexes
Create Date: 2026-12-07 05:00:00

The back office's "starts with" filter is `lower(col) LIKE 'x%'` (app.core.interface), which a btree
on `lower(col) text_pattern_ops` serves whatever the database collation (FAB's ILIKE used none).
Codes (audit entity_type, course slug) are filtered by equality first and use their existing
indexes; the course search text by substring, under its existing trigram index.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_list_indexes"
down_revision = "0008_lean_audit_indexes"
branch_labels = None
depends_on = None


def upgrade():
    ops = {"postgresql_ops": {"lower_actor_label": "text_pattern_ops"}}
    op.create_index(
        "ix_audit_log_actor_label_prefix",
        "audit_log",
        [sa.func.lower(sa.column("actor_label")).label("lower_actor_label")],
        **ops,
    )


def downgrade():
    op.drop_index("ix_audit_log_actor_label_prefix", table_name="audit_log")
