"""Fixtures shared by every test: one PostgreSQL server per session, fresh databases per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helper_api.support import DUMMY_DB_PASSWORD
from tests.helper_api.support import TOKEN as HELPER_TEST_TOKEN
from tests.support import secrets
from tests.support.helper_server import TOKEN as JOB_TEST_TOKEN
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


def _always_secret(watch: secrets.SecretWatch) -> None:
    watch.secret(JOB_TEST_TOKEN, "the job tests' helper token")
    watch.secret(HELPER_TEST_TOKEN, "the helper tests' API token")
    watch.secret(DUMMY_DB_PASSWORD, "the helper tests' database password")
    for password in secrets.demo_plaintext_passwords():
        watch.secret(password, "a demo plaintext password")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _always_secret(secrets.reset())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """After a test's call: fail it if a watched secret is in its output, logs or state tables."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.passed:
        return
    watch = secrets.current()
    for value in getattr(item, "funcargs", {}).values():
        for side in ("db1", "db2"):
            dsn = getattr(value, side, None)
            if isinstance(dsn, str) and dsn.startswith("postgresql://"):
                watch.watch_state(dsn)
        for password_hash, _photo in getattr(getattr(value, "state", None), "known", {}).values():
            watch.secret(password_hash, "a password hash the helper answered")
    leaks = watch.leaks([(f"captured {name}", text) for name, text in report.sections])
    if leaks:
        report.outcome = "failed"
        report.longrepr = "secret leaked: " + "; ".join(leaks)
