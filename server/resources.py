"""TO BE WRITTEN: the resources blueprint."""

from flask import Blueprint, Flask

bp = Blueprint("resources", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
