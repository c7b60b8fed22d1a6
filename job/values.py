"""Values PostgreSQL can store but Python cannot hold: read as a marker the converters reject, so one
such row is rejected with a reason instead of failing its whole batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg2.extensions

# Python's date and datetime hold years 1 to 9999 and no infinity; PostgreSQL holds 4713 BC to 5874897 AD
# and ±infinity (which psycopg2 would silently turn into date.max and date.min).
_INFINITE = ("infinity", "-infinity")
_NOT_FINITE = ("NaN", "Infinity", "-Infinity")


OUTSIDE_DATES = "a date outside years 1 to 9999 (or infinite)"
NOT_A_NUMBER = "not a number (NaN or infinite)"


@dataclass(frozen=True)
class OutOfRange:
    """A value the job does not carry: a date Python cannot hold, or a NaN or infinite number (which compares
    unequal to itself, so it would be written again on every run). `text` is PostgreSQL's own spelling."""

    text: str
    what: str = OUTSIDE_DATES

    def __str__(self) -> str:
        return self.what


def _guarded(cast: Any) -> Callable[[str | bytes | None, psycopg2.extensions.cursor], Any]:
    def read(value: str | bytes | None, cur: psycopg2.extensions.cursor) -> Any:
        if value is None:
            return None
        text = value.decode() if isinstance(value, bytes) else value
        if text in _INFINITE:
            return OutOfRange(text)
        try:
            return cast(text, cur)
        except (ValueError, OverflowError):
            return OutOfRange(text)

    return read


def _finite_numeric(value: str | bytes | None, cur: psycopg2.extensions.cursor) -> Any:
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else value
    if text in _NOT_FINITE:
        return OutOfRange(text, NOT_A_NUMBER)
    return psycopg2.extensions.DECIMAL(text, cur)


def register_range_guards(conn: psycopg2.extensions.connection) -> None:
    """Read dates, timestamps and numerics on this connection so that a value the job does not carry
    (out of Python's range, infinite, NaN) becomes OutOfRange."""
    for name, caster in (
        ("DATE", psycopg2.extensions.PYDATE),
        ("TIMESTAMP", psycopg2.extensions.PYDATETIME),
        ("TIMESTAMPTZ", psycopg2.extensions.PYDATETIMETZ),
    ):
        guarded = psycopg2.extensions.new_type(caster.values, f"HS_{name}", _guarded(caster))
        psycopg2.extensions.register_type(guarded, conn)
    numeric = psycopg2.extensions.new_type(psycopg2.extensions.DECIMAL.values, "HS_NUMERIC", _finite_numeric)
    psycopg2.extensions.register_type(numeric, conn)
