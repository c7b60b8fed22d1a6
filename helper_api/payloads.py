"""Reading and checking request bodies; every problem is a 4xx ApiError that says what was wrong."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from helper_api.emails import MAX_EMAIL_LENGTH, normalise_email
from helper_api.errors import ApiError
from helper_api.limits import MAX_BATCH, MAX_BODY_BYTES

JSON_MEDIA_TYPE = "application/json"
READ_STEP = 16 * 1024


def json_object(fields: Collection[str]) -> dict[str, Any]:
    """The body as a JSON object holding exactly ``fields``."""
    if request.mimetype != JSON_MEDIA_TYPE:
        raise ApiError(415, "unsupported_media_type", "send the body as JSON with Content-Type: application/json")
    raw = read_body()
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "malformed_json", "the body is not valid JSON (UTF-8)") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", f"the body must be a JSON object with the field(s): {_names(fields)}")
    missing = [name for name in fields if name not in body]
    unknown = sorted(name for name in body if name not in fields)
    if missing:
        raise ApiError(400, "invalid_body", f"missing field(s): {_names(missing)}")
    if unknown:
        raise ApiError(400, "invalid_body", f"unknown field(s): {_names(unknown)}; expected only {_names(fields)}")
    return body


def read_body(limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, or 413 when it holds more than ``limit`` bytes, whether announced or chunked.

    The server's stream is read directly: werkzeug's limited stream would silently cut a chunked body
    at the limit, and the JSON parser would then see a truncated (or worse, a complete) document.
    """
    announced = request.content_length
    if announced is not None and announced > limit:
        raise RequestEntityTooLarge()
    stream = request.environ["wsgi.input"]
    if announced is None and not request.environ.get("wsgi.input_terminated"):
        return b""  # neither a length nor chunks: PEP 3333 says there is no body to read
    wanted = limit + 1 if announced is None else announced
    chunks: list[bytes] = []
    received = 0
    while received < wanted:
        chunk = _read(stream, min(READ_STEP, wanted - received))
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    if received > limit:
        raise RequestEntityTooLarge()
    return b"".join(chunks)


def _read(stream: Any, size: int) -> bytes:
    try:
        chunk: bytes = stream.read(size)
    except ApiError:
        raise  # the server's body deadline (408)
    except Exception:  # noqa: BLE001 - the server's own errors (bad chunk framing, early end) all mean the same
        raise ApiError(
            400, "malformed_body", "the body could not be read: broken chunked framing, or the connection ended early"
        ) from None
    return chunk


def email_field(body: dict[str, Any]) -> str:
    """The normalised value of body["email"]."""
    return _email(body["email"], "email")


def emails_field(body: dict[str, Any]) -> list[str]:
    """The normalised values of body["emails"], in order, duplicates kept."""
    emails = body["emails"]
    if not isinstance(emails, list):
        raise ApiError(400, "invalid_body", "emails must be a list of strings")
    if len(emails) > MAX_BATCH:
        raise ApiError(400, "batch_too_large", f"emails holds {len(emails)} items; at most {MAX_BATCH} per request")
    return [_email(value, f"emails[{index}]") for index, value in enumerate(emails)]


def _email(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ApiError(400, "invalid_body", f"{where} must be a string")
    email = normalise_email(value)
    if email is None:
        raise ApiError(
            400,
            "invalid_email",
            f"{where} is not a valid email address (name@domain.tld, ASCII, at most {MAX_EMAIL_LENGTH} characters)",
        )
    return email


def _names(names: Collection[str]) -> str:
    return ", ".join(names)
