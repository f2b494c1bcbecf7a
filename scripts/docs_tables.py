#!/usr/bin/env python3
"""Write the generated tables into the documentation, or check that they are current.

README.md "Roles and what each does" and docs/architecture.md's policy and state tables come
from the code (jxjd/access.py POLICY, jxjd/states.py MACHINES): edit the code, then run

    .venv/bin/python scripts/docs_tables.py          # rewrite the tables
    .venv/bin/python scripts/docs_tables.py --check  # exit 1 when a table is out of date

tests/foundation/test_docs_tables.py fails while a table differs from the code.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (file, block name) → what goes between <!-- BEGIN name --> and <!-- END name -->.
BLOCKS = (
    ("README.md", "roles"),
    ("docs/architecture.md", "policy"),
    ("docs/architecture.md", "states"),
)


def generated() -> dict[str, str]:
    """The blocks as the code defines them (the app is built so every machine is registered)."""
    from jxjd import access, states

    if not states.MACHINES:  # outside an app: import the features as create_app does
        from jxjd import create_app

        folder = tempfile.mkdtemp()
        create_app(
            {
                "TESTING_CONFIG": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/docs.sqlite3",
                "JXJD_KEY_DIR": f"{folder}/keys",
            }
        )
    return {
        "roles": access.roles_markdown(),
        "policy": access.policy_markdown(),
        "states": states.tables_markdown(),
    }


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- BEGIN {name} [^\n]*-->\n)(.*?)\n?(<!-- END {name} -->)", re.S)


def current(root: Path = ROOT) -> dict[str, str]:
    """The blocks as the documentation holds them now."""
    found = {}
    for filename, name in BLOCKS:
        match = _pattern(name).search((root / filename).read_text("utf-8"))
        found[name] = match.group(2) if match else ""
    return found


def write(root: Path = ROOT) -> None:
    """Rewrite every block with what the code says."""
    blocks = generated()
    for filename, name in BLOCKS:
        path = root / filename
        text = path.read_text("utf-8")
        block = blocks[name]
        text, count = _pattern(name).subn(
            lambda m, b=block: m.group(1) + b + "\n" + m.group(3), text
        )
        if count != 1:
            raise SystemExit(f"{filename}: no block {name}")
        path.write_text(text, "utf-8")


if __name__ == "__main__":
    if "--check" in sys.argv:
        stale = [name for name, text in generated().items() if current()[name] != text]
        if stale:
            raise SystemExit(f"out of date: {', '.join(stale)} (run scripts/docs_tables.py)")
    else:
        write()
