"""The public directory of provincial bases and of units under public notice (第九条, 第三十一条)."""

from flask import Blueprint

bp = Blueprint("directory", __name__)
