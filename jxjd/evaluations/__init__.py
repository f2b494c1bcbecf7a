"""The three-yearly evaluation of bases (第二十一条) and its outcomes (第二十二条, 第二十三条)."""

from flask import Blueprint

bp = Blueprint("evaluations", __name__)
