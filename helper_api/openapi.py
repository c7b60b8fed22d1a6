"""GET /openapi.json: the OpenAPI 3 document, written by hand from the same constants the code checks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from helper_api.emails import EMAIL_PATTERN, MAX_EMAIL_LENGTH
from helper_api.limits import MAX_BATCH, MAX_BODY_BYTES
from helper_api.passwords import BCRYPT_HASH

bp = Blueprint("openapi", __name__)

JSON = "application/json"
HASH_PATTERN = f"^{BCRYPT_HASH.pattern}$"


@bp.get("/openapi.json")
def openapi_json() -> dict[str, Any]:
    return document()


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {JSON: {"schema": schema}}}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response = {"description": description, **_json(_ref("schemas", "Error"))}
    if headers:
        response["headers"] = headers
    return response


def _retry_after(description: str) -> dict[str, Any]:
    return {"Retry-After": {"description": description, "required": True, "schema": {"type": "integer"}}}


def _schemas() -> dict[str, Any]:
    email = {
        "type": "string",
        "maxLength": MAX_EMAIL_LENGTH,
        "pattern": EMAIL_PATTERN,
        "description": "ASCII name@domain.tld; surrounding spaces/tabs/newlines are ignored, case does not matter.",
        "example": "ana.souza@example.com",
    }
    return {
        "Email": email,
        "EmailRequest": {
            "type": "object",
            "required": ["email"],
            "additionalProperties": False,
            "properties": {"email": _ref("schemas", "Email")},
        },
        "BatchRequest": {
            "type": "object",
            "required": ["emails"],
            "additionalProperties": False,
            "properties": {
                "emails": {"type": "array", "maxItems": MAX_BATCH, "items": _ref("schemas", "Email")},
            },
        },
        "PasswordResponse": {
            "type": "object",
            "required": ["password"],
            "properties": {"password": {"type": "string", "pattern": HASH_PATTERN, "description": "bcrypt hash"}},
        },
        "PhotoResponse": {
            "type": "object",
            "required": ["url"],
            "properties": {"url": {"type": "string", "pattern": "^https?://"}},
        },
        "LookupResult": {
            "type": "object",
            "required": ["email", "known", "password", "photo_url"],
            "properties": {
                "email": {"type": "string", "description": "The requested email, stripped and lower-cased."},
                "known": {"type": "boolean"},
                "password": {
                    "type": "string",
                    "nullable": True,
                    "pattern": HASH_PATTERN,
                    "description": "bcrypt hash; null when the email is not known.",
                },
                "photo_url": {
                    "type": "string",
                    "pattern": "^https?://",
                    "description": "The stored photo, else the default avatar derived from the email.",
                },
            },
        },
        "BatchResponse": {
            "type": "object",
            "required": ["results"],
            "properties": {"results": {"type": "array", "items": _ref("schemas", "LookupResult")}},
        },
        "Status": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string", "description": "Machine-readable code, e.g. invalid_email."},
                "message": {"type": "string", "description": "What was wrong, for people."},
            },
        },
    }


def _responses() -> dict[str, Any]:
    return {
        "BadRequest": _error(
            "Malformed JSON or chunked framing, wrong field or type, invalid email, or a batch over the limit."
        ),
        "RequestTimeout": _error("The body did not arrive within HELPER_BODY_TIMEOUT_S of the headers."),
        "Unauthorized": _error(
            "Missing or unknown bearer token.",
            {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}},
        ),
        "TooLarge": _error(f"The body is larger than {MAX_BODY_BYTES} bytes."),
        "UnsupportedMediaType": _error("The body is not sent as application/json."),
        "RateLimited": _error(
            "Too many requests with this token, or too many failed authentications from this address "
            "(both limits apply per gunicorn worker).",
            _retry_after("Seconds until the token (or the address) may be used again."),
        ),
        "DatabaseUnavailable": _error(
            "The credentials store did not answer.", _retry_after("Seconds to wait before retrying.")
        ),
    }


def _lookup(summary: str, request_schema: str, ok: dict[str, Any], extra: dict[str, Any] | None = None) -> Any:
    responses: dict[str, Any] = {
        "200": ok,
        "400": _ref("responses", "BadRequest"),
        "401": _ref("responses", "Unauthorized"),
        "408": _ref("responses", "RequestTimeout"),
        "413": _ref("responses", "TooLarge"),
        "415": _ref("responses", "UnsupportedMediaType"),
        "429": _ref("responses", "RateLimited"),
        "503": _ref("responses", "DatabaseUnavailable"),
        **(extra or {}),
    }
    return {
        "post": {
            "summary": summary,
            "requestBody": {"required": True, **_json(_ref("schemas", request_schema))},
            "responses": dict(sorted(responses.items())),
        }
    }


def _open(summary: str, ok: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"get": {"summary": summary, "security": [], "responses": {"200": ok, **(extra or {})}}}


def document() -> dict[str, Any]:
    """The whole OpenAPI 3.0 document."""
    status = {"description": "OK", **_json(_ref("schemas", "Status"))}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "hestia-sync helper API",
            "version": "1.0.0",
            "description": (
                "Password hashes and photo URLs by email, for the sync job. Every response carries "
                "X-Request-ID (the caller's, when it sent a valid one). Requests the HTTP parser refuses "
                "before any endpoint sees them get the same JSON error on every path: 400 (malformed "
                "request line or header), 414 (request line over 4094 bytes), 431 (more than 100 header "
                "fields, or one over 8190 bytes), 417 (an Expect other than 100-continue), 501 (an unknown "
                "transfer coding)."
            ),
        },
        "security": [{"bearer": []}],
        "paths": {
            "/healthz": _open("The process answers.", status),
            "/readyz": _open(
                "The credentials store answers.", status, {"503": _ref("responses", "DatabaseUnavailable")}
            ),
            "/openapi.json": _open(
                "This document.", {"description": "OpenAPI 3.0 document", **_json({"type": "object"})}
            ),
            "/get-password": _lookup(
                "The bcrypt hash stored for an email.",
                "EmailRequest",
                {"description": "Known email", **_json(_ref("schemas", "PasswordResponse"))},
                {"404": _error("No credentials are stored for this email.")},
            ),
            "/get-photo": _lookup(
                "The stored photo URL, else a default avatar derived from a hash of the email.",
                "EmailRequest",
                {"description": "Photo URL", **_json(_ref("schemas", "PhotoResponse"))},
            ),
            "/lookup-batch": _lookup(
                f"Up to {MAX_BATCH} lookups at once, answered in request order (duplicates included).",
                "BatchRequest",
                {"description": "One result per requested email", **_json(_ref("schemas", "BatchResponse"))},
            ),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
            "responses": _responses(),
        },
    }
