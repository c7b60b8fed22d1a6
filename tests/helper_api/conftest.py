"""Fixtures for the helper API: a fresh database per test, the app and its client, a real gunicorn."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import psycopg2
import pytest
from flask import Flask
from flask.testing import FlaskClient
from psycopg2.extras import execute_values

from helper_api import create_app
from helper_api.db import close_pool
from helper_api.settings import Settings
from tests.helper_api.support import TOKEN, GunicornServer, start_gunicorn, with_password
from tests.support.postgres import PgServer

# A few bcrypt hashes made once: hashing at cost 4 is fast, but not free.
KNOWN = {
    "ana.souza@example.com": ("Ana-pass-1", "https://images.example.com/ana.jpg"),
    "bruno.lima@example.com": ("Bruno-pass-2", None),
}


@pytest.fixture(autouse=True)
def _no_helper_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("HELPER_"):
            monkeypatch.delenv(name)


@pytest.fixture
def database_url(pg_server: PgServer) -> str:
    """A fresh, empty database (with a password in the URI when the server ignores it, to catch leaks)."""
    return with_password(pg_server.create_database("helper"))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        api_tokens=f"{TOKEN},old-token-still-valid",
        bcrypt_rounds=4,
        _env_file=None,
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    yield app
    close_pool(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def known_hashes() -> dict[str, str]:
    return {email: bcrypt.hashpw(pw.encode(), bcrypt.gensalt(4)).decode() for email, (pw, _) in KNOWN.items()}


@pytest.fixture
def seeded(app: Flask, settings: Settings, known_hashes: dict[str, str]) -> dict[str, str]:
    """KNOWN stored in the app's database; returns the stored hash by email."""
    insert_credentials(
        settings.database_url.get_secret_value(),
        [(email, known_hashes[email], photo) for email, (_, photo) in KNOWN.items()],
    )
    return known_hashes


def insert_credentials(database_url: str, rows: list[tuple[str, str, str | None]], schema: str = "helper") -> None:
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            execute_values(cur, f"INSERT INTO {schema}.credentials (email, password_hash, photo_url) VALUES %s", rows)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def gunicorn_database(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    return with_password(pg_server.create_database("helper_gunicorn"))


@pytest.fixture(scope="module")
def gunicorn(gunicorn_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    """The real service: gunicorn with the repository's config, on a free 127.0.0.1 port."""
    workdir: Path = tmp_path_factory.mktemp("gunicorn")
    with start_gunicorn(workdir, {"HELPER_DATABASE_URL": gunicorn_database}) as server:
        yield server
