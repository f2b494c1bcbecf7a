"""Base applications (申请表), recognition, the public directory, change filing (CONTRACT §10)."""

from flask import Blueprint

bp = Blueprint("applications", __name__)
