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


@dataclass(frozen=True)
class OutOfRange:
    """A date or timestamp outside what Python holds; `text` is PostgreSQL's own spelling of it."""

    text: str

    def __str__(self) -> str:
        return "a date outside years 1 to 9999 (or infinite)"


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


def register_range_guards(conn: psycopg2.extensions.connection) -> None:
    """Read dates and timestamps on this connection so that an out-of-range value becomes OutOfRange."""
    for name, caster in (
        ("DATE", psycopg2.extensions.PYDATE),
        ("TIMESTAMP", psycopg2.extensions.PYDATETIME),
        ("TIMESTAMPTZ", psycopg2.extensions.PYDATETIMETZ),
    ):
        guarded = psycopg2.extensions.new_type(caster.values, f"HS_{name}", _guarded(caster))
        psycopg2.extensions.register_type(guarded, conn)
