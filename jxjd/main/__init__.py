"""The home page, health check and the public landing pages."""

from flask import Blueprint

bp = Blueprint("main", __name__)
