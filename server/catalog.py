"""TO BE WRITTEN: the catalog blueprint."""

from flask import Blueprint, Flask

bp = Blueprint("catalog", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
