"""Rows with realistic defaults, so each test states only the values it is about."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg2
import psycopg2.extras
from psycopg2 import sql

from tests.job.conftest import Pair

PLAN_ID = "11111111-1111-4111-8111-0000000000aa"


def new_id() -> str:
    return str(uuid.uuid4())


def db1_plan(**values: Any) -> dict[str, Any]:
    return {
        "uid": PLAN_ID,
        "cnome": "Básico",
        "ctipousuario": "universitario",
        "nvalor": Decimal("19.90"),
        "cdescricao": "Plano de entrada",
        **values,
    }


def db2_plan(**values: Any) -> dict[str, Any]:
    return {
        "id": PLAN_ID,
        "nome": "Básico",
        "tipo_conta": "universitario",
        "valor": Decimal("19.90"),
        "descricao": "Plano de entrada",
        **values,
    }


def db2_student(n: int = 1, **values: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "email": f"aluno{n}@example.com",
        "nome": f"Aluno {n}",
        "dne": f"DNE-{n:05d}",
        "dt_nascimento": date(2004, 1, 2),
        "genero": "feminino",
        "prefixo": "+55",
        "telefone": f"11 9{n:04d}-{n % 10000:04d}",
        "municipio": "São Paulo",
        "universidade": "USP",
        "plano_id": None,
        "bio": None,
        **values,
    }


def db2_advertiser(n: int = 1, **values: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "email": f"anunciante{n}@example.com",
        "nome": f"Anunciante {n}",
        "dt_nascimento": date(1980, 5, 6),
        "genero": "masculino",
        "municipio": "Campinas",
        "prefixo": "+55",
        "telefone": f"19 9{n:04d}-{n % 10000:04d}",
        "plano_id": None,
        "bio": None,
        **values,
    }


def db1_student(n: int = 1, **values: Any) -> dict[str, Any]:
    return {
        "uid": new_id(),
        "cdne": f"DNE-{n:05d}",
        "cnome": f"Aluno {n}",
        "cusername": f"aluno.{n}",
        "cemail": f"aluno{n}@example.com",
        "csenha": "$2b$12$" + "x" * 53,
        "ddtnascimento": date(2004, 1, 2),
        "cgenero": "feminino",
        "cmunicipio": "São Paulo",
        "cprefixo": "+55",
        "ctel": f"11 9{n:04d}-{n % 10000:04d}",
        "cplano": "0",
        "cnmfaculdade": "USP",
        "cdescricao": None,
        **values,
    }


def db1_advertiser(n: int = 1, **values: Any) -> dict[str, Any]:
    return {
        "uid": new_id(),
        "cnome": f"Anunciante {n}",
        "cusername": f"anunciante.{n}",
        "cemail": f"anunciante{n}@example.com",
        "csenha": "$2b$12$" + "y" * 53,
        "ddtnascimento": date(1980, 5, 6),
        "cgenero": "masculino",
        "cmunicipio": "Campinas",
        "cprefixo": "+55",
        "ctel": f"19 9{n:04d}-{n % 10000:04d}",
        "cplano": "0",
        "cdescricao": None,
        **values,
    }


def db2_payment(email: str, **values: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "nome": "Pagador",
        "email": email,
        "plano_id": PLAN_ID,
        "pago": False,
        "created_at": datetime(2026, 1, 31, 12, 0, tzinfo=UTC),
        **values,
    }


def db1_payment(**values: Any) -> dict[str, Any]:
    return {
        "uid": new_id(),
        "cativo": "-1",
        "ddtfim": date(2026, 3, 1),
        "npctdesconto": Decimal(0),
        "ntotal": Decimal("19.90"),
        "uid_plano": PLAN_ID,
        **values,
    }


def insert(pair: Pair, side: str, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows (all with the same keys) in one statement."""
    if not rows:
        return
    names = list(rows[0])
    conn = psycopg2.connect(getattr(pair, side))
    try:
        with conn, conn.cursor() as cur:
            statement = sql.SQL("INSERT INTO {} ({}) VALUES %s").format(
                sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(n) for n in names)
            )
            psycopg2.extras.execute_values(cur, statement, [[row[n] for n in names] for row in rows], page_size=1000)
    finally:
        conn.close()


def one(pair: Pair, side: str, query: str, params: Any = None) -> dict[str, Any]:
    conn = psycopg2.connect(getattr(pair, side))
    try:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(query, params)
            rows = cur.fetchall()
    finally:
        conn.close()
    assert len(rows) == 1, f"expected one row, got {len(rows)}"
    return dict(rows[0])


def versions(pair: Pair, side: str, tables: list[str]) -> dict[str, set[tuple[str, str]]]:
    """(key, xmin) of every row: unchanged versions prove that nothing was written."""
    found = {}
    conn = psycopg2.connect(getattr(pair, side))
    try:
        with conn.cursor() as cur:
            for table in tables:
                cur.execute(sql.SQL("SELECT ctid::text, xmin::text FROM {}").format(sql.Identifier(table)))
                found[table] = set(cur.fetchall())
    finally:
        conn.close()
    return found
