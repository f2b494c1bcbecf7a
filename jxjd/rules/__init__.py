"""Yearly rules as data: hour thresholds, the daily cap, minimum trainees, review spans."""

from flask import Blueprint

bp = Blueprint("rules", __name__)
