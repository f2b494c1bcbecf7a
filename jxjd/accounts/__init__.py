"""API tokens and web accounts, both carrying a role and its scope."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
