"""Fixtures shared by every test: one PostgreSQL server per session, fresh databases per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.postgres import PgServer, provide_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server for the session (TEST_DATABASE_URL, a container, or local binaries)."""
    with provide_server() as server:
        yield server


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the environment: no test sees what the developer's shell exported."""
    for name in (
        "URI_BANCO_1",
        "URI_BANCO_2",
        "HELPER_API_URL",
        "HELPER_API_TOKEN",
        "HELPER_API_TOKENS",
        "HELPER_DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
