"""The target's unique indexes, checked for a batch of rows to insert before the helper is asked.

Without this a row the database refuses for a duplicate costs, on every run until someone fixes it, a
helper lookup, an INSERT that leaves a dead tuple and the bisection's statements. Here one statement per
batch finds, for each unique index whose values are known before the insert, the rows whose values a row
of the target already holds and the rows that repeat a value of an earlier row of the batch. Indexes this
cannot compare like the database does (expressions, partial, NULLS NOT DISTINCT, non-text columns, a
non-default operator class) are left to the write's bisection, which also stays the safety net for a
concurrent writer.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

from job.db import ColumnInfo
from job.rows import PendingRow

# Key columns of each valid, non-partial, plain-column unique index. `simple`: every column is a text
# base type (never a domain, whose CHECK could fail the cast) under its type's default operator class,
# so casting the batch's strings cannot fail and `=` is the index's own equality.
# indnullsnotdistinct exists from PostgreSQL 15 on; read through to_jsonb so older servers answer too.
_INDEXES_SQL = """
SELECT ic.relname,
       array_agg(a.attname::text ORDER BY k.ord),
       array_agg(CASE WHEN k.coll <> 0 THEN format('%%I.%%I', cn.nspname, co.collname) END ORDER BY k.ord),
       bool_and(t.typtype = 'b' AND t.typcategory = 'S' AND opc.opcdefault)
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indclass::oid[], i.indcollation::oid[])
     WITH ORDINALITY AS k (attnum, opclass, coll, ord)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_opclass opc ON opc.oid = k.opclass
LEFT JOIN pg_collation co ON co.oid = k.coll
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
WHERE i.indrelid = to_regclass(%s) AND i.indisunique AND i.indisvalid
  AND i.indpred IS NULL AND i.indexprs IS NULL AND k.ord <= i.indnkeyatts
  AND NOT coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false)
GROUP BY ic.relname
ORDER BY ic.relname
"""

# Per index: the batch's values numbered by position, the rows sharing a value (the group is the first
# position holding it) and, one index probe per row (LATERAL ... LIMIT 1 cannot become a join that scans
# the table), whether a row of the target holds it. Both comparisons use the index's collation.
_BRANCH_SQL = (
    "SELECT {number}, b.hs_n, b.hs_group, hit.held IS NOT NULL FROM ("
    "SELECT u.*, min(u.hs_n) OVER w AS hs_group, count(*) OVER w AS hs_size "
    "FROM unnest({arrays}) AS u (hs_n, {names}) WINDOW w AS (PARTITION BY {partition})"
    ") AS b LEFT JOIN LATERAL ("
    "SELECT true AS held FROM {table} AS t WHERE {matches} LIMIT 1"
    ") AS hit ON true WHERE b.hs_size > 1 OR hit.held"
)


@dataclass(frozen=True)
class UniqueIndex:
    """A unique index of the target and what comparing like it needs: its columns' types and collations."""

    name: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    collations: tuple[str | None, ...]

    @property
    def label(self) -> str:
        return self.columns[0] if len(self.columns) == 1 else f"({', '.join(self.columns)})"


@dataclass(frozen=True, order=True)
class _Hit:
    """A row the statement found: held by the target, or sharing a value with others of the batch."""

    index: int
    position: int
    group: int
    held: bool


def read_unique_indexes(
    cur: psycopg2.extensions.cursor, table: str, columns: dict[str, ColumnInfo]
) -> list[UniqueIndex]:
    """The unique indexes of `table` that can be checked in SQL before the insert, by name."""
    cur.execute(_INDEXES_SQL, (table,))
    return [
        UniqueIndex(name, tuple(names), tuple(columns[n].base_type for n in names), tuple(collations))
        for name, names, collations, simple in cur.fetchall()
        if simple and all(n in columns for n in names)
    ]


class UniqueCheck:
    """One step's check of its target's unique indexes; the catalog is read once, on the step's first batch.

    `known`: the columns whose values are set before the check runs (not the key, which the step matches
    on, nor a resolver's column: a username is chosen free, the helper's answers come later)."""

    def __init__(
        self, table: str, owner: str, columns: dict[str, ColumnInfo], known: Collection[str], before: str
    ) -> None:
        self.table, self.owner, self.columns, self.known, self.before = table, owner, columns, set(known), before
        self._indexes: list[UniqueIndex] | None = None

    def indexes(self, cur: psycopg2.extensions.cursor) -> list[UniqueIndex]:
        if self._indexes is None:
            found = read_unique_indexes(cur, self.table, self.columns)
            self._indexes = [index for index in found if set(index.columns) <= self.known]
        return self._indexes

    def reject_duplicates(self, cur: psycopg2.extensions.cursor, rows: Sequence[PendingRow]) -> None:
        """Reject the rows the unique indexes would refuse, in one statement: a value a row of the target
        holds (a row this run inserted in an earlier batch too), or one an earlier row of the batch has
        (rows come in key order: the first goes on). NULLs never conflict."""
        indexes = self.indexes(cur)
        candidates = [_candidates(index, rows) for index in indexes]
        if not any(candidates):
            return
        statement, params = _statement(self.table, indexes, candidates)
        cur.execute(statement, params)
        hits = sorted(_Hit(*found) for found in cur.fetchall())
        self._reject(indexes, hits, rows)

    def _reject(self, indexes: list[UniqueIndex], hits: list[_Hit], rows: Sequence[PendingRow]) -> None:
        held: dict[int, UniqueIndex] = {}
        slots: dict[int, list[tuple[int, int]]] = {}
        for hit in hits:
            if hit.held:
                held.setdefault(hit.position, indexes[hit.index])
            slots.setdefault(hit.position, []).append((hit.index, hit.group))
        # As the database would: each row in order goes in unless an earlier row that went in has its value.
        claimed: dict[tuple[int, int], PendingRow] = {}
        for position, row in enumerate(rows):
            if position in held:
                index = held[position]
                row.reject(f"{index.label} is already held by another {self.owner} row ({index.name}); {self.before}")
                continue
            mine = slots.get(position, [])
            clash = next((slot for slot in mine if slot in claimed), None)
            if clash is not None:
                index, first = indexes[clash[0]], claimed[clash]
                row.reject(
                    f"{index.label} is the same as {first.key}'s, earlier in this batch ({index.name}); {self.before}"
                )
            elif row.ok:
                claimed.update(dict.fromkeys(mine, row))


def _candidates(index: UniqueIndex, rows: Sequence[PendingRow]) -> list[tuple[int, tuple[str, ...]]]:
    """(position, values) of the rows that have a text value in every column of the index."""
    found = []
    for position, row in enumerate(rows):
        texts = tuple(value for name in index.columns if isinstance(value := row.values.get(name), str))
        if row.ok and len(texts) == len(index.columns):
            found.append((position, texts))
    return found


def _statement(
    table: str, indexes: list[UniqueIndex], candidates: list[list[tuple[int, tuple[str, ...]]]]
) -> tuple[sql.Composed, dict[str, Any]]:
    """One statement for every index that has values in this batch (a UNION ALL of one branch each)."""
    branches: list[sql.Composable] = []
    params: dict[str, Any] = {}
    for number, (index, found) in enumerate(zip(indexes, candidates, strict=True)):
        if found:
            branches.append(_branch(table, number, index, found, params))
    return sql.SQL(" UNION ALL ").join(branches), params


def _branch(
    table: str, number: int, index: UniqueIndex, found: list[tuple[int, tuple[str, ...]]], params: dict[str, Any]
) -> sql.Composed:
    params[f"n{number}"] = [position for position, _ in found]
    arrays: list[sql.Composable] = [sql.Placeholder(f"n{number}") + sql.SQL("::integer[]")]
    names, partition, matches = [], [], []
    for i, (column, type_name, collation) in enumerate(zip(index.columns, index.types, index.collations, strict=True)):
        params[f"v{number}_{i}"] = [values[i] for _, values in found]
        arrays.append(sql.Placeholder(f"v{number}_{i}") + sql.SQL("::{}[]").format(sql.SQL(type_name)))
        name = sql.Identifier(f"hs_v{i}")
        # The name comes from the catalog (format('%I.%I')); a % in it must not read as a placeholder.
        collate = sql.SQL(f" COLLATE {collation.replace('%', '%%')}" if collation else "")
        names.append(name)
        partition.append(sql.SQL("u.{}").format(name) + collate)
        matches.append(sql.SQL("t.{} = b.{}").format(sql.Identifier(column), name) + collate)
    return sql.SQL(_BRANCH_SQL).format(
        number=sql.Literal(number),
        arrays=sql.SQL(", ").join(arrays),
        names=sql.SQL(", ").join(names),
        partition=sql.SQL(", ").join(partition),
        table=sql.Identifier(table),
        matches=sql.SQL(" AND ").join(matches),
    )
