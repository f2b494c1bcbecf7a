"""Archive views."""

from jxjd.archive import bp  # noqa: F401
