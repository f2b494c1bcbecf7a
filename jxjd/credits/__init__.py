"""Credits from other sources (学时认定, CONTRACT §14): entered, claimed, reviewed, counted."""

from flask import Blueprint

bp = Blueprint("credits", __name__)
