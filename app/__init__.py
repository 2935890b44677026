"""Conduit: the RealWorld blogging platform, as a Flask application."""

from __future__ import annotations

from flask_openapi3 import Info, OpenAPI

from app.api import register_api
from app.api.common import SECURITY_SCHEMES
from app.api.requests import ConduitRequest, SafeJSONProvider
from app.commands import init_commands
from app.errors import (
    LastResortMiddleware,
    register_error_handlers,
    validation_error_response,
)
from app.extensions import db, init_extensions, limiter
from app.health import bp as health_bp
from app.jobs import init_jobs
from app.mail import init_mail
from app.metrics import init_metrics
from app.observability import RequestIdMiddleware, configure_logging, register_access_log
from app.schemas.common import ErrorBody
from app.security import init_security
from app.web import register_web
from config import Config

API_VERSION = "1.0.0"


def create_app(config_class: type[Config] = Config) -> OpenAPI:
    """Build a Conduit app configured by `config_class` (read from the environment)."""
    app = OpenAPI(
        __name__,
        info=Info(
            title="Conduit API",
            version=API_VERSION,
            description=(
                "The RealWorld (Conduit) API: users, profiles, articles, comments, tags. "
                "Every path also answers with a trailing slash (`/api/articles/`), "
                "exactly as without it and without a redirect."
            ),
        ),
        security_schemes=SECURITY_SCHEMES,
        doc_prefix="/api/docs",
        doc_url="/openapi.json",
        validation_error_callback=validation_error_response,
        # flask-openapi3 documents a 422 of its own error model on every operation
        # that documents no response for this status. Every operation documents its
        # 429 (app/api/common.py), and 422 where it can answer it, with the API's body.
        validation_error_status=429,
        validation_error_model=ErrorBody,
    )
    app.request_class = ConduitRequest
    app.json = SafeJSONProvider(app)
    # No URL is redirected for its doubled slashes (Werkzeug's default): an API
    # client, or a CORS preflight, would get an HTML 308 rather than the JSON 404
    # of a URL that is not the API's. (Werkzeug also stops merging in the matcher,
    # for the routes added before this line too.)
    app.url_map.merge_slashes = False

    config = config_class()
    config.check(debug=app.debug)
    app.config.from_object(config)

    access_log = configure_logging(
        json_lines=app.config["LOG_FORMAT"] == "json", level=app.config["LOG_LEVEL"]
    )
    init_extensions(app)
    register_access_log(app, access_log)
    init_mail(app)
    with app.app_context():
        init_metrics(app, db.engine)
    # Inside the middlewares that add headers, so that its answers carry them too.
    app.wsgi_app = LastResortMiddleware(app.wsgi_app)
    init_security(app)
    register_api(app)
    register_web(app)
    app.register_blueprint(health_bp)
    # Probes must never be turned away.
    limiter.exempt(health_bp)
    register_error_handlers(app)
    # After the blueprints: every job is known once their modules are imported.
    init_jobs(app)
    init_commands(app)
    # Outermost, so that every response carries the id, whatever produced it.
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)

    return app
