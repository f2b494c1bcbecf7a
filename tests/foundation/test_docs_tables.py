"""The documentation's tables are the code's: roles (README), policy and states (architecture)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "docs_tables.py"


@pytest.fixture(scope="module")
def docs_tables(app):
    spec = importlib.util.spec_from_file_location("docs_tables", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["roles", "policy", "states"])
def test_the_table_in_the_documentation_is_generated_from_the_code(docs_tables, name):
    assert docs_tables.current()[name] == docs_tables.generated()[name], (
        f"the {name} table is out of date: run .venv/bin/python scripts/docs_tables.py"
    )
