"""The lookups the job calls: a password hash and a photo URL by email, one at a time or in a batch."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from helper_api.db import connection
from helper_api.emails import avatar_url
from helper_api.errors import ApiError
from helper_api.extensions import current_guard, current_settings
from helper_api.payloads import email_field, emails_field, json_object
from helper_api.requestlog import add_log_fields
from helper_api.store import Credential, find

bp = Blueprint("lookups", __name__)


@bp.before_request
def _admit() -> None:
    # REMOTE_ADDR is the TCP peer: the job connects to the task directly, with no proxy in between,
    # so X-Forwarded-For is never read (anyone could write it).
    client = request.remote_addr or "unknown"
    add_log_fields(token=current_guard().admit(request.headers.get("Authorization"), client))


@bp.post("/get-password")
def get_password() -> dict[str, str]:
    email = email_field(json_object(["email"]))
    found = _find([email]).get(email)
    add_log_fields(emails=1, known=int(found is not None))
    if found is None:
        raise ApiError(404, "unknown_email", "no credentials are stored for this email")
    return {"password": found.password_hash}


@bp.post("/get-photo")
def get_photo() -> dict[str, str]:
    email = email_field(json_object(["email"]))
    found = _find([email]).get(email)
    add_log_fields(emails=1, known=int(found is not None))
    return {"url": _photo_url(email, found)}


@bp.post("/lookup-batch")
def lookup_batch() -> dict[str, list[dict[str, Any]]]:
    """One result per requested email, in request order; duplicates are answered each time."""
    emails = emails_field(json_object(["emails"]))
    found = _find(list(dict.fromkeys(emails)))
    add_log_fields(emails=len(emails), known=sum(1 for email in emails if email in found))
    results = []
    for email in emails:
        credential = found.get(email)
        results.append(
            {
                "email": email,
                "known": credential is not None,
                "password": credential.password_hash if credential else None,
                "photo_url": _photo_url(email, credential),
            }
        )
    return {"results": results}


def _find(emails: list[str]) -> dict[str, Credential]:
    return find(connection(), current_settings().db_schema, emails)


def _photo_url(email: str, credential: Credential | None) -> str:
    if credential is not None and credential.photo_url:
        return credential.photo_url
    return avatar_url(str(current_settings().avatar_base_url), email)
