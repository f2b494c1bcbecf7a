"""correct: correct-and-reissue (certificates.replaced_by_id/replaces_id, at most one valid
certificate per record by a partial unique index, attendance_records.category)

Revision ID: c0rr3c7e1551
Revises: eff85e9f47a3
Create Date: 2026-11-30 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0rr3c7e1551'
down_revision = 'eff85e9f47a3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attendance_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=16), nullable=True))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaced_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('replaces_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_certificates_record_id'), type_='unique')
        batch_op.create_foreign_key(
            batch_op.f('fk_certificates_replaced_by_id_certificates'),
            'certificates', ['replaced_by_id'], ['id'],
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_certificates_replaces_id_certificates'),
            'certificates', ['replaces_id'], ['id'],
        )
        batch_op.create_index(batch_op.f('ix_certificates_record_id'), ['record_id'], unique=False)
        batch_op.create_index(
            'uq_certificates_valid_record', ['record_id'], unique=True,
            sqlite_where=sa.text('revoked_at IS NULL'),
            postgresql_where=sa.text('revoked_at IS NULL'),
        )


def downgrade():
    # Only the current certificate of each record can keep the old one-per-record constraint:
    # a database with corrections cannot go back without losing the register's history.
    bind = op.get_bind()
    corrected = bind.execute(
        sa.text('SELECT count(*) FROM certificates WHERE replaced_by_id IS NOT NULL')
    ).scalar()
    if corrected:
        raise RuntimeError(
            f'{corrected} corrected certificates: the one-certificate-per-record schema cannot hold them'
        )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_certificates_valid_record')
        batch_op.drop_index(batch_op.f('ix_certificates_record_id'))
        batch_op.drop_constraint(batch_op.f('fk_certificates_replaces_id_certificates'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_certificates_replaced_by_id_certificates'), type_='foreignkey')
        batch_op.create_unique_constraint(batch_op.f('uq_certificates_record_id'), ['record_id'])
        batch_op.drop_column('replaces_id')
        batch_op.drop_column('replaced_by_id')
    with op.batch_alter_table('attendance_records', schema=None) as batch_op:
        batch_op.drop_column('category')
