"""HTML pages (placeholder until they land)."""

from flask import Blueprint

bp = Blueprint("pages", __name__)
