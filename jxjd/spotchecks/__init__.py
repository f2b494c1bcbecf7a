"""Random spot checks of sessions (第二十一条 不定期抽查), reproducible from the stored seed."""

from flask import Blueprint

bp = Blueprint("spotchecks", __name__)
