"""The OpenAPI document matches the service: schemathesis generates requests from it, valid and invalid,
sends them to the real gunicorn service and checks every response against it (status codes, bodies,
headers, authentication, 405s)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from helper_api.openapi import document
from tests.helper_api.conftest import KNOWN, insert_credentials
from tests.helper_api.support import TOKEN, GunicornServer, start_gunicorn, with_password
from tests.support.postgres import PgServer

MAX_EXAMPLES = 30  # per operation and phase: the whole run stays well under a minute

CONFIG = schemathesis.Config.from_dict({
    # Valid and invalid data, plus the coverage phase: boundary values, missing or wrong headers,
    # undeclared methods.
    "generation": {"mode": "all"},
    "phases": {"coverage": {"enabled": True}},
    # A body over 64 KiB is refused with 413 (documented) whatever it holds; JSON Schema cannot say so.
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "404", "413"]}},
})  # fmt: skip
# The served document is checked to be this very one below, so building it here needs no server.
schema = schemathesis.openapi.from_dict(document(), config=CONFIG)


@pytest.fixture(scope="module")
def service(
    pg_server: PgServer, known_hashes: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GunicornServer]:
    database_url = with_password(pg_server.create_database("helper_openapi"))
    # No rate limits here: schemathesis sends hundreds of requests with one token, and dozens with a wrong
    # or missing one from the same address, each expecting a 401 (test_hostile_clients pins the 429s).
    overrides = {
        "HELPER_DATABASE_URL": database_url,
        "HELPER_RATE_LIMIT_PER_MINUTE": "0",
        "HELPER_AUTH_FAILURES_PER_MINUTE": "0",
    }
    with start_gunicorn(tmp_path_factory.mktemp("openapi"), overrides) as server:
        insert_credentials(database_url, [(email, known_hashes[email], photo) for email, (_, photo) in KNOWN.items()])
        yield server


def test_the_service_serves_this_document(service: GunicornServer) -> None:
    assert httpx.get(f"{service.base_url}/openapi.json", timeout=10.0).json() == document()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)  # fmt: skip
def test_the_service_behaves_as_its_openapi_document_says(case: schemathesis.Case, service: GunicornServer) -> None:
    case.call_and_validate(base_url=service.base_url, headers={"Authorization": f"Bearer {TOKEN}"})
