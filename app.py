"""``flask run`` entry point: the routeplanner web service on its defaults."""

from routeplanner.web import create_app

app = create_app()
