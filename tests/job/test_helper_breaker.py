"""A helper that stops answering costs a few requests, not a few per row; a rate-limited one is waited for."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from loguru import logger
from pydantic import SecretStr

from job.engine import execute
from job.events import Event
from job.flows import select_flows
from job.helper_client import HelperClient
from tests.job.builders import db2_student, insert
from tests.job.cli import cli_env, run_cli
from tests.support.helper_server import TOKEN, Failure

BREAKER_REASON = "not asked again this run"


def client(url: str, **options: object) -> HelperClient:
    settings: dict[str, object] = {"batch_size": 2, "concurrency": 1, "retries": 1, "backoff_s": 0.0, **options}
    return HelperClient(url, SecretStr(TOKEN), **settings)  # type: ignore[arg-type]


def emails(count: int) -> list[str]:
    return [f"person{n}@example.com" for n in range(count)]


@pytest.fixture
def breaker_logs() -> Iterator[list[str]]:
    """The messages of every helper_breaker_open line logged during the test."""
    lines: list[str] = []
    sink = logger.add(
        lambda message: lines.append(str(message.record["message"])),
        filter=lambda record: record["extra"].get("event") == Event.HELPER_BREAKER_OPEN,
        level="DEBUG",
    )
    yield lines
    logger.remove(sink)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    "failure",
    [Failure(status=503), Failure(status=500), Failure(status=200, delay_s=1.0)],
    ids=["503", "500", "timeout"],
)
def test_after_three_chunks_in_a_row_fail_the_client_stops_asking_and_every_other_email_is_unavailable(
    helper, breaker_logs, failure
):
    helper.state.fail_always = failure

    with client(helper.url, timeout_s=0.2) as helper_client:
        first = helper_client.lookup(emails(20))
        second = helper_client.lookup(emails(40)[20:])

    assert helper.state.requests == 3 * 2  # three chunks, one try and one retry each, then nothing
    assert not first.found
    assert len(first.unavailable) == 20
    breaker = {email for email, reason in first.unavailable.items() if BREAKER_REASON in reason}
    assert breaker == set(emails(20)[6:])
    assert set(second.unavailable) == set(emails(40)[20:])
    assert all(BREAKER_REASON in reason for reason in second.unavailable.values())
    assert len(breaker_logs) == 1
    assert "3 consecutive failures" in breaker_logs[0]


def test_refused_connections_open_the_breaker_too(breaker_logs):
    with client(f"http://127.0.0.1:{closed_port()}") as helper_client:
        result = helper_client.lookup(emails(20))

        assert helper_client.requests_sent == 3 * 2
    reason = result.unavailable[emails(20)[-1]]
    assert reason.startswith("the helper API stopped answering (3 consecutive failures: cannot reach the helper API")
    assert reason.endswith("; not asked again this run")
    assert len(breaker_logs) == 1


def test_an_answered_chunk_resets_the_count_so_scattered_failures_never_open_the_breaker(helper, breaker_logs):
    helper.state.failures.extend([Failure(status=503), None] * 3)

    with client(helper.url, retries=0, breaker_threshold=2) as helper_client:
        result = helper_client.lookup(emails(12))

    assert helper.state.requests == 6
    assert set(result.found) == {e for i, e in enumerate(emails(12)) if (i // 2) % 2 == 1}
    assert all(BREAKER_REASON not in reason for reason in result.unavailable.values())
    assert breaker_logs == []


def test_chunks_that_have_not_started_send_nothing_once_the_breaker_is_open(helper, breaker_logs):
    helper.state.fail_always = Failure(status=503)
    threshold, retries, concurrency = 3, 2, 4

    with client(helper.url, concurrency=concurrency, retries=retries, breaker_threshold=threshold) as helper_client:
        result = helper_client.lookup(emails(80))

    # The chunks in flight when it opens may finish their current attempt; no other chunk starts.
    assert threshold * (retries + 1) <= helper.state.requests <= (threshold + concurrency - 1) * (retries + 1)
    assert len(result.unavailable) == 80
    assert len(breaker_logs) == 1


def test_429s_with_a_retry_after_spend_no_retry_and_never_open_the_breaker(helper, breaker_logs):
    # Fractional seconds keep the test fast; the client honours any non-negative number.
    helper.state.failures.extend([Failure(status=429, retry_after="0.01")] * 10)

    with client(helper.url, retries=0, breaker_threshold=1) as helper_client:
        result = helper_client.lookup(emails(6))

    assert set(result.found) == set(emails(6))
    assert helper.state.requests == 10 + 3
    assert breaker_logs == []


def test_429s_without_a_pace_spend_the_ordinary_retries_and_still_never_open_the_breaker(helper, breaker_logs):
    helper.state.fail_always = Failure(status=429, retry_after="0")

    with client(helper.url, retries=1, breaker_threshold=1) as helper_client:
        result = helper_client.lookup(emails(10))

    assert helper.state.requests == 5 * 2
    assert set(result.unavailable.values()) == {"the helper API answered 429 (after 2 attempts)"}
    assert breaker_logs == []


def test_the_429s_one_chunk_waits_for_are_bounded_by_its_rate_limit_budget(helper):
    helper.state.fail_always = Failure(status=429, retry_after="0.01")

    with client(helper.url, retries=1, rate_limit_budget_s=5) as helper_client:
        result = helper_client.lookup(emails(2))

    # Each 429 is charged at least a second: five within the budget, then the ordinary try and retry.
    assert helper.state.requests == 5 + 2
    assert set(result.unavailable.values()) == {"the helper API answered 429 (after 7 attempts)"}


def test_a_dead_helper_costs_a_bounded_number_of_requests_every_student_is_deferred_and_the_next_run_creates_them(
    pair, helper, tmp_path
):
    students = [db2_student(n) for n in range(1, 151)]
    insert(pair, "db2", "universitario", students)
    helper.state.fail_always = Failure(status=503)
    retries, concurrency, threshold = 2, 4, 3
    env = cli_env(
        pair,
        helper.url,
        TOKEN,
        JOB_BATCH_SIZE="50",
        JOB_HELPER_BATCH_SIZE="5",
        JOB_HELPER_RETRIES=str(retries),
        JOB_HELPER_CONCURRENCY=str(concurrency),
    )

    dead = run_cli(["run", "--flow", "students"], env, tmp_path)

    assert dead.code == 3, dead.stderr
    # 3 pages of 10 chunks would cost 90 requests without the breaker.
    assert helper.state.requests <= (threshold + concurrency - 1) * (retries + 1)
    assert len(dead.events(Event.HELPER_BREAKER_OPEN)) == 1
    deferred = pair.rows("db2", "SELECT kind, reason FROM hestia_sync.rejections WHERE resolved_at IS NULL")
    assert len(deferred) == 150
    assert {kind for kind, _ in deferred} == {"deferred"}
    assert all(reason.startswith("helper API unavailable: ") for _, reason in deferred)
    assert sum(BREAKER_REASON in reason for _, reason in deferred) >= 150 - (threshold + concurrency - 1) * 5
    assert pair.rows("db1", "SELECT count(*) FROM universitario") == [(0,)]

    helper.state.fail_always = None
    healthy = run_cli(["run", "--flow", "students"], env, tmp_path)

    assert healthy.code == 0, healthy.stderr
    assert pair.rows("db1", "SELECT count(*) FROM universitario") == [(150,)]
    assert pair.rows("db2", "SELECT count(*) FROM hestia_sync.rejections WHERE resolved_at IS NULL") == [(0,)]
    assert healthy.events(Event.HELPER_BREAKER_OPEN) == []


def test_a_rate_limited_helper_is_waited_for_and_every_student_is_created(pair, helper, make_settings, breaker_logs):
    insert(pair, "db2", "universitario", [db2_student(n) for n in range(1, 31)])
    helper.state.failures.extend([Failure(status=429, retry_after="0.01")] * 12)
    settings = make_settings(pair, JOB_HELPER_BATCH_SIZE=5, JOB_HELPER_RETRIES=0)

    report = execute(settings, "run", select_flows(["students"]))

    assert report.exit_code == 0
    assert report.total("inserted") == 30
    assert helper.state.requests == 12 + 6
    assert breaker_logs == []
