"""perfdata: person_year_tallies (a person's counted hours at every base in a year), backfilled;
no foreign keys on the tallies

The province report's distinct trained people were a count(DISTINCT person_id) over every
base's person tallies of the year (seconds at 10M records); now a count over one partial index.
The tallies are derived from records whose own keys are checked: their per-row foreign-key
checks doubled the cost of an upload's tally upserts on PostgreSQL, so they go.

Revision ID: 7a2e9d4c1b60
Revises: c0rr3c7e1551
Create Date: 2026-11-30 22:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7a2e9d4c1b60"
down_revision = "c0rr3c7e1551"
branch_labels = None
depends_on = None

base_person = sa.table(
    "base_person_year_tallies",
    sa.column("base_id", sa.Integer),
    sa.column("year", sa.Integer),
    sa.column("person_id", sa.Integer),
    sa.column("counted_hours", sa.Numeric(14, 1)),
)
person_year = sa.table(
    "person_year_tallies",
    sa.column("person_id", sa.Integer),
    sa.column("year", sa.Integer),
    sa.column("counted_hours", sa.Numeric(14, 1)),
)
TRAINED = sa.text("counted_hours > 0")


def upgrade():
    op.create_table(
        "person_year_tallies",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("counted_hours", sa.Numeric(precision=14, scale=1), nullable=False),
        sa.PrimaryKeyConstraint("person_id", "year", name=op.f("pk_person_year_tallies")),
    )
    _backfill()
    with op.batch_alter_table("person_year_tallies", schema=None) as batch_op:
        batch_op.create_index(
            "ix_person_year_tallies_trained",
            ["year"],
            unique=False,
            sqlite_where=TRAINED,
            postgresql_where=TRAINED,
        )
    with op.batch_alter_table("base_person_year_tallies", schema=None) as batch_op:
        batch_op.drop_constraint("fk_base_person_year_tallies_base_id_bases", type_="foreignkey")
        batch_op.drop_constraint(
            "fk_base_person_year_tallies_person_id_people", type_="foreignkey"
        )
    with op.batch_alter_table("base_year_tallies", schema=None) as batch_op:
        batch_op.drop_constraint("fk_base_year_tallies_base_id_bases", type_="foreignkey")


def _backfill():
    """Set-based, from the base tallies: each person's year summed over the bases."""
    p = base_person.c
    op.execute(
        person_year.insert().from_select(
            ["person_id", "year", "counted_hours"],
            sa.select(p.person_id, p.year, sa.func.sum(p.counted_hours)).group_by(
                p.person_id, p.year
            ),
        )
    )


def downgrade():
    with op.batch_alter_table("base_year_tallies", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_base_year_tallies_base_id_bases", "bases", ["base_id"], ["id"]
        )
    with op.batch_alter_table("base_person_year_tallies", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_base_person_year_tallies_base_id_bases", "bases", ["base_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_base_person_year_tallies_person_id_people", "people", ["person_id"], ["id"]
        )
    with op.batch_alter_table("person_year_tallies", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_person_year_tallies_trained", sqlite_where=TRAINED, postgresql_where=TRAINED
        )
    op.drop_table("person_year_tallies")
