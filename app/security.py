"""Security headers on every response, CORS for the API, and proxy awareness."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

# The web UI runs no inline script and loads nothing from elsewhere; avatars are
# the one thing users point at other hosts.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: http: data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
# The interactive API docs (Swagger UI) start themselves with an inline script.
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'", "script-src 'self' 'unsafe-inline'"
).replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_PREFIX = "/api/docs"
HSTS = "max-age=31536000; includeSubDomains"


def _add_security_headers(response: Response) -> Response:
    headers = response.headers
    docs = request.path == DOCS_PREFIX or request.path.startswith(DOCS_PREFIX + "/")
    headers.setdefault(
        "Content-Security-Policy", DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def _vary_on_origin(response: Response) -> Response:
    # With one allowed origin flask-cors sends no `Vary: Origin`; a shared cache
    # could then serve a response made for another origin (or none) to a browser.
    if request.path.startswith("/api/"):
        response.vary.add("Origin")
    return response


def _add_hsts(response: Response) -> Response:
    response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_security(app: Flask) -> None:
    """Headers on every response (JSON errors included), CORS on /api only, ProxyFix."""
    app.after_request(_add_security_headers)
    if app.config["CORS_ORIGINS"]:
        app.after_request(_vary_on_origin)
    if not app.debug and not app.testing:
        app.after_request(_add_hsts)
    CORS(
        app,
        # "/api/.*", not "/api/*": that regex also matches /apiary, /api-docs, ...
        resources={r"/api/.*": {"origins": app.config["CORS_ORIGINS"]}},
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After"],
        methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        max_age=600,
        supports_credentials=False,
    )
    proxies = app.config["PROXY_FIX_X_FOR"]
    if proxies:
        # Trust exactly this many proxies in front of the app, never more: a client
        # could otherwise choose its own address (and so its rate-limit bucket).
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
