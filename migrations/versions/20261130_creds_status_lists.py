"""credentials: status lists, credential statuses, index on certificates.revoked_at

Revision ID: 7c2e4b9d1f30
Revises: 5a1d3e7c9b20
Create Date: 2026-11-30 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c2e4b9d1f30'
down_revision = '5a1d3e7c9b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('status_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('allocated', sa.Integer(), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_lists'))
    )
    op.create_table('credential_statuses',
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('idx', sa.Integer(), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_credential_statuses_certificate_id_certificates')),
    sa.ForeignKeyConstraint(['list_id'], ['status_lists.id'], name=op.f('fk_credential_statuses_list_id_status_lists')),
    sa.PrimaryKeyConstraint('certificate_id', name=op.f('pk_credential_statuses')),
    sa.UniqueConstraint('list_id', 'idx', name=op.f('uq_credential_statuses_list_id_idx'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index('ix_certificates_revoked_at', ['revoked_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_certificates_revoked_at')
    op.drop_table('credential_statuses')
    op.drop_table('status_lists')
