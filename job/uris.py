"""Database URIs as secrets: read them only when unambiguous, show them only without a password.

A libpq URI is `postgresql://[user[:password]@]host[:port][,host2...][/dbname][?name=value...]`. The
user-info ends at the authority's last `@`, and the authority ends at the first `/`, `?` or `#`, so a
password with an unencoded `@`, `/`, `?` or `#` is read by libpq as a host, a port or a database name,
and libpq's messages then quote it. Such a URI is refused (`userinfo_problem`) before anything connects.
Free text is scrubbed of anything that looks like a URI's user-info, however malformed (`scrub`), and
a failed connection is described in these words, never libpq's (`connect_failure`). The helper API uses
this module too, for HELPER_DATABASE_URL.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote, urlsplit, urlunsplit

SCHEMES: Final = ("postgresql://", "postgres://")
PERCENT_ENCODING_HINT: Final = (
    "percent-encode the user name and password (@ as %40, / as %2F, : as %3A, % as %25, # as %23, ? as %3F, "
    "a space as %20)"
)
# Scheme, user, then from the first ':' up to the last '@' before a space: a password, well formed or not (quotes
# included: a password may hold them, and hiding too much of a log line is the safe side).
_PASSWORD_IN_TEXT: Final = re.compile(r"(postgres(?:ql)?://[^\s@/:]*):\S*@", re.IGNORECASE)
_PERCENT_TOKEN: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_UNSAFE_IN_USERINFO: Final = re.compile(r"[\s\x00-\x1f\x7f/?#\[\]]")


def userinfo_problem(uri: str) -> str | None:
    """Why libpq might read this URI's user-info other than as written (None: it reads it as written).

    The message never quotes any part of the URI."""
    if not uri.startswith(SCHEMES):
        return "must be a URI starting with postgresql://"
    rest = uri.split("://", 1)[1]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in rest[len(authority) :]:
        return f"its user-info cannot be read unambiguously (an @ after a /, ? or #): {PERCENT_ENCODING_HINT}"
    if authority.count("@") > 1:
        return f"its user-info cannot be read unambiguously (more than one @): {PERCENT_ENCODING_HINT}"
    userinfo = authority.rpartition("@")[0]
    if _PERCENT_TOKEN.search(userinfo):
        return f"its user-info has a % not followed by two hex digits: {PERCENT_ENCODING_HINT}"
    if _UNSAFE_IN_USERINFO.search(userinfo):
        return (
            f"its user-info holds a space, a control character or one of / ? # [ ] unencoded: {PERCENT_ENCODING_HINT}"
        )
    try:
        unquote(userinfo, errors="strict")
    except UnicodeDecodeError:
        return f"its user-info is not valid percent-encoded UTF-8: {PERCENT_ENCODING_HINT}"
    return None


def redact(uri: str) -> str:
    """The URI as it may be shown: scheme, user, hosts, ports and database; no password, no query values."""
    if userinfo_problem(uri) is not None:
        return "<database URI not shown: it cannot be read unambiguously>"
    try:
        parts = urlsplit(uri)
        userinfo, _, hosts = parts.netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{hosts}" if user else hosts
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:
        return "<database URI not shown: it cannot be read unambiguously>"


def scrub(text: str) -> str:
    """Replace the password of any postgres URI found in free text with ***, well formed or not."""
    return _PASSWORD_IN_TEXT.sub(r"\1:***@", text)


# What a failed connection attempt means, by what libpq says; its own words are never repeated,
# because they quote connection parameters (a mis-split password shows up as a host or a port).
CONNECT_FAILURES: Final = (
    (
        ("password authentication failed", "no password supplied", "authentication failed"),
        "the server refused the user name or password",
    ),
    (("could not translate host name",), "the host name does not resolve"),
    (("connection refused",), "nothing accepts connections at that host and port"),
    (("timeout expired", "timed out"), "the connection attempt timed out"),
    (("does not exist",), "the database or the user does not exist on that server"),
    (
        ("no pg_hba.conf entry",),
        "the server does not accept this user from this address (pg_hba.conf; TLS may be required)",
    ),
    (
        ("server does not support ssl",),
        "the server offers no TLS, and the URI's sslmode requires it: enable TLS on the server, or (on a network "
        "you trust) drop sslmode from the URI",
    ),
    (("ssl", "certificate"), "TLS failed: check sslmode and sslrootcert"),
    (("too many connections", "remaining connection slots"), "the server has no connection slots left"),
    (("invalid", "missing", "unrecognized"), "libpq cannot read the URI: check its form and percent-encoding"),
)


def connect_failure(exc: BaseException) -> str:
    """What a failed connection attempt means, in the job's words (never libpq's, which quote parameters)."""
    text = str(exc).lower()
    for needles, meaning in CONNECT_FAILURES:
        if any(needle in text for needle in needles):
            return meaning
    return "the server refused the connection"
