"""The schema is created and migrated by the helper, idempotently, even by many processes at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from helper_api.errors import StoreUnavailable
from helper_api.migrations import MIGRATIONS, migrate
from helper_api.settings import Settings
from tests.helper_api.support import helper_env


def tables(database_url: str, schema: str) -> dict[str, list[str]]:
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s "
                "ORDER BY table_name, ordinal_position",
                (schema,),
            )
            found: dict[str, list[str]] = {}
            for table, column in cur.fetchall():
                found.setdefault(table, []).append(column)
            return found
    finally:
        conn.close()


def test_migrate_creates_the_schema_once_and_then_has_nothing_to_do(settings: Settings) -> None:
    assert [m.version for m in migrate(settings)] == [m.version for m in MIGRATIONS]
    assert migrate(settings) == []
    assert tables(settings.database_url.get_secret_value(), "helper") == {
        "credentials": ["email", "password_hash", "photo_url", "updated_at"],
        "schema_migrations": ["version", "description", "applied_at"],
    }


def test_the_schema_name_is_a_setting(settings: Settings) -> None:
    custom = settings.model_copy(update={"db_schema": "creds_v2"})
    migrate(custom)
    assert set(tables(settings.database_url.get_secret_value(), "creds_v2")) == {"credentials", "schema_migrations"}
    assert tables(settings.database_url.get_secret_value(), "helper") == {}


def test_processes_migrating_at_the_same_moment_apply_each_migration_exactly_once(
    settings: Settings, tmp_path: Path
) -> None:
    env = helper_env({"HELPER_DATABASE_URL": settings.database_url.get_secret_value()})
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "helper_api", "migrate"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0] * 6, outputs
    stdouts = [out.strip() for out, _ in outputs]
    assert stdouts.count("schema helper: applied migration(s) 1 (credentials table)") == 1
    assert stdouts.count("schema helper: already up to date") == 5


@pytest.mark.parametrize(
    ("row", "constraint"),
    [
        (("Upper@example.com", "$2b$04$" + "a" * 53, None), "credentials_email_check"),
        (("a@example.com", "plaintext", None), "credentials_password_hash_check"),
        (("a@example.com", "$2b$04$" + "a" * 53, "ftp://x"), "credentials_photo_url_check"),
    ],
)
def test_the_table_refuses_rows_the_api_could_not_serve(settings: Settings, row: tuple, constraint: str) -> None:
    migrate(settings)
    conn = psycopg2.connect(settings.database_url.get_secret_value())
    try:
        with pytest.raises(psycopg2.errors.CheckViolation, match=constraint), conn.cursor() as cur:
            cur.execute("INSERT INTO helper.credentials (email, password_hash, photo_url) VALUES (%s, %s, %s)", row)
    finally:
        conn.close()


def test_an_unreachable_database_is_store_unavailable_naming_host_not_password(settings: Settings) -> None:
    broken = settings.model_copy(
        update={"database_url": type(settings.database_url)("postgresql://u:pw-Secret9@127.0.0.1:1/x")}
    )
    with pytest.raises(StoreUnavailable) as caught:
        migrate(broken)
    assert "127.0.0.1:1/x" in str(caught.value)
    assert "pw-Secret9" not in str(caught.value)
