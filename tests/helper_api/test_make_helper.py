"""mk/helper.mk: `make helper-import` loads only a file it is named, never the demo's credentials."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg2
import pytest

from tests.helper_api.support import REPO, helper_env, password_of


def make_import(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    # -o install: the environment is already synced (make test installs first); no uv run in a test.
    env = helper_env({"HELPER_DATABASE_URL": database_url})
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):  # an outer make's flags and jobserver
        env.pop(name, None)
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), "-o", "install", "helper-import", *args],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip


def stored_emails(database_url: str) -> set[str] | None:
    """The emails in the helper's table, or None when nothing was ever imported (no schema yet)."""
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('helper.credentials') IS NOT NULL")
            if not cur.fetchone()[0]:
                return None
            cur.execute("SELECT email FROM helper.credentials")
            return {row[0] for row in cur.fetchall()}
    finally:
        conn.close()


def own_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("make")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "helper-import: name the file to load: make helper-import CREDENTIALS_CSV=path/to/credentials.csv"),
        (["CREDENTIALS_CSV="], "helper-import: name the file to load"),
        (["CREDENTIALS_CSV=sample/credentials.csv"], "helper-import: sample/credentials.csv holds the demo's"),
        (["CREDENTIALS_CSV=./sample/../sample/credentials.csv"], "is loaded only by make demo and make run-local"),
    ],
    ids=["no-file", "empty", "the-sample", "the-sample-by-another-path"],
)
def test_without_a_named_file_or_with_the_demos_nothing_is_loaded(
    database_url: str, args: list[str], message: str
) -> None:
    result = make_import(database_url, *args)
    assert result.returncode != 0
    [line] = own_lines(result.stderr)
    assert message in line
    assert stored_emails(database_url) is None  # not even migrated: the command never ran


def test_a_named_file_is_loaded(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text("email,password\nreal.user@example.com,Real-pass-1\n", encoding="utf-8")
    result = make_import(database_url, f"CREDENTIALS_CSV={path}")
    assert result.returncode == 0, result.stderr
    assert "1 inserted" in result.stdout
    assert stored_emails(database_url) == {"real.user@example.com"}
    secrets = ["Real-pass-1", *[secret for secret in [password_of(database_url)] if secret]]
    assert all(secret not in result.stdout + result.stderr for secret in secrets)
