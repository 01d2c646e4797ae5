"""JSON API (placeholder until it lands)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")
