"""Benchmark (make bench): a full run over tens of thousands of rows. Prints figures; asserts only correctness."""

from __future__ import annotations

import resource
import time

import pytest

from job.engine import execute
from job.flows import FLOWS
from tests.job.builders import db1_plan, db2_payment, db2_plan, db2_student, insert

pytestmark = pytest.mark.bench

ROWS = 20_000


def test_bench_full_run_over_twenty_thousand_accounts_and_payments(pair, helper, make_settings):
    insert(pair, "db1", "plano", [db1_plan()])
    insert(pair, "db2", "plano", [db2_plan()])
    students = [db2_student(n) for n in range(1, ROWS + 1)]
    for n, student in enumerate(students):
        student["telefone"] = f"11 9{n // 10000:04d}-{n % 10000:04d}"
    for start in range(0, ROWS, 5000):
        insert(pair, "db2", "universitario", students[start : start + 5000])
        insert(
            pair, "db2", "pagamento_plano", [db2_payment(s["email"], pago=True) for s in students[start : start + 5000]]
        )
    settings = make_settings(pair)

    started = time.perf_counter()
    first = execute(settings, "run", FLOWS)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = execute(settings, "run", FLOWS)
    second_s = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    assert first.total("inserted") == 2 * ROWS
    assert first.exit_code == 0
    assert second.total("inserted") == 0
    assert second.total("updated") == 0
    print(
        f"\nfirst run: {2 * ROWS} rows inserted in {first_s:.1f}s ({2 * ROWS / first_s:,.0f} rows/s), "
        f"{first.total('statements')} SQL statements, {first.total('helper_requests')} helper requests"
        f"\nsecond run (no changes): {second_s:.1f}s, {second.total('statements')} statements, nothing written"
        f"\npeak RSS of the test process: {peak_mib:.0f} MiB (batch size {settings.batch_size})"
    )
