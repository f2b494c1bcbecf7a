"""The migration moves free-text 主管部门 values into the departments table (ISSUE11 item 7)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa

from jxjd.extensions import db

MIGRATION = Path(__file__).parents[2] / "migrations/versions/20261130_console_departments.py"


def _migration():
    spec = importlib.util.spec_from_file_location("console_departments", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_short_forms_match_only_the_one_full_name_they_can_stand_for():
    m = _migration()
    names = {name for _, name in m.STANDARD}
    assert m.matched_name("湖南省教育厅", names) == "湖南省教育厅"
    assert m.matched_name("省教育厅", names) == "湖南省教育厅"
    assert m.matched_name("教育厅", names) == "湖南省教育厅"
    assert m.matched_name("省卫健委", names) == "湖南省卫生健康委员会"
    assert m.matched_name("长沙市人社局", names) == "长沙市人力资源和社会保障局"
    assert m.matched_name("人社局", names) is None  # fourteen cities: ambiguous
    assert m.matched_name("某某行业协会", names) is None


def _insert_base(conn, name: str, code: str, department: str) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO bases (name, credit_code, department, address, status, contact_name,"
            " contact_phone, contact_email, created_at) VALUES (:n, :c, :d, '', 'recognized',"
            " '', '', '', '2026-01-01 00:00:00')"
        ),
        {"n": name, "c": code, "d": department},
    )


def test_existing_values_are_migrated_and_referenced_by_id(app, tmp_path):
    from flask_migrate import downgrade, upgrade

    from jxjd import create_app

    fresh = create_app(
        {
            "TESTING_CONFIG": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/d.db",
            "JXJD_KEY_DIR": str(tmp_path / "k"),
        }
    )
    with fresh.app_context():
        try:
            upgrade(revision="7c2e4b9d1f30")
            with db.engine.begin() as conn:
                _insert_base(conn, "甲", "A1", "湖南省教育厅")
                _insert_base(conn, "乙", "A2", "省教育厅")
                _insert_base(conn, "丙", "A3", " 某某行业协会 ")
                conn.execute(
                    sa.text(
                        "INSERT INTO api_tokens (token_hash, prefix, role, name, department, created_at, expires_at)"
                        " VALUES ('h1', 'p1', 'dept', '教育厅', '省教育厅', '2026-01-01 00:00:00', '2027-01-01 00:00:00')"
                    )
                )
            upgrade()
            with db.engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "SELECT b.name, d.name, d.code FROM bases b"
                        " JOIN departments d ON d.id = b.department_id ORDER BY b.id"
                    )
                ).all()
                token = conn.execute(sa.text("SELECT department FROM api_tokens")).scalar_one()
            assert [tuple(r) for r in rows] == [
                ("甲", "湖南省教育厅", "hn-edu"),
                ("乙", "湖南省教育厅", "hn-edu"),
                ("丙", "某某行业协会", "d001"),
            ]
            assert token == "湖南省教育厅"
            downgrade(revision="7c2e4b9d1f30")
            with db.engine.connect() as conn:
                back = conn.execute(sa.text("SELECT department FROM bases ORDER BY id")).scalars()
                assert list(back) == ["湖南省教育厅", "湖南省教育厅", "某某行业协会"]
        finally:
            db.session.remove()
            db.engine.dispose()
