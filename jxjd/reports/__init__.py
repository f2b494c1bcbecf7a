"""Yearly base reports (第十九条, 第二十一条; CONTRACT §9) and the province-wide view."""

from flask import Blueprint

bp = Blueprint("reports", __name__)
