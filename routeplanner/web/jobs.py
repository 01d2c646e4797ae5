"""Background solves (placeholder until the runner lands)."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass
