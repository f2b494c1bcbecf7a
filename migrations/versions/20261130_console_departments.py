"""departments as data: a departments table that bases and applications refer to by id

Existing free-text 主管部门 values are moved into it: the standard catalogue is seeded, every
exact name becomes (or finds) its department, and a short form such as 省教育厅 or 省卫健委 is
matched to the one full name it can stand for; a value matching none or several becomes a
department of its own. Department strings of dept tokens and accounts are rewritten the same way.

Revision ID: d3e7a1c5b9f2
Revises: 7c2e4b9d1f30
Create Date: 2026-11-30 15:20:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd3e7a1c5b9f2'
down_revision = '3f8a1c6d2e57'
branch_labels = None
depends_on = None

# The catalogue as of this revision (jxjd/departments/catalogue.py may grow later).
STANDARD = (
    ("hn-edu", "湖南省教育厅"),
    ("hn-sci", "湖南省科学技术厅"),
    ("hn-industry", "湖南省工业和信息化厅"),
    ("hn-finance", "湖南省财政厅"),
    ("hn-hrss", "湖南省人力资源和社会保障厅"),
    ("hn-nature", "湖南省自然资源厅"),
    ("hn-ecology", "湖南省生态环境厅"),
    ("hn-housing", "湖南省住房和城乡建设厅"),
    ("hn-transport", "湖南省交通运输厅"),
    ("hn-water", "湖南省水利厅"),
    ("hn-agri", "湖南省农业农村厅"),
    ("hn-commerce", "湖南省商务厅"),
    ("hn-culture", "湖南省文化和旅游厅"),
    ("hn-health", "湖南省卫生健康委员会"),
    ("hn-emergency", "湖南省应急管理厅"),
    ("hn-market", "湖南省市场监督管理局"),
    ("cs-hrss", "长沙市人力资源和社会保障局"),
    ("zz-hrss", "株洲市人力资源和社会保障局"),
    ("xt-hrss", "湘潭市人力资源和社会保障局"),
    ("hy-hrss", "衡阳市人力资源和社会保障局"),
    ("sy-hrss", "邵阳市人力资源和社会保障局"),
    ("yy-hrss", "岳阳市人力资源和社会保障局"),
    ("cd-hrss", "常德市人力资源和社会保障局"),
    ("zjj-hrss", "张家界市人力资源和社会保障局"),
    ("yiy-hrss", "益阳市人力资源和社会保障局"),
    ("cz-hrss", "郴州市人力资源和社会保障局"),
    ("yz-hrss", "永州市人力资源和社会保障局"),
    ("hh-hrss", "怀化市人力资源和社会保障局"),
    ("ld-hrss", "娄底市人力资源和社会保障局"),
    ("xx-hrss", "湘西土家族苗族自治州人力资源和社会保障局"),
)
# Common abbreviations, expanded before matching a short form against the full names.
ABBREVIATIONS = (
    ("卫健委", "卫生健康委员会"),
    ("住建厅", "住房和城乡建设厅"),
    ("人社厅", "人力资源和社会保障厅"),
    ("人社局", "人力资源和社会保障局"),
    ("工信厅", "工业和信息化厅"),
    ("科技厅", "科学技术厅"),
    ("交通厅", "交通运输厅"),
    ("农业厅", "农业农村厅"),
    ("文旅厅", "文化和旅游厅"),
    ("市监局", "市场监督管理局"),
)

departments = sa.table(
    'departments',
    sa.column('id', sa.Integer), sa.column('code', sa.String), sa.column('name', sa.String),
    sa.column('active', sa.Boolean), sa.column('created_at', sa.DateTime(timezone=True)),
)


def _expanded(value):
    for short, full in ABBREVIATIONS:
        value = value.replace(short, full)
    return value


def matched_name(value, names):
    """The full name `value` stands for: itself, or the one name it is a short form of."""
    if value in names:
        return value
    expanded = _expanded(value)
    if expanded in names:
        return expanded
    if expanded.startswith("省"):
        expanded = "湖南" + expanded
    candidates = [n for n in names if len(expanded) >= 3 and n.endswith(expanded)]
    return candidates[0] if len(candidates) == 1 else None


def _distinct(bind, table):
    rows = bind.execute(sa.text(f"SELECT DISTINCT department FROM {table} WHERE department IS NOT NULL"))
    return {(r[0] or "").strip() for r in rows} - {""}


def _seed(bind):
    """The catalogue plus every value in use; {typed value: department id}."""
    now = datetime.now(timezone.utc)
    bind.execute(sa.insert(departments), [
        {"code": code, "name": name, "active": True, "created_at": now} for code, name in STANDARD
    ])
    typed = set()
    for table in ("bases", "applications", "api_tokens", "accounts"):
        typed |= _distinct(bind, table)
    names = {name for _, name in STANDARD}
    mapping, extra = {}, 0
    for value in sorted(typed):
        target = matched_name(value, names)
        if target is None:
            extra += 1
            bind.execute(sa.insert(departments).values(
                code=f"d{extra:03d}", name=value, active=True, created_at=now))
            target = value
        mapping[value] = target
    ids = dict(bind.execute(sa.select(departments.c.name, departments.c.id)).all())
    return {value: ids[name] for value, name in mapping.items()}, mapping


def _point(bind, table, mapping):
    for value, dept_id in mapping.items():
        bind.execute(
            sa.text(f"UPDATE {table} SET department_id = :d WHERE TRIM(department) = :v"),
            {"d": dept_id, "v": value},
        )


def upgrade():
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('code', name=op.f('uq_departments_code')),
    sa.UniqueConstraint('name', name=op.f('uq_departments_name'))
    )
    bind = op.get_bind()
    ids, names = _seed(bind)
    for table in ("bases", "applications"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        _point(bind, table, ids)
    for table in ("api_tokens", "accounts"):
        for value, name in names.items():
            bind.execute(
                sa.text(f"UPDATE {table} SET department = :n WHERE TRIM(department) = :v"),
                {"n": name, "v": value},
            )
    with op.batch_alter_table('bases', schema=None) as batch_op:
        batch_op.alter_column('department_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index('ix_bases_department')
        batch_op.drop_column('department')
        batch_op.create_index(batch_op.f('ix_bases_department_id'), ['department_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_bases_department_id_departments'), 'departments', ['department_id'], ['id'])
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_department')
        batch_op.drop_column('department')
        batch_op.create_index(batch_op.f('ix_applications_department_id'), ['department_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_applications_department_id_departments'), 'departments', ['department_id'], ['id'])


def downgrade():
    bind = op.get_bind()
    for table, default in (("bases", None), ("applications", "")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('department', sa.String(length=200), nullable=True))
        bind.execute(sa.text(
            f"UPDATE {table} SET department = (SELECT name FROM departments"
            f" WHERE departments.id = {table}.department_id)"
        ))
        bind.execute(sa.text(f"UPDATE {table} SET department = '' WHERE department IS NULL"))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_department_id_departments'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_department_id'))
            batch_op.drop_column('department_id')
            batch_op.alter_column('department', existing_type=sa.String(length=200), nullable=False)
            batch_op.create_index(f'ix_{table}_department', ['department'], unique=False)
    op.drop_table('departments')
