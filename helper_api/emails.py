"""What counts as an email here, how it is normalised, masked for logs, and turned into an avatar URL.

The pattern is ASCII only, so Python's lower() and PostgreSQL's lower() always agree, and it accepts
everything DB1's CHECK constraint accepts. The OpenAPI document publishes these same constants.
"""

from __future__ import annotations

import hashlib
import re

SURROUNDING_WHITESPACE = " \t\r\n"
EMAIL_CORE = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+"
EMAIL_PATTERN = rf"^[ \t\r\n]*{EMAIL_CORE}[ \t\r\n]*$"
# Longer than RFC 5321 allows (254), so that every address DB1 can hold (varchar(266)) is accepted.
MAX_EMAIL_LENGTH = 320
_EMAIL = re.compile(rf"[ \t\r\n]*{EMAIL_CORE}[ \t\r\n]*")


def normalise_email(raw: str) -> str | None:
    """The email stripped of surrounding whitespace and lower-cased, or None when it is not one."""
    if len(raw) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(raw):
        return None
    return raw.strip(SURROUNDING_WHITESPACE).lower()


def mask_email(email: str) -> str:
    """j***@example.com: enough to tell accounts apart in a log, not enough to name one."""
    local, at, domain = email.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def avatar_url(base_url: str, email: str) -> str:
    """The default avatar for a normalised email: the same email always gives the same URL."""
    digest = hashlib.sha256(email.encode("ascii")).hexdigest()
    return f"{base_url.rstrip('/')}/{digest}?d=identicon"
