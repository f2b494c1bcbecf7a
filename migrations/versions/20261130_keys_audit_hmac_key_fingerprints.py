"""keys: key fingerprints, keyed audit chain (event version, head MAC)

Revision ID: 5e1a9c7d3b20
Revises: c32521d4c73c
Create Date: 2026-11-30 09:00:00.000000

Existing audit events keep their SHA-256 digests (version 1) and are still checked by that rule;
events written from now on are HMAC-SHA256 (version 2) and the first of them links to the last
old one, so the old part of the chain is vouched for as it stood at the upgrade.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1a9c7d3b20'
down_revision = 'c32521d4c73c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('key_fingerprints',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_key_fingerprints'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.SmallInteger(), server_default=sa.text('1'), nullable=False))
    with op.batch_alter_table('audit_heads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))


def downgrade():
    # Keyed events cannot be checked by the old rule: downgrading keeps them but `audit verify`
    # of the old version will report the first keyed event as broken.
    with op.batch_alter_table('audit_heads', schema=None) as batch_op:
        batch_op.drop_column('mac')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('version')
    op.drop_table('key_fingerprints')
