"""Security headers on every response, no caching of personal ones, CORS for the API, and
proxy awareness."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
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

PERSONAL_ATTRIBUTE = "conduit_personal"

F = TypeVar("F", bound=Callable[..., Any])
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class SecurityHeadersMiddleware:
    """Add the security headers to every response the app sends, unless it set its own.

    Done on the WSGI header list rather than in an `after_request` hook: Werkzeug's
    header object looks names up one by one, and these headers (set, then copied
    into the WSGI list) cost a tenth of a cached request's time that way.
    """

    def __init__(self, app: WSGIApp, *, hsts: bool) -> None:
        self.app = app
        extra = [("Strict-Transport-Security", HSTS)] if hsts else []
        self._headers = _with_lower_names([*_headers(CONTENT_SECURITY_POLICY), *extra])
        self._docs_headers = _with_lower_names([*_headers(DOCS_CONTENT_SECURITY_POLICY), *extra])

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        docs = path == DOCS_PREFIX or path.startswith(DOCS_PREFIX + "/")
        wanted = self._docs_headers if docs else self._headers

        def start_with_security_headers(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            present = {name.lower() for name, _value in headers}
            missing = [header for lower, header in wanted if lower not in present]
            return start_response(status, [*headers, *missing], exc_info)

        return self.app(environ, start_with_security_headers)


def _headers(content_security_policy: str) -> list[tuple[str, str]]:
    return [
        ("Content-Security-Policy", content_security_policy),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]


def _with_lower_names(headers: list[tuple[str, str]]) -> tuple[tuple[str, tuple[str, str]], ...]:
    return tuple((name.lower(), (name, value)) for name, value in headers)


def _vary_on_origin(response: Response) -> Response:
    # With one allowed origin flask-cors sends no `Vary: Origin`; a shared cache
    # could then serve a response made for another origin (or none) to a browser.
    if request.path.startswith("/api/"):
        response.vary.add("Origin")
    return response


def personal(view: F) -> F:
    """Mark a view whose responses carry a token or an account's data, whoever asks."""
    setattr(view, PERSONAL_ATTRIBUTE, True)
    return view


def _is_personal() -> bool:
    """Whether the response may hold what only its requester may see."""
    # Set once a token or a web session named the requester (app/api/auth.py, app/web/auth.py).
    if g.get("user_id") is not None:
        return True
    # A token, even one refused, makes an API response the sender's own.
    if request.path.startswith("/api/") and "Authorization" in request.headers:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, PERSONAL_ATTRIBUTE, False))


def _no_store_when_personal(response: Response) -> Response:
    # Neither a proxy nor the browser's cache may keep a token, an account's settings
    # or a signed-in page, to show them to someone else (or after signing out).
    if _is_personal():
        response.headers["Cache-Control"] = "no-store"
    return response


def init_security(app: Flask) -> None:
    """Headers on every response (JSON errors included), CORS on /api only, ProxyFix."""
    app.wsgi_app = SecurityHeadersMiddleware(app.wsgi_app, hsts=not app.debug and not app.testing)
    app.after_request(_no_store_when_personal)
    # Without allowed origins there is nothing to answer: no CORS header, no hook.
    if app.config["CORS_ORIGINS"]:
        app.after_request(_vary_on_origin)
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
