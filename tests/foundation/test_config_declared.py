"""Every configuration variable the code reads is declared in Config and in the README table."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from jxjd.config import Config

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"\bJXJD_[A-Z0-9_]*[A-Z0-9]\b")
ENV_READ = re.compile(r"""os\.environ(?:\.get\(|\[)\s*["'](\w+)["']""")


def _environment_names() -> set[str]:
    """The variables Config and gunicorn.conf.py read (TestConfig's are the test suite's own)."""
    gunicorn_conf = (ROOT / "gunicorn.conf.py").read_text(encoding="utf-8")
    return set(ENV_READ.findall(inspect.getsource(Config))) | set(ENV_READ.findall(gunicorn_conf))


def _readme_table() -> set[str]:
    """The variables named in the first column of the README's configuration table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`(\w+)`", line.split("|")[1]))
    return names


def test_every_jxjd_name_read_in_the_code_is_declared_in_config():
    declared = {name for name in vars(Config) if name.isupper()} | _environment_names()
    read = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "jxjd").rglob("*.py")
        if path.name != "config.py"
        for name in NAME.findall(path.read_text(encoding="utf-8"))
        if name not in declared
    }
    assert read == set()


def test_every_environment_variable_is_in_the_readme_table():
    assert _environment_names() - _readme_table() == set()
    assert _readme_table() - _environment_names() == set()  # and the table lists nothing else


def test_every_jxjd_setting_is_read_from_the_environment_of_the_same_name():
    environment = _environment_names()
    settings = {name for name in vars(Config) if name.startswith("JXJD_")}
    assert settings - environment == set()
    assert "JXJD_VERIFY_CACHE_SIZE" in settings
