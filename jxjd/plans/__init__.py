"""Annual training plans (年度培训计划): draft, submit, review, file (CONTRACT §4, 第十九条)."""

from flask import Blueprint

bp = Blueprint("plans", __name__)
