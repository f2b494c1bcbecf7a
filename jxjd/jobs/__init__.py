"""Background jobs on RQ (the rate limits' Redis): large uploads answered 202 + a job to follow."""

from flask import Blueprint

bp = Blueprint("jobs", __name__)
