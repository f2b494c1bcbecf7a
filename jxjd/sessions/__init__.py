"""Training sessions (培训班次), checked against scope and the filed plan (CONTRACT §5)."""

from flask import Blueprint

bp = Blueprint("sessions", __name__)
