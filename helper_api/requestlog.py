"""One JSON log line per request, and the X-Request-ID that ties it to the caller's logs."""

from __future__ import annotations

import re
import time
import uuid

from flask import Flask, Response, current_app, g, request
from loguru import logger

from helper_api.extensions import current_guard

# Only ids that cannot forge a log line or smuggle data are echoed; anything else gets a fresh id.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# What a log line may say about the request itself: a client chooses the method and the path, and one
# that pastes its token there must not see it written down. Anything else is logged as OTHER_*.
LOGGED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
OTHER_METHOD = "(other)"
OTHER_PATH = "(unknown)"


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)


def add_log_fields(**fields: object) -> None:
    """Attach fields (counts, error codes: never secrets) to this request's log line."""
    g.setdefault("log_fields", {}).update(fields)


def _start() -> None:
    g.started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    safe = REQUEST_ID.fullmatch(incoming) and not current_guard().is_token(incoming)
    g.request_id = incoming if safe else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-Request-ID"] = request_id
    started = g.get("started", time.perf_counter())
    method = loggable_method(request.method)
    fields = {
        "event": "request",
        "method": method,
        "path": _loggable_path(),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        "request_id": request_id,
        **g.get("log_fields", {}),
    }
    level = "ERROR" if response.status_code >= 500 else "INFO"
    logger.bind(**fields).log(level, f"{method} {fields['path']} {response.status_code}")
    return response


def loggable_method(method: str) -> str:
    return method if method in LOGGED_METHODS else OTHER_METHOD


def _loggable_path() -> str:
    """The route as declared, a declared route's path (a 405), else OTHER_PATH: never what the client typed."""
    if request.url_rule is not None:
        return request.url_rule.rule
    declared = {rule.rule for rule in current_app.url_map.iter_rules()}
    return request.path if request.path in declared else OTHER_PATH
