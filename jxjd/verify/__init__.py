"""Public certificate verification: API, phone page, rate limiting (CONTRACT §7)."""

from flask import Blueprint

bp = Blueprint("verify", __name__)
