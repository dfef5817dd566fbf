"""The Content-Security-Policy of the pages that run JavaScript (YASGUI at /sparql, Swagger UI at /api).

Why: those pages run large vendored bundles (server/static/vendor/); the policy lets them load scripts, styles,
fonts and images from this server only and connect (fetch) to it only, so that neither a bundle nor an injected
string can call another host or run inline script. Vendored files are served by this package, never by a CDN.
"""

from __future__ import annotations

from flask import Response

POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
))


def with_csp(response: Response) -> Response:
    """`response` with the policy (and no MIME sniffing: a script is only run when served as one)."""
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
