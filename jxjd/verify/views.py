"""Verification views."""

from jxjd.verify import bp  # noqa: F401
