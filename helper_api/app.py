"""The Flask app factory. gunicorn serves the app it builds (helper_api.wsgi): `make helper` starts it."""

from __future__ import annotations

# Before any other import, so that it works with any Python: `python helper_api/app.py` is how the old
# app.py was started, and this module serves nothing.
if __name__ == "__main__":
    import sys

    print(
        "helper_api/app.py only builds the app; it does not serve it. Start the helper API with:\n"
        "  make helper\n"
        "or, from the repository's root:\n"
        "  .venv/bin/gunicorn -c helper_api/gunicorn.conf.py helper_api.wsgi:app\n"
        "It needs HELPER_DATABASE_URL and HELPER_API_TOKENS (in the environment or .env), and the job needs\n"
        "one of those tokens in HELPER_API_TOKEN. See docs/helper-api.md.",
        file=sys.stderr,
    )
    sys.exit(2)

from flask import Flask
from loguru import logger

from helper_api import db, handlers, health, lookups, openapi, requestlog
from helper_api.auth import Guard
from helper_api.extensions import attach
from helper_api.limits import MAX_BODY_BYTES
from helper_api.logs import configure_logging
from helper_api.migrations import migrate
from helper_api.ratelimit import TokenBuckets
from helper_api.settings import Settings, load_settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the helper API.

    Without ``settings`` they are read from the environment and `.env` (ConfigurationError names any
    missing one). With ``auto_migrate`` the schema is brought up to date first (StoreUnavailable when
    the database cannot be reached). No database connection is kept open: each worker process opens
    its own pool on first use.
    """
    settings = settings if settings is not None else load_settings(Settings)
    configure_logging(settings.log_level)
    if settings.auto_migrate:
        applied = migrate(settings)
        if applied:
            logger.bind(event="migrated", schema=settings.db_schema, versions=[m.version for m in applied]).info(
                f"schema {settings.db_schema} migrated"
            )
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    guard = Guard(
        settings.tokens(), TokenBuckets(settings.rate_limit_per_minute), TokenBuckets(settings.auth_failures_per_minute)
    )
    attach(app, settings, guard)
    db.init_app(app, settings, size=settings.db_pool_size)
    requestlog.init_app(app)
    handlers.init_app(app)
    for blueprint in (health.bp, lookups.bp, openapi.bp):
        app.register_blueprint(blueprint)
    return app
