"""GET /healthz (the process answers) and GET /readyz (its database answers); no token needed."""

from __future__ import annotations

from flask import Blueprint
from psycopg2 import sql

from helper_api.db import connection
from helper_api.extensions import current_settings

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> dict[str, str]:
    """Ready when the credentials table can be read (a database error becomes 503 in the handler)."""
    query = sql.SQL("SELECT 1 FROM {}.credentials LIMIT 1").format(sql.Identifier(current_settings().db_schema))
    with connection().cursor() as cur:
        cur.execute(query)
        cur.fetchall()
    return {"status": "ready"}
