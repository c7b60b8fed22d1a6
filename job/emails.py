"""When two emails are the same: one definition, in Python and in SQL.

An email is normalised by dropping the six ASCII whitespace characters (space, tab, newline, carriage
return, form feed, vertical tab) at both ends, then mapping the ASCII letters A-Z to a-z. Every other
character stays as it is. `normalise` does this in Python, `normalised_sql` in PostgreSQL:
`translate(btrim(e, <the six>), 'A..Z', 'a..z')`.

Why not `strip().lower()` (or `casefold()`) and `lower(btrim())`: they disagree. `str.strip()` also drops
U+0085, U+00A0 and the other Unicode spaces, and `btrim()` drops only spaces. Python's `lower()` maps
non-ASCII letters (the Kelvin sign to 'k', 'İ' to 'i' plus a combining dot), `casefold()` maps 'ß' to 'ss',
and PostgreSQL's `lower()` follows the database's ctype. `btrim` with a character list and `translate` with a
character map do exactly what `str.strip(chars)` and `str.translate` do, character by character, on every
string. They depend on neither the collation nor the ctype, and in every server encoding an ASCII character
is one byte that no other character contains.

DB1's check on cEmail accepts ASCII only, so for every email DB1 can hold this gives what `lower()` would.
An email with anything else around it, a trailing U+0085 say, does not normalise to a valid address. Its
account is rejected (`convert.email`), and it is the same email only as another one with the same characters.
"""

from __future__ import annotations

import re
import string
from typing import Final

WHITESPACE: Final = " \t\n\r\f\v"
# The same six characters in a PostgreSQL escape string (it has no \v: \x0B is the same character).
_WHITESPACE_SQL: Final = r"E' \t\n\r\f\x0B'"
_LOWER: Final = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# DB1's own check on cEmail (schema/db1.sql), applied to the whole normalised value.
VALID: Final = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def normalise(email: str) -> str:
    """The email without surrounding ASCII whitespace, its ASCII letters in lower case."""
    return email.strip(WHITESPACE).translate(_LOWER)


def is_valid(normalised: str) -> bool:
    """Whether DB1's check on cEmail accepts this (already normalised) email."""
    return VALID.fullmatch(normalised) is not None


def normalised_sql(expression: str) -> str:
    """`normalise` as a PostgreSQL expression over `expression` (SQL text written by the job, never input)."""
    return f"translate(btrim({expression}, {_WHITESPACE_SQL}), '{string.ascii_uppercase}', '{string.ascii_lowercase}')"
