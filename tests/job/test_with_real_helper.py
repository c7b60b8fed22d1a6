"""The job against the real helper API under gunicorn: the two sides of the batch contract agree."""

from __future__ import annotations

import contextlib
import subprocess
import sys

import bcrypt

from job.engine import execute
from job.flows import select_flows
from job.resolvers import UNUSABLE_PASSWORD
from tests.helper_api.support import TOKEN, helper_env, start_gunicorn
from tests.job.builders import db2_student, insert, one


def test_new_accounts_get_the_hash_and_photo_the_real_helper_stores(pg_server, pair, make_settings, tmp_path):
    helper_db = pg_server.create_database("helper")
    env = {"HELPER_DATABASE_URL": helper_db, "HELPER_API_TOKENS": TOKEN, "HELPER_BCRYPT_ROUNDS": "4"}
    csv = tmp_path / "credentials.csv"
    csv.write_text("email,password,photo_url\nknown@example.com,Known-pass-1,https://img.example.com/k.png\n")
    imported = subprocess.run(
        [sys.executable, "-m", "helper_api", "import-credentials", str(csv)],
        env=helper_env(env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    known, unknown = db2_student(1, email="Known@Example.com"), db2_student(2, email="stranger@example.com")
    insert(pair, "db2", "universitario", [known, unknown])

    with contextlib.ExitStack() as stack:
        server = stack.enter_context(start_gunicorn(tmp_path, env))
        report = execute(
            make_settings(pair, HELPER_API_URL=server.base_url, HELPER_API_TOKEN=TOKEN),
            "run",
            select_flows(["students"]),
        )

    assert report.exit_code == 0
    row = one(pair, "db1", "SELECT csenha, cfotoperfil FROM universitario WHERE uid = %s", (known["id"],))
    assert bcrypt.checkpw(b"Known-pass-1", row["csenha"].encode())
    assert row["cfotoperfil"] == "https://img.example.com/k.png"
    stranger = one(pair, "db1", "SELECT csenha, cfotoperfil FROM universitario WHERE uid = %s", (unknown["id"],))
    assert stranger["csenha"] == UNUSABLE_PASSWORD
    assert stranger["cfotoperfil"].startswith("http")
    assert "stranger" not in stranger["cfotoperfil"]
