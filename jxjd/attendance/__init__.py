"""Attendance uploads after each class (CONTRACT §6)."""

from flask import Blueprint

bp = Blueprint("attendance", __name__)
