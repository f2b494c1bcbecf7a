"""Per-person credit archive, employer grants, registration entries (CONTRACT §8)."""

from flask import Blueprint

bp = Blueprint("archive", __name__)
