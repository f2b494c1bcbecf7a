"""identity: activation codes, session tokens, account reset, token expiry, phones, bound grants

Revision ID: 5a1d3e7c9b20
Revises: 5e1a9c7d3b20
Create Date: 2026-11-30 09:00:00

"""
import secrets
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1d3e7c9b20'
down_revision = '5e1a9c7d3b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activation_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_activation_codes_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_codes'))
    )
    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activation_codes_person_id'), ['person_id'], unique=False)

    # Every existing account gets its own session token (old session cookies stop working,
    # which is the point: they carried no server-side state to end).
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reset_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('session_token', sa.String(length=32), nullable=True))
    conn = op.get_bind()
    accounts = sa.table('accounts', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    for (account_id,) in conn.execute(sa.select(accounts.c.id)).all():
        conn.execute(
            accounts.update().where(accounts.c.id == account_id).values(session_token=secrets.token_hex(16))
        )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=32), nullable=False)

    # Existing tokens get a full year from today rather than expiring on their creation date.
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    tokens = sa.table('api_tokens', sa.column('expires_at', sa.DateTime(timezone=True)))
    conn.execute(tokens.update().values(expires_at=datetime.now(UTC) + timedelta(days=365)))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True), nullable=False)

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_encrypted', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('phone_masked', sa.String(length=11), nullable=True))

    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('employer_credit_code', sa.String(length=18), nullable=True))

    with op.batch_alter_table('grant_accesses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('viewer_unit', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('viewer_name', sa.String(length=50), nullable=True))


def downgrade():
    with op.batch_alter_table('grant_accesses', schema=None) as batch_op:
        batch_op.drop_column('viewer_name')
        batch_op.drop_column('viewer_unit')

    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_column('employer_credit_code')

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('phone_masked')
        batch_op.drop_column('phone_encrypted')

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('session_token')
        batch_op.drop_column('reset_at')

    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activation_codes_person_id'))

    op.drop_table('activation_codes')
