"""Values that need a lookup before a row is inserted, one statement or helper batch per row batch.

Resolvers are named in the flow declarations (Column.resolver); lookups and references are
declared generically (Column.lookup, CopyStep.references) and resolved here too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import psycopg2.extensions
from psycopg2 import sql

from job.db import ColumnInfo, table_columns
from job.flow_model import Column, Lookup, Reference
from job.helper_client import HelperClient, LookupResult, normalise_email
from job.rows import PendingRow

# bcrypt never produces a string that starts with '!', so no password can ever match this value.
UNUSABLE_PASSWORD: Final = "!unusable: the helper API has no password for this email"  # noqa: S105 - a marker, not a secret
# DB1 tables whose usernames must not collide with a new account's.
DB1_ACCOUNT_TABLES: Final = ("universitario", "anunciante")
USERNAME_SUFFIX_ROOM: Final = 4
USERNAME_CANDIDATES: Final = 3


@dataclass
class ResolveContext:
    """What a resolver may use: the target cursor and the helper, with per-batch caches."""

    cur: psycopg2.extensions.cursor
    target_columns: dict[str, ColumnInfo]
    helper: HelperClient | None
    _tables: dict[str, dict[str, ColumnInfo]] = field(default_factory=dict)
    _helper_answers: dict[str, LookupResult] = field(default_factory=dict)

    def columns_of(self, table: str) -> dict[str, ColumnInfo]:
        if table not in self._tables:
            self._tables[table] = table_columns(self.cur, table)
        return self._tables[table]

    def start_batch(self) -> None:
        self._helper_answers.clear()

    def helper_answers(self, source_column: str, rows: Sequence[PendingRow]) -> LookupResult:
        """One helper lookup per batch, shared by the password and the photo columns."""
        if source_column not in self._helper_answers:
            if self.helper is None:
                raise RuntimeError("this step needs the helper API but no client was configured")
            emails = [str(row.source[source_column]) for row in rows if row.source.get(source_column)]
            self._helper_answers[source_column] = self.helper.lookup(emails)
        return self._helper_answers[source_column]


def username_base(name: str | None, email: str | None, max_length: int) -> str:
    """A readable login from the person's name ('Ana Lúcia' → 'ana.lucia'), else from the email."""
    room = max(1, max_length - USERNAME_SUFFIX_ROOM)
    for text in (name or "", (email or "").split("@")[0]):
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
        slug = re.sub(r"[^a-z0-9]+", ".", ascii_text).strip(".")[:room].strip(".")
        if slug:
            return slug
    return "user"


def first_free_username(base: str, taken: set[str]) -> str:
    """base, base2, base3, ... : the first not in `taken`."""
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}{number}"
    return candidate


def username_candidates(base: str, up_to: int) -> list[str]:
    """base, base2, ... base{up_to}: the names first_free_username may choose, in order."""
    return [base, *(f"{base}{number}" for number in range(2, up_to + 1))]


def resolve_username(ctx: ResolveContext, column: Column, rows: list[PendingRow]) -> None:
    """A free username per row. Candidates are looked up by equality (the unique index), three per row
    first and ten times more for the rows whose names were all taken, so no query scans a table."""
    info = ctx.target_columns.get(column.target)
    max_length = info.max_length if info and info.max_length else 50
    bases = {
        row.key: username_base(row.source.get(column.source or ""), row.source.get("email"), max_length) for row in rows
    }
    tables = [table for table in DB1_ACCOUNT_TABLES if column.target in ctx.columns_of(table)]
    taken: set[str] = set()
    checked: set[str] = set()
    pending, up_to = rows, USERNAME_CANDIDATES
    while pending:
        wanted = {name for row in pending for name in username_candidates(bases[row.key], up_to)} - checked
        taken |= _existing_usernames(ctx, column.target, tables, sorted(wanted))
        checked |= wanted
        unsure = []
        for row in pending:
            chosen = first_free_username(bases[row.key], taken)
            if chosen in checked:
                taken.add(chosen)
                row.values[column.target] = chosen
            else:
                unsure.append(row)
        pending, up_to = unsure, up_to * 10


def _existing_usernames(ctx: ResolveContext, name: str, tables: list[str], candidates: list[str]) -> set[str]:
    query = sql.SQL(" UNION ").join(
        sql.SQL("SELECT {col}::text FROM {table} WHERE {col} = ANY(%(candidates)s::text[])").format(
            col=sql.Identifier(name), table=sql.Identifier(table)
        )
        for table in tables
    )
    ctx.cur.execute(query, {"candidates": candidates})
    return {value for (value,) in ctx.cur.fetchall()}


def _helper_resolver(pick: Callable[[Any], str | None]) -> Callable[[ResolveContext, Column, list[PendingRow]], None]:
    def resolve(ctx: ResolveContext, column: Column, rows: list[PendingRow]) -> None:
        source = column.source or ""
        answers = ctx.helper_answers(source, rows)
        for row in rows:
            email = normalise_email(str(row.source.get(source) or ""))
            if email in answers.unavailable:
                row.defer(f"helper API unavailable: {answers.unavailable[email]}")
            elif email in answers.found:
                row.values[column.target] = pick(answers.found[email])
            else:
                row.reject(f"{source} is empty: the helper API cannot be asked")

    return resolve


RESOLVERS: Final[dict[str, Callable[[ResolveContext, Column, list[PendingRow]], None]]] = {
    "username": resolve_username,
    "helper_password": _helper_resolver(lambda found: found.password_hash or UNUSABLE_PASSWORD),
    "helper_photo": _helper_resolver(lambda found: found.photo_url),
}


def _fetch_pairs(ctx: ResolveContext, table: str, key: str, value: str, keys: set[Any]) -> dict[str, Any]:
    info = ctx.columns_of(table).get(key)
    if info is None:
        raise psycopg2.ProgrammingError(f"table {table} has no column {key}")
    ctx.cur.execute(
        sql.SQL("SELECT {key}::text, {value} FROM {table} WHERE {key} = ANY(%s::{type}[])").format(
            key=sql.Identifier(key),
            value=sql.Identifier(value),
            table=sql.Identifier(table),
            type=sql.SQL(info.base_type),
        ),
        ([str(k) for k in keys],),
    )
    return dict(ctx.cur.fetchall())


def resolve_lookup(ctx: ResolveContext, column: Column, lookup: Lookup, rows: list[PendingRow]) -> None:
    """Column value = lookup.table.value where lookup.key = the source value."""
    source = column.source or ""
    found = _fetch_pairs(
        ctx,
        lookup.table,
        lookup.key,
        lookup.value,
        {row.source[source] for row in rows if row.source.get(source) is not None},
    )
    for row in rows:
        key = row.source.get(source)
        if key is not None and str(key) in found:
            row.values[column.target] = found[str(key)]
            continue
        reason = f"{column.target}: no {lookup.table} with {lookup.key} = {key} in the target"
        row.defer(reason) if lookup.missing == "defer" else row.reject(reason)


def check_reference(ctx: ResolveContext, reference: Reference, rows: list[PendingRow]) -> None:
    """Defer rows whose (non-null) reference points at a row the target does not have yet."""
    wanted = {row.values[reference.column] for row in rows if row.values.get(reference.column) is not None}
    if not wanted:
        return
    present = _fetch_pairs(ctx, reference.table, reference.key, reference.key, wanted)
    for row in rows:
        value = row.values.get(reference.column)
        if value is not None and str(value) not in present:
            row.defer(f"{reference.column}: {reference.table} {value} is not in the target yet")
