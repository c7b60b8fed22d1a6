"""One JSON log line per request, and the X-Request-ID that ties it to the caller's logs."""

from __future__ import annotations

import re
import time
import uuid

from flask import Flask, Response, g, request
from loguru import logger

from helper_api.emails import mask_email

# Only ids that cannot forge a log line or smuggle data are echoed; anything else gets a fresh id.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_EMAIL_LIKE = re.compile(r"[^/@\s]+@[^/\s]+")
MAX_LOGGED_PATH = 200


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)


def add_log_fields(**fields: object) -> None:
    """Attach fields (counts, error codes: never secrets) to this request's log line."""
    g.setdefault("log_fields", {}).update(fields)


def _start() -> None:
    g.started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-Request-ID"] = request_id
    started = g.get("started", time.perf_counter())
    fields = {
        "event": "request",
        "method": request.method,
        "path": _loggable_path(),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        "request_id": request_id,
        **g.get("log_fields", {}),
    }
    level = "ERROR" if response.status_code >= 500 else "INFO"
    logger.bind(**fields).log(level, f"{request.method} {fields['path']} {response.status_code}")
    return response


def _loggable_path() -> str:
    """The route as declared, or for unknown paths the path with anything email-like masked."""
    if request.url_rule is not None:
        return request.url_rule.rule
    masked = _EMAIL_LIKE.sub(lambda match: mask_email(match.group(0)), request.path)
    return masked[:MAX_LOGGED_PATH]
