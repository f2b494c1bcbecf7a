"""Credits from other sources (学时认定, CONTRACT §14): entered, claimed, reviewed, counted."""

from flask import Blueprint

bp = Blueprint("credits", __name__)


@bp.record_once
def _join_the_daily_cap(_state) -> None:
    """Approved credits count in the roster uploads' daily cap (credits.daily)."""
    from jxjd.credits.daily import register

    register()
