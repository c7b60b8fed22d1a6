"""Five runs started at once on the same pair: exactly one syncs; the other four write nothing and exit 4 as soon
as they find the lock taken, without waiting for it.

The run that takes the lock is held at a gate (a SHARE lock on DB2's plano, the first table it writes) until the
other four have ended: had they waited for the lock, they could not end first, and the test would time out.
"""

from __future__ import annotations

import psycopg2

from tests.faults.compare import differences
from tests.faults.killpoints import capture
from tests.faults.processes import Job, WarmJob, job_env, wait_until

RUNS = 5
WAIT_S = 60.0


def ended(jobs: list[Job], order: list[int]) -> int:
    """Note the jobs that ended since the last call, in the order noticed; how many have ended."""
    for index, job in enumerate(jobs):
        if index not in order and job.process.poll() is not None:
            order.append(index)
    return len(order)


def test_of_five_runs_started_at_once_one_syncs_and_four_exit_4_without_waiting_for_the_lock(
    clean_copy, clean_reference, known_helper, probe, tmp_path
):
    warm = [WarmJob(["run"], tmp_path, f"run-{n}") for n in range(RUNS)]  # their imports overlap the copy
    pair = clean_copy("five")
    gate = psycopg2.connect(pair.db2)
    with gate.cursor() as cur:
        cur.execute("LOCK TABLE plano IN SHARE MODE")
    env = job_env(pair, known_helper.url)
    order: list[int] = []
    try:
        jobs = [job.go(env) for job in warm]

        assert wait_until(lambda: probe.lock_holder(pair.db2) is not None, WAIT_S)
        assert wait_until(lambda: ended(jobs, order) >= RUNS - 1, WAIT_S), f"only {order} ended"
        (holder,) = [n for n in range(RUNS) if n not in order]
        assert jobs[holder].process.poll() is None, "the run holding the lock ended before the gate opened"
    finally:
        gate.rollback()
        gate.close()
    results = [job.finish() for job in jobs]
    ended(jobs, order)

    assert order[-1] == holder
    assert [results[n].code for n in order] == [4, 4, 4, 4, 0], [results[n].stderr[-2000:] for n in order]
    for n in order[:-1]:
        (finished,) = results[n].events("run_finished")
        assert finished["status"] == "skipped"
        assert results[n].events("lock_held")
    runs = pair.rows("db2", "SELECT status, exit_code FROM hestia_sync.runs")
    assert runs == [("ok", 0)]
    assert differences(clean_reference.expected, capture(pair)) == []
