"""The admin console: departments, reassignments, a department's review history, the 待办 board."""

from flask import Blueprint

bp = Blueprint("console", __name__)
