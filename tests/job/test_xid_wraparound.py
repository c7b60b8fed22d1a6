"""Change detection across the 32-bit transaction id wraparound, on a cluster whose next xid was moved
with pg_resetwal to just below 2**32."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from devstack.localpg import LocalCluster
from job.engine import execute
from job.flows import select_flows
from tests.job.builders import db1_plan, db2_student, insert, one
from tests.job.conftest import Pair

ROOT = Path(__file__).resolve().parents[2]
BELOW_WRAP = 2**32 - 3000


@pytest.fixture
def near_wrap() -> Iterator[LocalCluster]:
    """A cluster of its own per test: each test starts just below the wraparound."""
    with LocalCluster() as cluster:
        cluster.set_next_xid(BELOW_WRAP)
        yield cluster


def _current_xid(dsn: str) -> int:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_current_xact_id()::text::bigint")
            row = cur.fetchone()
        conn.commit()
        return int(row[0])
    finally:
        conn.close()


def _burn_xids(dsn: str, count: int) -> None:
    """Use up `count` transaction ids in one statement: each subtransaction that writes gets its own."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("CREATE TEMPORARY TABLE burn (n integer)")
            cur.execute(
                "DO $$ BEGIN FOR i IN 1..%s LOOP BEGIN INSERT INTO burn VALUES (i); "
                "EXCEPTION WHEN others THEN NULL; END; END LOOP; END $$",
                (count,),
            )
    finally:
        conn.close()


def test_rows_written_on_both_sides_of_the_wraparound_are_all_synced(near_wrap, make_settings):
    pair = Pair(
        near_wrap.create_database("wrap_db1", [ROOT / "schema/db1.sql"]),
        near_wrap.create_database("wrap_db2", [ROOT / "schema/db2.sql"]),
    )
    insert(pair, "db1", "plano", [db1_plan()])
    before = db2_student(1)
    insert(pair, "db2", "universitario", [before])
    settings = make_settings(pair)
    assert execute(settings, "run", select_flows(["students"])).total("inserted") == 1
    pair.execute("db1", "UPDATE universitario SET cnome = 'Antes da volta'")
    assert _current_xid(pair.db1) < 2**32

    _burn_xids(pair.db2, 4000)
    after = db2_student(2)
    insert(pair, "db2", "universitario", [after])
    assert _current_xid(pair.db2) > 2**32
    report = execute(settings, "run", select_flows(["students"]))

    assert report.total("inserted") == 1
    assert report.total("updated") == 1
    assert not any(step.full for flow in report.flows for step in flow.steps)
    assert one(pair, "db2", "SELECT nome FROM universitario WHERE id = %s", (before["id"],))["nome"] == "Antes da volta"
    assert one(pair, "db1", "SELECT count(*) AS n FROM universitario WHERE uid = %s", (after["id"],))["n"] == 1


def test_after_the_wraparound_a_run_with_nothing_changed_looks_at_nothing(near_wrap, make_settings):
    """Rows of the previous epoch whose 32-bit xmin is above the bound must not match run after run."""
    pair = Pair(
        near_wrap.create_database("idle_db1", [ROOT / "schema/db1.sql"]),
        near_wrap.create_database("idle_db2", [ROOT / "schema/db2.sql"]),
    )
    insert(pair, "db1", "plano", [db1_plan()])
    insert(pair, "db2", "universitario", [db2_student(n) for n in range(1, 4)])
    settings = make_settings(pair)
    assert execute(settings, "run", select_flows(["students"])).total("inserted") == 3
    _burn_xids(pair.db2, 4000)
    execute(settings, "run", select_flows(["students"]))

    idle = execute(settings, "run", select_flows(["students"]))

    assert {step.step: (step.full, step.changed) for flow in idle.flows for step in flow.steps} == {
        "students.create": (False, 0),
        "students.update": (False, 0),
    }
