"""Set-based, not row-by-row: statements and helper requests grow with batches, never with rows."""

from __future__ import annotations

import math

from job.engine import execute
from job.flows import FLOWS
from tests.job.builders import PLAN_ID, db1_plan, db2_payment, db2_plan, db2_student, insert


def _add_students_with_payments(pair, first: int, count: int) -> None:
    students = [db2_student(n) for n in range(first, first + count)]
    insert(pair, "db2", "universitario", students)
    insert(pair, "db2", "pagamento_plano", [db2_payment(s["email"], pago=n % 2 == 0) for n, s in enumerate(students)])


def test_statement_count_stays_flat_when_the_row_count_grows_tenfold(pair, helper, make_settings):
    insert(pair, "db1", "plano", [db1_plan()])
    insert(pair, "db2", "plano", [db2_plan()])
    settings = make_settings(pair, JOB_BATCH_SIZE=5000, JOB_HELPER_BATCH_SIZE=500)
    _add_students_with_payments(pair, 1, 150)
    small = execute(settings, "run", FLOWS, full=True)
    _add_students_with_payments(pair, 151, 1350)

    large = execute(settings, "run", FLOWS, full=True)

    assert (small.total("inserted"), large.total("inserted")) == (300, 2700)
    assert large.exit_code == 0
    for before, after in zip(small.flows, large.flows, strict=True):
        assert after.total("statements") == before.total("statements"), after.flow
    assert small.total("helper_requests") == 1
    assert large.total("helper_requests") == math.ceil(1350 / 500)


def test_a_run_with_nothing_changed_sends_the_same_statements_whatever_the_row_count(pair, helper, make_settings):
    insert(pair, "db1", "plano", [db1_plan()])
    insert(pair, "db2", "plano", [db2_plan()])
    settings = make_settings(pair, JOB_BATCH_SIZE=100)
    _add_students_with_payments(pair, 1, 100)
    execute(settings, "run", FLOWS)
    small = execute(settings, "run", FLOWS)
    _add_students_with_payments(pair, 101, 2000)
    execute(settings, "run", FLOWS)

    large = execute(settings, "run", FLOWS)

    assert (small.total("inserted") + small.total("updated"), large.total("inserted") + large.total("updated")) == (
        0,
        0,
    )
    assert large.total("statements") == small.total("statements")
    assert (small.total("helper_requests"), large.total("helper_requests")) == (0, 0)


def test_statements_grow_by_a_fixed_number_per_batch(pair, helper, make_settings):
    insert(pair, "db1", "plano", [db1_plan()])
    insert(pair, "db2", "plano", [db2_plan(id=PLAN_ID)])
    _add_students_with_payments(pair, 1, 1000)

    report = execute(make_settings(pair, JOB_BATCH_SIZE=100), "run", FLOWS)

    students = next(flow for flow in report.flows if flow.flow == "students")
    batches = math.ceil(1000 / 100)
    # Per batch: create = read page, fetch target rows, the unique-index check, usernames, staging table, COPY,
    # SAVEPOINT and INSERT, RELEASE; update = read page, fetch target rows. Plus a fixed dozen per step
    # (metadata, snapshots, watermarks, the job's own write ids, state).
    assert students.total("statements") <= 10 * batches + 2 * 12
    assert report.total("inserted") == 2000
