"""Seeded, valid benchmark data: DB2 accounts and payments, plans on both sides, DB1 benefits; loaded with COPY.

Every row passes the job's conversions and DB1's constraints, so none is rejected: emails and phones are
unique by construction (they encode the row's index), and every NOT NULL column of DB1 has a DB2 value.
Each table draws from its own `random.Random`, seeded from (seed, table, first index), so the same seed
gives the same rows whatever is generated first.
"""

from __future__ import annotations

import io
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import islice

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from job.bulk import copy_text

Row = tuple[object, ...]

STUDENT_COLUMNS = (
    "id",
    "email",
    "nome",
    "dne",
    "dt_nascimento",
    "genero",
    "prefixo",
    "telefone",
    "municipio",
    "universidade",
    "plano_id",
    "bio",
)
ADVERTISER_COLUMNS = (
    "id",
    "email",
    "nome",
    "dt_nascimento",
    "genero",
    "municipio",
    "prefixo",
    "telefone",
    "plano_id",
    "bio",
)
PAYMENT_COLUMNS = ("id", "nome", "email", "plano_id", "pago", "created_at")
DB1_PLAN_COLUMNS = ("uid", "cnome", "ctipousuario", "nvalor", "cdescricao")
DB2_PLAN_COLUMNS = ("id", "nome", "tipo_conta", "descricao", "valor")
BENEFIT_COLUMNS = ("uid", "cvantagem", "cativo", "uid_plano")

PLANS = (
    ("Básico", "universitario", Decimal("19.90")),
    ("Universitário Plus", "universitario", Decimal("29.90")),
    ("Universitário Premium", "universitario", Decimal("49.90")),
    ("Anunciante Essencial", "anunciante", Decimal("59.90")),
    ("Anunciante Pro", "anunciante", Decimal("99.90")),
)
BENEFITS = ("Destaque na busca", "Chat ilimitado", "Selo verificado", "Suporte prioritário")
FIRST: tuple[str, ...] = (
    "Ana",
    "Bruno",
    "Carla",
    "Diego",
    "Eduarda",
    "Felipe",
    "Gabriela",
    "Heitor",
    "Isabela",
    "João",
)
FIRST += ("Karina", "Lucas", "Mariana", "Nicolas", "Olívia", "Pedro", "Rafaela", "Samuel", "Tainá", "Vinícius")
MIDDLE = ("Maria", "Luiz", "Cristina", "Henrique", "Beatriz", "Augusto", "Helena", "Vitor", "Sofia", "Miguel")
LAST: tuple[str, ...] = (
    "Silva",
    "Souza",
    "Oliveira",
    "Santos",
    "Lima",
    "Pereira",
    "Ferreira",
    "Costa",
    "Rodrigues",
    "Almeida",
)
LAST += ("Nascimento", "Araújo", "Carvalho", "Gomes", "Martins", "Rocha", "Ribeiro", "Barbosa", "Teixeira", "Moura")
CITIES = ("São Paulo", "Campinas", "Rio de Janeiro", "Belo Horizonte", "Curitiba", "Recife", "Porto Alegre")
UNIVERSITIES = ("USP", "Unicamp", "UFRJ", "UFMG", "UFPR", "UFPE", "UFRGS", "PUC-SP")
GENDERS = ("feminino", "masculino", "não-binário", "prefiro não dizer")
DOMAINS = ("example.com", "mail.com.br", "alunos.edu.br", "hestia.app")
PAYMENT_NAMES = ("Pix", "Cartão de crédito", "Boleto", None)
STUDENT_DDD, ADVERTISER_DDD = "11", "21"
COPY_CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class Sizes:
    """Row counts for a benchmark of size N."""

    students: int
    advertisers: int
    payments: int

    @classmethod
    def for_n(cls, n: int) -> Sizes:
        return cls(students=n, advertisers=n // 4, payments=n)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(MIDDLE)} {rng.choice(LAST)}"


def student_email(index: int) -> str:
    """Unique by index; one in 17 has capitals, which the job lower-cases."""
    local = f"Aluno.{index}" if index % 17 == 0 else f"aluno.{index}"
    return f"{local}@{DOMAINS[index % len(DOMAINS)]}"


def advertiser_email(index: int) -> str:
    return f"anunciante.{index}@{DOMAINS[index % len(DOMAINS)]}"


def phone(ddd: str, index: int, style: int) -> str:
    """A unique 11-digit Brazilian mobile for the index, in one of four spellings the job accepts."""
    body = f"9{index // 10_000:04d}{index % 10_000:04d}"
    spellings = (
        f"{ddd} {body[:5]}-{body[5:]}",
        f"({ddd}) {body[:5]}-{body[5:]}",
        f"{ddd}{body}",
        f"+55 {ddd} {body[:5]}-{body[5:]}",
    )
    return spellings[style % len(spellings)]


class Generator:
    """All the benchmark's rows for one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        plan_rng = self._rng("plans")
        self.plan_ids = tuple(_uuid(plan_rng) for _ in PLANS)

    def _rng(self, *part: object) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.seed, *part)))

    def db1_plans(self) -> list[Row]:
        return [
            (pid, name, kind, value, f"Plano {name} para {kind}")
            for pid, (name, kind, value) in zip(self.plan_ids, PLANS, strict=True)
        ]

    def db2_plans(self) -> list[Row]:
        """The same plans in DB2's columns, ids equal to DB1's uids (what a synced DB2 holds)."""
        return [(pid, name, kind, description, value) for pid, name, kind, value, description in self.db1_plans()]

    def benefits(self) -> list[Row]:
        rng = self._rng("benefits")
        return [(_uuid(rng), benefit, rng.choice("01"), pid) for pid in self.plan_ids for benefit in BENEFITS]

    def students(self, start: int, count: int) -> Iterator[Row]:
        rng = self._rng("students", start)
        for index in range(start, start + count):
            birth = date(1995, 1, 1) + timedelta(days=rng.randrange(12 * 365))
            plan = rng.choice(self.plan_ids[:3]) if rng.random() < 0.3 else None
            bio = "Procuro república perto do campus" if rng.random() < 0.2 else None
            yield (
                _uuid(rng),
                student_email(index),
                _name(rng),
                f"DNE{index:010d}",
                birth,
                rng.choice(GENDERS),
                rng.choice(("+55", "55")),
                phone(STUDENT_DDD, index, rng.randrange(4)),
                rng.choice(CITIES),
                rng.choice(UNIVERSITIES),
                plan,
                bio,
            )

    def advertisers(self, start: int, count: int) -> Iterator[Row]:
        rng = self._rng("advertisers", start)
        for index in range(start, start + count):
            birth = date(1960, 1, 1) + timedelta(days=rng.randrange(40 * 365))
            plan = rng.choice(self.plan_ids[3:]) if rng.random() < 0.5 else None
            yield (
                _uuid(rng),
                advertiser_email(index),
                _name(rng),
                birth,
                rng.choice(GENDERS),
                rng.choice(CITIES),
                "+55",
                phone(ADVERTISER_DDD, index, rng.randrange(4)),
                plan,
                "Quartos mobiliados" if rng.random() < 0.5 else None,
            )

    def payments(self, start: int, count: int, students: range, advertisers: range) -> Iterator[Row]:
        """Payments by students (80%) and advertisers (20%) drawn from the given index ranges."""
        rng = self._rng("payments", start)
        first_day = datetime(2025, 1, 1, tzinfo=UTC)
        for _ in range(count):
            if rng.random() < 0.8 or not advertisers:
                email = student_email(rng.choice(students))
            else:
                email = advertiser_email(rng.choice(advertisers))
            created = first_day + timedelta(seconds=rng.randrange(365 * 86_400))
            yield (_uuid(rng), rng.choice(PAYMENT_NAMES), email, rng.choice(self.plan_ids), rng.random() < 0.6, created)


def copy_rows(cur: psycopg2.extensions.cursor, table: str, columns: tuple[str, ...], rows: Iterable[Row]) -> int:
    """COPY rows FROM STDIN, COPY_CHUNK_ROWS per statement so memory stays bounded; returns the row count."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    iterator, total = iter(rows), 0
    while chunk := list(islice(iterator, COPY_CHUNK_ROWS)):
        text = "".join("\t".join(copy_text(v) for v in row) + "\n" for row in chunk)
        cur.copy_expert(statement, io.StringIO(text))
        total += len(chunk)
    return total


def load(generator: Generator, n: int, db1_dsn: str, db2_dsn: str) -> dict[str, int]:
    """Fill an empty DB1 (plans, benefits) and DB2 (plans, accounts, payments) for size N; row counts by table."""
    sizes = Sizes.for_n(n)
    counts: dict[str, int] = {}
    conn = psycopg2.connect(db1_dsn)
    try:
        with conn, conn.cursor() as cur:
            counts["db1.plano"] = copy_rows(cur, "plano", DB1_PLAN_COLUMNS, generator.db1_plans())
            counts["db1.plano_vantagem"] = copy_rows(cur, "plano_vantagem", BENEFIT_COLUMNS, generator.benefits())
    finally:
        conn.close()
    students, advertisers = range(sizes.students), range(sizes.advertisers)
    conn = psycopg2.connect(db2_dsn)
    try:
        with conn, conn.cursor() as cur:
            counts["db2.plano"] = copy_rows(cur, "plano", DB2_PLAN_COLUMNS, generator.db2_plans())
            counts["db2.universitario"] = copy_rows(
                cur, "universitario", STUDENT_COLUMNS, generator.students(0, sizes.students)
            )
            counts["db2.anunciante"] = copy_rows(
                cur, "anunciante", ADVERTISER_COLUMNS, generator.advertisers(0, sizes.advertisers)
            )
            counts["db2.pagamento_plano"] = copy_rows(
                cur, "pagamento_plano", PAYMENT_COLUMNS, generator.payments(0, sizes.payments, students, advertisers)
            )
    finally:
        conn.close()
    return counts
