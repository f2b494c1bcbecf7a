"""transcripts: 学时认定单 (signed statements of hours per year)

Revision ID: 3f8a1c6d2e57
Revises: 7c2e4b9d1f30
Create Date: 2026-11-30 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f8a1c6d2e57'
down_revision = '7c2e4b9d1f30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('transcripts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('from_year', sa.Integer(), nullable=False),
    sa.Column('to_year', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=True),
    sa.Column('alg', sa.String(length=16), nullable=False),
    sa.Column('kid', sa.String(length=32), nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_transcripts_grant_id_grants')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_transcripts_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transcripts')),
    sa.UniqueConstraint('serial', name=op.f('uq_transcripts_serial'))
    )
    with op.batch_alter_table('transcripts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transcripts_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transcripts_kid'), ['kid'], unique=False)
        batch_op.create_index(batch_op.f('ix_transcripts_person_id'), ['person_id'], unique=False)


def downgrade():
    with op.batch_alter_table('transcripts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcripts_person_id'))
        batch_op.drop_index(batch_op.f('ix_transcripts_kid'))
        batch_op.drop_index(batch_op.f('ix_transcripts_grant_id'))
    op.drop_table('transcripts')
