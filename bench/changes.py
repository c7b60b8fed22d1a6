"""Scenario c's edits: about 1% of the rows changed on each side after a full sync, from the same seed.

DB1: profile edits of 1% of the students (cnome) and status flips of 1% of the payments (cativo).
DB2: status flips of another 1% of the payments (pago), 1% new students, and 1% new payments, half of
them by the new students and half by existing students and advertisers.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

import psycopg2

from bench.generate import PAYMENT_COLUMNS, STUDENT_COLUMNS, Generator, Sizes, copy_rows


@dataclass(frozen=True)
class ChangeCounts:
    db1_student_edits: int
    db1_payment_flips: int
    db2_payment_flips: int
    db2_new_students: int
    db2_new_payments: int

    @property
    def db1_rows(self) -> int:
        return self.db1_student_edits + self.db1_payment_flips

    @property
    def db2_rows(self) -> int:
        return self.db2_payment_flips + self.db2_new_students + self.db2_new_payments

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "db1_rows": self.db1_rows, "db2_rows": self.db2_rows}


def _keys(dsn: str, query: str) -> list[str]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(query)
            return [str(key) for (key,) in cur.fetchall()]
    finally:
        conn.close()


def _edit_db1(dsn: str, students: list[str], payments: list[str]) -> None:
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "UPDATE universitario SET cnome = left(cnome || ' Editado', 100) WHERE uid = ANY(%s::uuid[])",
                (students,),
            )
            cur.execute(
                "UPDATE pagamento SET cativo = CASE WHEN cativo = '1' THEN '0' ELSE '1' END "
                "WHERE uid = ANY(%s::uuid[])",
                (payments,),
            )
    finally:
        conn.close()


def _edit_db2(dsn: str, generator: Generator, n: int, flips: list[str], k: int) -> int:
    """Flip DB2 payments and add k students and k payments; returns the number of new payments."""
    sizes = Sizes.for_n(n)
    new_students = range(sizes.students, sizes.students + k)
    half = k // 2
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "UPDATE pagamento_plano SET pago = NOT pago, updated_at = now() WHERE id = ANY(%s::uuid[])", (flips,)
            )
            copy_rows(cur, "universitario", STUDENT_COLUMNS, generator.students(new_students.start, k))
            by_new = generator.payments(sizes.payments, half, new_students, range(0))
            by_existing = generator.payments(
                sizes.payments + half, k - half, range(sizes.students), range(sizes.advertisers)
            )
            return copy_rows(cur, "pagamento_plano", PAYMENT_COLUMNS, [*by_new, *by_existing])
    finally:
        conn.close()


def apply_changes(generator: Generator, n: int, db1_dsn: str, db2_dsn: str) -> ChangeCounts:
    """Change about 1% on each side of a synced pair; returns how many rows each kind of change touched."""
    k = max(1, n // 100)
    rng = random.Random(f"{generator.seed}:changes:{n}")
    students = _keys(db1_dsn, "SELECT uid FROM universitario ORDER BY uid")
    payments = _keys(db1_dsn, "SELECT uid FROM pagamento ORDER BY uid")
    edited = rng.sample(students, min(k, len(students)))
    flipped = rng.sample(payments, min(2 * k, len(payments)))
    db1_flips, db2_flips = flipped[: len(flipped) // 2], flipped[len(flipped) // 2 :]
    _edit_db1(db1_dsn, edited, db1_flips)
    new_payments = _edit_db2(db2_dsn, generator, n, db2_flips, k)
    return ChangeCounts(len(edited), len(db1_flips), len(db2_flips), k, new_payments)
