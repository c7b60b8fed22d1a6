"""The run lock: held for the whole run, released the moment the run ends."""

import psycopg2

from job.engine import execute
from job.flows import select_flows
from job.state import lock_key


def test_the_lock_is_free_as_soon_as_a_run_returns(pair, make_settings):
    settings = make_settings(pair)
    probe = psycopg2.connect(pair.db2)
    probe.autocommit = True
    try:
        with probe.cursor() as cur:
            for _ in range(5):
                report = execute(settings, "run", select_flows(["plans"]))
                assert not report.skipped
                cur.execute("SELECT pg_try_advisory_lock(%s)", (lock_key("hestia_sync"),))
                assert cur.fetchone() == (True,)
                cur.execute("SELECT pg_advisory_unlock(%s)", (lock_key("hestia_sync"),))
    finally:
        probe.close()
