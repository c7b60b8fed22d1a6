"""Passwords with every awkward character: encoded they log in, unencoded they are refused, never shown.

A throwaway cluster authenticates with scram-sha-256, so a password that reaches the server encoded wrongly
fails for real, and one encoded right proves it logs in. The suite's secret watch (tests/support/secrets.py)
fails any test here whose output or state tables hold a password, raw, percent-encoded or in pieces.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from psycopg2 import sql

from devstack.localpg import LocalCluster, LocalPostgresUnavailable
from tests.job.cli import cli_env, run_cli
from tests.support import secrets
from tests.support.helper_server import TOKEN

ROOT = Path(__file__).resolve().parents[2]
SUPERUSER_PASSWORD = "Sup3r@Secret/Zq9x:%é"
PASSWORDS = {
    "at": "Pw1@Zq9xSecret@more",
    "slash": "Leak/Part9x/tail",
    "colon": "Colon:Part7k:tail",
    "percent": "Per%cent%2F%zzXk",
    "space": "Spa ce Pw8 tail",
    "non-ascii": "Não-ASCII-ü密码",
    "everything": "@/:% #?é&=Mix3d",
}


class ScramPair:
    """DB1 and DB2 on a scram-sha-256 cluster, and a role per password that may use both."""

    def __init__(self, cluster: LocalCluster) -> None:
        self.cluster = cluster
        self.db1 = cluster.create_database("scram_db1", [ROOT / "schema/db1.sql"])
        self.db2 = cluster.create_database("scram_db2", [ROOT / "schema/db2.sql"])
        admin = psycopg2.connect(cluster.dsn())
        admin.autocommit = True
        with admin.cursor() as cur:
            for name, password in PASSWORDS.items():
                role = f"job_{name.replace('-', '_')}"
                cur.execute(
                    sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD %s").format(sql.Identifier(role)), (password,)
                )
        admin.close()

    def uri(self, db: str, name: str, password: str, encode: bool = True) -> str:
        secret = quote(password, safe="") if encode else password
        return f"postgresql://job_{name.replace('-', '_')}:{secret}@127.0.0.1:{self.cluster.port}/{db}"


@pytest.fixture(scope="module")
def scram() -> Iterator[ScramPair]:
    try:
        cluster = LocalCluster(password=SUPERUSER_PASSWORD).start()
    except LocalPostgresUnavailable as exc:
        pytest.skip(f"no local PostgreSQL binaries for a scram-sha-256 cluster: {exc}")
    try:
        yield ScramPair(cluster)
    finally:
        cluster.stop()


@pytest.fixture(autouse=True)
def _watch_the_passwords(scram: ScramPair) -> None:
    watch = secrets.current()
    watch.secret(SUPERUSER_PASSWORD, "the scram cluster's superuser password")
    for name, password in PASSWORDS.items():
        watch.secret(password, f"the {name} password")
    watch.watch_state(scram.cluster.dsn("scram_db2"))


def _env(scram: ScramPair, uri_1: str, uri_2: str) -> dict[str, str]:
    return {**cli_env(scram, "http://127.0.0.1:9", TOKEN), "URI_BANCO_1": uri_1, "URI_BANCO_2": uri_2}


@pytest.mark.parametrize("name", list(PASSWORDS))
def test_a_percent_encoded_password_of_any_kind_logs_in_and_syncs(scram: ScramPair, name: str) -> None:
    password = PASSWORDS[name]
    env = _env(scram, scram.uri("scram_db1", name, password), scram.uri("scram_db2", name, password))
    done = run_cli(["run", "--flow", "plans"], env, ROOT)
    assert done.code == 0, done.stderr
    status = run_cli(["status", "--json"], env, ROOT)
    assert status.code == 0, status.stderr
    assert json.loads(status.stdout)["runs"][0]["status"] == "ok"


@pytest.mark.parametrize("name", ["at", "slash", "percent", "space", "everything"])
def test_an_unencoded_password_that_libpq_would_misread_is_a_configuration_error(scram: ScramPair, name: str) -> None:
    password = PASSWORDS[name]
    env = _env(scram, scram.uri("scram_db1", name, password, encode=False), scram.uri("scram_db2", name, password))
    done = run_cli(["run"], env, ROOT)
    assert done.code == 2, done.stderr
    [problem] = [event["message"] for event in done.events("configuration_error")]
    assert problem.startswith("configuration error: URI_BANCO_1: ")
    assert "percent-encode" in problem


@pytest.mark.parametrize("name", ["colon", "non-ascii"])
def test_an_unencoded_password_libpq_reads_as_written_still_logs_in(scram: ScramPair, name: str) -> None:
    password = PASSWORDS[name]
    uri_1 = scram.uri("scram_db1", name, password, encode=False)
    env = _env(scram, uri_1, scram.uri("scram_db2", name, password))
    done = run_cli(["run", "--flow", "plans"], env, ROOT)
    assert done.code == 0, done.stderr


def test_a_wrong_password_fails_with_a_reason_that_names_the_database_and_never_a_password(scram: ScramPair) -> None:
    env = _env(
        scram,
        scram.uri("scram_db1", "everything", "Wrong" + PASSWORDS["everything"]),
        scram.uri("scram_db2", "everything", PASSWORDS["everything"]),
    )
    secrets.current().secret("Wrong" + PASSWORDS["everything"], "the wrong password")
    done = run_cli(["run"], env, ROOT)
    assert done.code == 1, done.stderr
    errors = " ".join(e["message"] for e in done.events("run_error"))
    assert "cannot connect to DB1 at postgresql://job_everything@127.0.0.1:" in errors
    assert "the server refused the user name or password" in errors
    status = run_cli(["status", "--json"], env, ROOT)
    assert "the server refused the user name or password" in json.loads(status.stdout)["runs"][0]["error"]


def test_a_host_that_does_not_resolve_is_reported_without_quoting_the_uri(scram: ScramPair) -> None:
    password = PASSWORDS["at"]
    env = _env(
        scram,
        f"postgresql://job_at:{quote(password, safe='')}@no-such-host.invalid:5432/db1",
        scram.uri("scram_db2", "at", password),
    )
    done = run_cli(["run"], env, ROOT)
    assert done.code == 1, done.stderr
    errors = " ".join(e["message"] for e in done.events("run_error"))
    assert "the host name does not resolve" in errors
    assert "postgresql://job_at@no-such-host.invalid:5432/db1" in errors
