"""TO BE WRITTEN: the search blueprint."""

from flask import Blueprint, Flask

bp = Blueprint("search", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
