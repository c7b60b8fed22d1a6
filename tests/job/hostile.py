"""Hostile values for a PostgreSQL column, by its type: a fixed list per type plus a seeded hypothesis sample.

Text gets empty, blank, case changes, every kind of awkward character alone, inside and around the column's
realistic value (C0 and C1 controls, Unicode spaces, format and bidi characters, combining marks, emoji,
noncharacters, look-alikes, non-ASCII digits, escapes), a character of every Unicode general category and
values at and past the length limits. NUL and surrogates are left out: PostgreSQL text cannot hold them.
Dates, timestamps and numbers get their edges and infinities; uuids the nil, the max, random ones and the
foreign keys the tests seed. Every type gets NULL. Values the column refuses are the caller's to drop.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, partial
from typing import Any

import psycopg2
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

Recipe = tuple[str, Callable[[Any], Any]]
"""(class of value, a function of the row's realistic value that gives the hostile one)."""


@dataclass(frozen=True)
class ColumnType:
    """What information_schema says about a column."""

    data_type: str
    max_length: int | None
    precision: int | None
    scale: int | None


@cache
def column_types(dsn: str, table: str) -> dict[str, ColumnType]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale "
                "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s",
                (table,),
            )
            return {name: ColumnType(*rest) for name, *rest in cur.fetchall()}
    finally:
        conn.close()


C0 = [chr(code) for code in range(0x01, 0x20)] + ["\x7f"]
INSIDE = {
    "C0 control": C0,
    "C1 control": ["\x80", "\x85", "\x9f"],
    "Unicode space": ["\u00a0", "\u2028", "\u3000"],
    "invisible format char": ["\u200b", "\ufeff", "\u00ad"],
    "bidi mark": ["\u200e", "\u202e", "\u2066"],
    "combining mark": ["\u0301"],
    "emoji": ["\U0001f600", "\U0001f469\u200d\U0001f469\u200d\U0001f467"],
    "noncharacter, private use, astral": ["\ufffd", "\uffff", "\U0010ffff", "\ue000"],
    "look-alike letter": ["\u212a", "\u0130", "\u00df", "\uff41"],
    "non-ASCII digit": ["\u0663", "\uff15"],
    "ASCII letters": ["abc"],
    "quote or escape": ["\\N", "'"],
}
ALONE = {
    "C0 control": ["\x01", "\t", "\n", "\r", "\x1b", "\x1c", "\x1f", "\x7f"],
    "C1 control": ["\x85"],
    "combining mark": ["\u0301"],
    "emoji": ["\U0001f1e7\U0001f1f7"],
    "ASCII letters": ["abc"],
    "quote or escape": ["\\", "\\N", "\\.", "'", "%s", "{source}", "NULL"],
}
AROUND = [" ", "\t", "\n", "\x0b", "\x1c", "\u00a0", "\u2028"]
CORE = {"\x01", "\n", "\x1f", "\x85", "\u202e", "\U0001f600", "\u0301", "\\N", "\u2028"}
"""The characters a column that is only compared for equality gets: any other value goes the same way."""
CATEGORIES = sorted({unicodedata.category(chr(code)) for code in range(0x110000)} - {"Cs"})

DATES = ["-infinity", "infinity", "4714-11-24 BC", "4713-01-01 BC", "0001-12-31 BC", "0001-01-01", "1900-02-28"]
DATES += ["2000-02-29", "9999-12-31", "10000-01-01", "294276-12-31", "5874897-12-31"]
# The first is the smallest timestamptz; a few are December 9999 in São Paulo, whose next month is year 10000.
TIMES = ["-infinity", "infinity", "4714-11-24 00:00:00+00 BC", "4713-01-01 00:00:00+00 BC", "0001-01-01 00:00:00+00"]
TIMES += ["0001-01-02 00:00:00+00", "2024-01-31 03:00:00+00", "2026-03-01 02:59:59+00", "2026-12-31 23:59:59+00"]
TIMES += ["9999-11-30 12:00:00+00", "9999-12-01 12:00:00+00", "9999-12-31 23:59:59.999999+00"]
TIMES += ["10000-01-01 00:00:00+00", "294276-12-31 23:59:59.999999+00"]


def _inside(char: str, value: Any) -> str:
    text = "" if value is None else str(value)
    return text[: len(text) // 2] + char + text[len(text) // 2 :]


def _around(char: str, value: Any) -> str:
    return f"{char}{'' if value is None else value}{char}"


def _const(value: Any, _realistic: Any) -> Any:
    return value


def drawn(strategy: st.SearchStrategy[Any], count: int, at: int) -> list[Any]:
    """`count` values of a hypothesis strategy, the same ones every run (a fixed seed, no example database)."""
    found: list[Any] = []

    @seed(at)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return list(dict.fromkeys(found))


@cache
def category_samples() -> tuple[tuple[str, str], ...]:
    """A character of every Unicode general category but Cs (surrogates cannot be encoded in UTF-8)."""
    return tuple(
        (category, drawn(st.characters(categories=[category], exclude_characters="\x00"), 3, 1000 + number)[-1])
        for number, category in enumerate(CATEGORIES)
    )


@cache
def random_texts(limit: int) -> tuple[str, ...]:
    """Short strings of any characters PostgreSQL can store, within the column's limit."""
    alphabet = st.characters(codec="utf-8", exclude_characters="\x00")
    return tuple(drawn(st.text(alphabet, min_size=1, max_size=min(limit, 40)), 6, 10_000 + limit)[1:5])


def text_recipes(kind: ColumnType, longer_than: Collection[int], full: bool) -> list[Recipe]:
    limit = kind.max_length
    recipes: list[Recipe] = [
        ("NULL", partial(_const, None)),
        ("empty", partial(_const, "")),
        ("blank", partial(_const, "   ")),
        ("upper case", lambda v: str(v).upper()),
        ("swapped case", lambda v: str(v).swapcase()),
        ("spaces and punctuation dropped", lambda v: re.sub(r"[\s()-]", "", str(v))),
    ]
    for group, chars in INSIDE.items():
        recipes += [(f"{group} inside", partial(_inside, c)) for c in chars if full or c in CORE]
    for group, chars in ALONE.items():
        recipes += [(f"{group} alone", partial(_const, c)) for c in chars if full or c in CORE]
    recipes += [("whitespace around", partial(_around, c)) for c in AROUND if full or c in CORE]
    if full:
        recipes += [(f"category {category} inside", partial(_inside, c)) for category, c in category_samples()]
    texts = random_texts(limit or 100)
    recipes += [("random text (hypothesis)", partial(_const, text)) for text in texts[: None if full else 1]]
    for length in sorted({limit or 100_000, (limit or 0) + 1, *(n + 1 for n in longer_than)}):
        recipes += [
            (f"long: {length} ASCII", partial(_const, "x" * length)),
            (f"long: {length} emoji", partial(_const, "\U0001f600" * length)),
            (f"long: {length} with combining marks", partial(_const, ("e\u0301" * length)[:length])),
        ]
    return recipes


def numbers(kind: ColumnType) -> list[str]:
    values = ["0", "-0", "0.01", "-0.01", "0.004", "0.005", "1e-20", "NaN", "Infinity", "-Infinity"]
    if kind.precision is None:
        return [*values, "1e131071", "-1e131071"]
    step = Decimal(10) ** -(kind.scale or 0)
    top = Decimal(10) ** (kind.precision - (kind.scale or 0)) - step
    return [*values, str(top), str(-top), str(top + step)]


def recipes_for(
    kind: ColumnType, longer_than: Collection[int] = (), full: bool = True, keys: Collection[str] = ()
) -> list[Recipe]:
    """The hostile values for a column of this type. `longer_than`: the lengths of the columns it is copied
    into (a value one longer is tried); `full`: every text value, or a sample; `keys`: uuids worth trying
    in a foreign key (the rows the test seeded)."""
    if kind.data_type in ("text", "character varying", "character"):
        return text_recipes(kind, longer_than, full)
    if kind.data_type == "date":
        values: list[Any] = DATES
    elif kind.data_type.startswith("timestamp"):
        values = TIMES
    elif kind.data_type == "numeric":
        values = numbers(kind)
    elif kind.data_type == "boolean":
        values = [True, False]
    elif kind.data_type == "uuid":
        values = [str(uuid.UUID(int=0)), str(uuid.UUID(int=2**128 - 1)), "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"]
        values += ["{b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12}", *keys, str(uuid.UUID(int=0x9E3779B97F4A7C15))]
    else:
        raise AssertionError(
            f"no hostile values for PostgreSQL type {kind.data_type}: add them to tests/job/hostile.py"
        )
    return [("NULL", partial(_const, None))] + [(f"{kind.data_type} {v}", partial(_const, v)) for v in values]
