"""The registry of continuing-education bases (CONTRACT §3)."""

from flask import Blueprint

bp = Blueprint("bases", __name__)
