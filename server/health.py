"""`GET /health`: 200 once the app serves and its store answers, 503 otherwise."""

from flask import Blueprint, Flask, jsonify

from server.backend import get_store
from store import StoreError

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    try:
        next(iter(get_store().named_graphs()), None)
    except StoreError as exc:
        return jsonify(status="unavailable", reason=str(exc)), 503, {"Retry-After": "10"}
    return jsonify(status="ok")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
