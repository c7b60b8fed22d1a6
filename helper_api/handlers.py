"""The one error handler: every failure becomes ApiError and a JSON body, never HTML or a stack trace."""

from __future__ import annotations

import psycopg2
from flask import Flask, Response, jsonify, request
from loguru import logger
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from helper_api.errors import ApiError
from helper_api.limits import MAX_BATCH, MAX_BODY_BYTES
from helper_api.requestlog import add_log_fields

DATABASE_RETRY_AFTER_S = 5
_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


def init_app(app: Flask) -> None:
    app.register_error_handler(Exception, handle_error)


def handle_error(exc: Exception) -> Response | HTTPException:
    if isinstance(exc, HTTPException) and exc.code is not None and exc.code < 400:
        return exc  # routing redirects stay redirects
    error = as_api_error(exc)
    add_log_fields(error=error.code)
    response = jsonify(error.to_dict())
    response.status_code = error.status_code
    response.headers.update(error.headers)
    return response


def as_api_error(exc: Exception) -> ApiError:
    """What the caller is told about this failure; unexpected ones are logged with their traceback."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, HTTPException):
        return _from_http_exception(exc)
    if isinstance(exc, psycopg2.Error):
        # The class and SQLSTATE say enough; the message could quote a value.
        logger.bind(event="database_error", error_class=type(exc).__name__, sqlstate=exc.pgcode).warning(
            "the credentials store did not answer"
        )
        return ApiError(
            503,
            "database_unavailable",
            "the credentials store did not answer; retry later",
            {"Retry-After": str(DATABASE_RETRY_AFTER_S)},
        )
    logger.opt(exception=exc).bind(event="unexpected_error").error("unexpected error while answering")
    return ApiError(500, "internal_error", "the helper failed unexpectedly; quote the X-Request-ID when reporting it")


def _from_http_exception(exc: HTTPException) -> ApiError:
    code = exc.code or 500
    slug = _HTTP_CODES.get(code, (exc.name or "error").lower().replace(" ", "_"))
    if code == 404:
        return ApiError(404, slug, f"no endpoint at {request.path}; the endpoints are listed at /openapi.json")
    if code == 405:
        allow = ", ".join(exc.valid_methods or []) if isinstance(exc, MethodNotAllowed) else ""
        return ApiError(405, slug, f"{request.method} is not allowed here (allowed: {allow})", {"Allow": allow})
    if code == 413:
        return ApiError(
            413,
            slug,
            f"the body is larger than {MAX_BODY_BYTES // 1024} KiB; send at most {MAX_BATCH} emails "
            "per batch, or fewer if they are long",
        )
    return ApiError(code, slug, exc.description or exc.name or "request refused")
