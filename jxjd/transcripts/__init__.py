"""学时认定单: signed statements of a person's hours per year over a span (CONTRACT §13)."""

from flask import Blueprint

bp = Blueprint("transcripts", __name__)
