"""bcrypt, the only form in which a password is stored or returned."""

from __future__ import annotations

import re

import bcrypt

BCRYPT_HASH = re.compile(r"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}")
BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
MAX_PASSWORD_BYTES = 72  # bcrypt ignores (bcrypt>=5: refuses) anything longer


def looks_like_hash(password: str) -> bool:
    """True for anything that claims to be a bcrypt hash, well-formed or not."""
    return password.startswith(BCRYPT_PREFIXES)


def is_hash(password: str) -> bool:
    return BCRYPT_HASH.fullmatch(password) is not None


def plaintext_problem(password: str) -> str | None:
    """Why this plaintext cannot be hashed faithfully, or None when it can."""
    if not password:
        return "empty password"
    if "\x00" in password:
        return "password contains a NUL character (bcrypt would silently cut it there)"
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        return f"password longer than {MAX_PASSWORD_BYTES} bytes, bcrypt's limit: give its bcrypt hash instead"
    return None


def hash_password(password: str, rounds: int) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def verifies(password: str, password_hash: str) -> bool:
    """True when the stored hash was made from this plaintext (False for an unusable hash)."""
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False
