"""Trainees' ratings of the sessions they attended (第二十条 效果评估)."""

from flask import Blueprint

bp = Blueprint("feedback", __name__)
