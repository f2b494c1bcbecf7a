"""perfdata: attendance_records.counted, yearly tallies per base and per (base, person), backfilled

Revision ID: 3f8a1c6e2d47
Revises: 7c2e4b9d1f30
Create Date: 2026-11-30 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f8a1c6e2d47'
down_revision = 'd3e7a1c5b9f2'
branch_labels = None
depends_on = None

records = sa.table(
    'attendance_records',
    sa.column('id', sa.Integer), sa.column('session_id', sa.Integer),
    sa.column('person_id', sa.Integer), sa.column('credited_hours', sa.Numeric(5, 1)),
    sa.column('counted', sa.Boolean),
)
certificates = sa.table(
    'certificates', sa.column('record_id', sa.Integer), sa.column('revoked_at', sa.DateTime),
)
sessions = sa.table(
    'training_sessions', sa.column('id', sa.Integer), sa.column('base_id', sa.Integer),
    sa.column('year', sa.Integer),
)
person_tallies = sa.table(
    'base_person_year_tallies',
    sa.column('base_id', sa.Integer), sa.column('year', sa.Integer),
    sa.column('person_id', sa.Integer), sa.column('person_times', sa.Integer),
    sa.column('counted_hours', sa.Numeric(14, 1)),
)
base_tallies = sa.table(
    'base_year_tallies',
    sa.column('base_id', sa.Integer), sa.column('year', sa.Integer),
    sa.column('trainees', sa.Integer), sa.column('person_times', sa.Integer),
    sa.column('trainee_hours', sa.Numeric(14, 1)),
)


def upgrade():
    with op.batch_alter_table('attendance_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_table('base_year_tallies',
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('trainees', sa.Integer(), nullable=False),
    sa.Column('person_times', sa.Integer(), nullable=False),
    sa.Column('trainee_hours', sa.Numeric(precision=14, scale=1), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_base_year_tallies_base_id_bases')),
    sa.PrimaryKeyConstraint('base_id', 'year', name=op.f('pk_base_year_tallies'))
    )
    op.create_table('base_person_year_tallies',
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('person_times', sa.Integer(), nullable=False),
    sa.Column('counted_hours', sa.Numeric(precision=14, scale=1), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_base_person_year_tallies_base_id_bases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_base_person_year_tallies_person_id_people')),
    sa.PrimaryKeyConstraint('base_id', 'year', 'person_id', name=op.f('pk_base_person_year_tallies'))
    )
    with op.batch_alter_table('base_person_year_tallies', schema=None) as batch_op:
        batch_op.create_index('ix_base_person_year_tallies_person_year', ['person_id', 'year'], unique=False)
    _backfill()


def _backfill():
    """Set-based: revoked certificates' records stop counting, then the tallies from the records."""
    op.execute(
        records.update()
        .where(records.c.id.in_(
            sa.select(certificates.c.record_id).where(certificates.c.revoked_at.is_not(None))
        ))
        .values(counted=False)
    )
    counted = sa.case((records.c.counted, records.c.credited_hours), else_=sa.literal(0))
    op.execute(
        person_tallies.insert().from_select(
            ['base_id', 'year', 'person_id', 'person_times', 'counted_hours'],
            sa.select(
                sessions.c.base_id, sessions.c.year, records.c.person_id,
                sa.func.count(records.c.id), sa.func.coalesce(sa.func.sum(counted), 0),
            )
            .select_from(records.join(sessions, sessions.c.id == records.c.session_id))
            .group_by(sessions.c.base_id, sessions.c.year, records.c.person_id),
        )
    )
    p = person_tallies.c
    op.execute(
        base_tallies.insert().from_select(
            ['base_id', 'year', 'trainees', 'person_times', 'trainee_hours'],
            sa.select(
                p.base_id, p.year, sa.func.count(), sa.func.sum(p.person_times),
                sa.func.sum(p.counted_hours),
            ).group_by(p.base_id, p.year),
        )
    )


def downgrade():
    with op.batch_alter_table('base_person_year_tallies', schema=None) as batch_op:
        batch_op.drop_index('ix_base_person_year_tallies_person_year')
    op.drop_table('base_person_year_tallies')
    op.drop_table('base_year_tallies')
    with op.batch_alter_table('attendance_records', schema=None) as batch_op:
        batch_op.drop_column('counted')
