"""Benchmark (not a timed test): 1,000 emails looked up in batches against 1,000 single requests,
through gunicorn over HTTP. Run with `make bench` or `pytest -m bench -s tests/helper_api`."""

from __future__ import annotations

import time
from collections.abc import Iterator

import bcrypt
import httpx
import pytest

from helper_api.limits import MAX_BATCH
from tests.helper_api.conftest import insert_credentials
from tests.helper_api.support import TOKEN, GunicornServer, start_gunicorn, with_password
from tests.support.postgres import PgServer

pytestmark = pytest.mark.bench

EMAILS = 1000
BATCH_ROUNDS = 10
EMAIL_LIST = [f"student{i:04d}@example.com" for i in range(EMAILS)]


@pytest.fixture(scope="module")
def bench_service(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    database_url = with_password(pg_server.create_database("helper_bench"))
    overrides = {"HELPER_DATABASE_URL": database_url, "HELPER_RATE_LIMIT_PER_MINUTE": "0"}
    with start_gunicorn(tmp_path_factory.mktemp("bench"), overrides) as server:
        password_hash = bcrypt.hashpw(b"bench", bcrypt.gensalt(4)).decode()
        # Every other email is known, as in a real run where some accounts are new.
        insert_credentials(database_url, [(email, password_hash, None) for email in EMAIL_LIST[::2]])
        yield server


def report(label: str, requests: int, emails: int, seconds: float) -> None:
    print(
        f"\n{label:<34} {requests:>5} requests  {emails:>6} emails  {seconds:7.3f} s  "
        f"{requests / seconds:9.1f} requests/s  {emails / seconds:9.1f} emails/s"
    )


def test_bench_batch_lookups_against_single_lookups(bench_service: GunicornServer) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=bench_service.base_url, headers=headers, timeout=30.0) as client:
        for _ in range(20):  # warm up connections and pools in the workers
            client.post("/lookup-batch", json={"emails": EMAIL_LIST[:10]}).raise_for_status()

        known = 0
        started = time.perf_counter()
        for _ in range(BATCH_ROUNDS):
            for start in range(0, EMAILS, MAX_BATCH):
                response = client.post("/lookup-batch", json={"emails": EMAIL_LIST[start : start + MAX_BATCH]})
                response.raise_for_status()
                known += sum(result["known"] for result in response.json()["results"])
        batch_s = (time.perf_counter() - started) / BATCH_ROUNDS

        single_known = 0
        started = time.perf_counter()
        for email in EMAIL_LIST:
            response = client.post("/get-password", json={"email": email})
            single_known += response.status_code == 200
        single_s = time.perf_counter() - started

    assert known == BATCH_ROUNDS * EMAILS // 2
    assert single_known == EMAILS // 2
    batches = EMAILS // MAX_BATCH
    report(f"lookup-batch ({batches} x {MAX_BATCH}, mean of {BATCH_ROUNDS})", batches, EMAILS, batch_s)
    report("get-password (1 per email)", EMAILS, EMAILS, single_s)
    print(f"batch is {single_s / batch_s:.1f}x faster per email")
