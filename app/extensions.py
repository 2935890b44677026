"""Extension objects, created unbound; `create_app` binds them to an app."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from flask_caching import Cache
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event

from app.database import RequestSession, close_sessions_quietly, configure_engine
from app.library_seams import bind_limiter_afresh
from app.models.base import Base
from app.services.passwords import PasswordHasher

# Objects stay readable after commit: a use case commits once, then builds its
# response from what it wrote, without reloading it.
# Safe-method requests read on autocommit connections (see app/database.py).
db = SQLAlchemy(
    model_class=Base, session_options={"class_": RequestSession, "expire_on_commit": False}
)
migrate = Migrate(render_as_batch=True, compare_type=True)
jwt = JWTManager()
login_manager = LoginManager()
csrf = CSRFProtect()
cache = Cache()


def client_address() -> str:
    """Who a rate limit counts: the client's address (as ProxyFix, if set up, reports it)."""
    return request.remote_addr or "unknown"


def default_limit() -> str:
    """The limit of every route without one of its own (RATELIMIT_DEFAULT of the app at hand)."""
    limit: str = current_app.config["RATELIMIT_DEFAULT"]
    return limit


# Limits, storage and fallback come from the RATELIMIT_* settings (see config.py).
limiter = Limiter(key_func=client_address, default_limits=[default_limit])
passwords = PasswordHasher()


def _enforce_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def init_extensions(app: Flask) -> None:
    """Bind every extension to `app`."""
    db.init_app(app)
    close_sessions_quietly(app, db.session)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _enforce_sqlite_foreign_keys)
        elif db.engine.dialect.name == "postgresql":
            configure_engine(app, db.engine)
    migrate.init_app(app, db)
    jwt.init_app(app)
    csrf.init_app(app)
    cache.init_app(app)
    bind_limiter_afresh(limiter, app)
    passwords.init_app(app)
