"""Fixtures for the job's tests: a fresh DB1 and DB2 per test, a helper server, settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from job.settings import JobSettings
from tests.support.helper_server import TOKEN, HelperServer
from tests.support.postgres import PgServer

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Pair:
    """DB1 and DB2 for one test, with small helpers to state and read rows."""

    db1: str
    db2: str

    def execute(self, side: str, statement: str, params: Any = None) -> None:
        with psycopg2.connect(getattr(self, side)) as conn, conn.cursor() as cur:
            cur.execute(statement, params)
        conn.close()

    def rows(self, side: str, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        conn = psycopg2.connect(getattr(self, side))
        try:
            with conn.cursor() as cur:
                cur.execute(query, params)
                return list(cur.fetchall())
        finally:
            conn.close()


@pytest.fixture(scope="session")
def schema_templates(pg_server: PgServer) -> tuple[str, str]:
    return (
        pg_server.create_template("tmpl_db1", [ROOT / "schema/db1.sql"]),
        pg_server.create_template("tmpl_db2", [ROOT / "schema/db2.sql"]),
    )


@pytest.fixture(scope="session")
def sample_templates(pg_server: PgServer) -> tuple[str, str]:
    return (
        pg_server.create_template("tmpl_sample_db1", [ROOT / "schema/db1.sql", ROOT / "sample/db1.sql"]),
        pg_server.create_template("tmpl_sample_db2", [ROOT / "schema/db2.sql", ROOT / "sample/db2.sql"]),
    )


@pytest.fixture
def pair(pg_server: PgServer, schema_templates: tuple[str, str]) -> Pair:
    """Empty DB1 and DB2 with the users' schemas."""
    return Pair(
        pg_server.create_database("db1", schema_templates[0]), pg_server.create_database("db2", schema_templates[1])
    )


@pytest.fixture
def sample_pair(pg_server: PgServer, sample_templates: tuple[str, str]) -> Pair:
    """DB1 and DB2 loaded with the sample data set that `make demo` uses."""
    return Pair(
        pg_server.create_database("db1", sample_templates[0]), pg_server.create_database("db2", sample_templates[1])
    )


@pytest.fixture
def helper() -> Iterator[HelperServer]:
    with HelperServer() as server:
        yield server


@pytest.fixture
def make_settings(helper: HelperServer) -> Callable[..., JobSettings]:
    def build(pair: Pair, **overrides: Any) -> JobSettings:
        values: dict[str, Any] = {
            "URI_BANCO_1": pair.db1,
            "URI_BANCO_2": pair.db2,
            "HELPER_API_URL": helper.url,
            "HELPER_API_TOKEN": TOKEN,
            "JOB_HELPER_BACKOFF_S": 0.01,
            "JOB_HELPER_RETRIES": 2,
            "JOB_HELPER_TIMEOUT_S": 2,
        }
        values.update(overrides)
        return JobSettings(_env_file=None, **values)

    return build
