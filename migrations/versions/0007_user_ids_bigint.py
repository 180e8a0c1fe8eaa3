"""user ids are BIGINT: ab_user.id, its sequence and every foreign key to it (PRD 6.1)

Revision ID: 0007_user_ids_bigint
Revises: 0006_billing
Create Date: 2026-12-02 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0007_user_ids_bigint"
down_revision = "0006_billing"
branch_labels = None
depends_on = None

# Every column whose foreign key points at ab_user.id, read from the catalog so none is missed.
_REFERENCES = sa.text(
    "SELECT cl.relname, att.attname"
    " FROM pg_constraint c"
    " JOIN pg_class cl ON cl.oid = c.conrelid"
    " JOIN pg_attribute att ON att.attrelid = c.conrelid AND att.attnum = ANY (c.conkey)"
    " WHERE c.contype = 'f' AND c.confrelid = 'ab_user'::regclass"
    " ORDER BY cl.relname, att.attname"
)


def _retype(kind: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        # SQLite (`make run`) stores any integer in an INTEGER column: nothing to change.
        return
    columns = [("ab_user", "id"), *bind.execute(_REFERENCES).all()]
    for table, column in columns:
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE {kind}')
    # FAB inserts users with nextval('ab_user_id_seq'): the sequence must count as far as the column.
    op.execute(f"ALTER SEQUENCE ab_user_id_seq AS {kind}")


def upgrade():
    _retype("BIGINT")


def downgrade():
    _retype("INTEGER")
