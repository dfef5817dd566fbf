"""TO BE WRITTEN: the sparql blueprint."""

from flask import Blueprint, Flask

bp = Blueprint("sparql", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
