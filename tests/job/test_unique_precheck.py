"""A row DB1's unique indexes would refuse is rejected before the helper is asked and before any INSERT."""

from __future__ import annotations

import time

import psycopg2
import pytest

from job.engine import execute
from job.flows import select_flows
from tests.job.builders import db1_advertiser, db1_student, db2_advertiser, db2_student, insert, one
from tests.job.conftest import Pair

# (flow, table in both databases, DB2 builder, DB1 builder)
ACCOUNT_FLOWS = [
    pytest.param("students", "universitario", db2_student, db1_student, id="students"),
    pytest.param("advertisers", "anunciante", db2_advertiser, db1_advertiser, id="advertisers"),
]


def run(settings, *flows):
    return execute(settings, "run", select_flows(list(flows)))


def problems(report):
    return {(p.row_key, p.kind): p.reason for f in report.flows for s in f.steps for p in s.sample}


def keys(pair: Pair, table: str) -> set[str]:
    return {key for (key,) in pair.rows("db1", f"SELECT uid::text FROM {table}")}


def tuples_inserted(pair: Pair, table: str) -> int:
    """Every row ever inserted into a DB1 table, those of refused INSERTs (dead tuples) included.

    A backend hands its table counters over when it ends: wait until the job's connections are gone."""
    conn = psycopg2.connect(pair.db1)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            deadline = time.monotonic() + 10
            while True:
                cur.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                )
                (others,) = cur.fetchone()
                if others == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            cur.execute("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = %s", (table,))
            (count,) = cur.fetchone()
            return int(count)
    finally:
        conn.close()


@pytest.mark.parametrize(("flow", "table", "db2_row", "db1_row"), ACCOUNT_FLOWS)
def test_an_account_whose_email_another_db1_account_holds_is_rejected_before_the_helper_and_the_insert(
    pair, helper, make_settings, flow, table, db2_row, db1_row
):
    holder = db1_row(1, cemail="taken@example.com")
    insert(pair, "db1", table, [holder])
    clash, fine = db2_row(2, email="Taken@Example.com"), db2_row(3, email="fine@example.com")
    insert(pair, "db2", table, [clash, fine])

    report = run(make_settings(pair), flow)

    assert problems(report) == {
        (clash["id"], "rejected"): (
            f"cemail is already held by another DB1 {table} row ({table}_cemail_key); "
            "rejected before the helper was asked"
        )
    }
    assert helper.state.emails_asked == ["fine@example.com"]
    assert keys(pair, table) == {holder["uid"], fine["id"]}
    assert tuples_inserted(pair, table) == 2  # the holder and `fine`: no INSERT of `clash` was even tried
    assert report.exit_code == 3


def test_two_students_with_the_same_email_in_one_batch_the_first_is_created_and_the_second_rejected(
    pair, helper, make_settings
):
    # DB2's own unique index tells these two apart; DB1 stores emails trimmed and lower-cased.
    first, second = sorted(
        [db2_student(1, email="same@example.com"), db2_student(2, email=" SAME@example.com")], key=lambda s: s["id"]
    )
    insert(pair, "db2", "universitario", [first, second, db2_student(3)])

    report = run(make_settings(pair), "students")

    assert problems(report) == {
        (second["id"], "rejected"): (
            f"cemail is the same as {first['id']}'s, earlier in this batch (universitario_cemail_key); "
            "rejected before the helper was asked"
        )
    }
    assert sorted(helper.state.emails_asked) == ["aluno3@example.com", "same@example.com"]
    assert second["id"] not in keys(pair, "universitario")
    assert tuples_inserted(pair, "universitario") == 2


def test_a_student_in_a_later_batch_with_an_email_an_earlier_batch_inserted_is_rejected(pair, helper, make_settings):
    first, second = sorted(
        [db2_student(1, email="same@example.com"), db2_student(2, email="Same@example.com")], key=lambda s: s["id"]
    )
    insert(pair, "db2", "universitario", [first, second])

    report = run(make_settings(pair, JOB_BATCH_SIZE=1), "students")

    assert problems(report) == {
        (second["id"], "rejected"): (
            "cemail is already held by another DB1 universitario row (universitario_cemail_key); "
            "rejected before the helper was asked"
        )
    }
    assert helper.state.emails_asked == ["same@example.com"]
    assert keys(pair, "universitario") == {first["id"]}
    assert tuples_inserted(pair, "universitario") == 1


def test_the_rejection_holds_on_the_next_run_without_asking_the_helper_or_inserting(pair, helper, make_settings):
    insert(pair, "db1", "universitario", [db1_student(1, cemail="taken@example.com")])
    clash = db2_student(2, email="taken@example.com")
    insert(pair, "db2", "universitario", [clash])
    settings = make_settings(pair)
    first = run(settings, "students")

    second = run(settings, "students")

    assert problems(second) == problems(first)
    assert "universitario_cemail_key" in problems(second)[(clash["id"], "rejected")]
    assert second.total("helper_requests") == 0
    assert helper.state.requests == 0
    assert tuples_inserted(pair, "universitario") == 1
    open_rejections = pair.rows("db2", "SELECT row_key FROM hestia_sync.rejections WHERE resolved_at IS NULL")
    assert open_rejections == [(clash["id"],)]


def test_once_the_db1_holder_changes_its_email_the_next_run_creates_the_student(pair, helper, make_settings):
    holder = db1_student(1, cemail="taken@example.com")
    insert(pair, "db1", "universitario", [holder])
    clash = db2_student(2, email="taken@example.com")
    insert(pair, "db2", "universitario", [clash])
    settings = make_settings(pair)
    assert run(settings, "students").exit_code == 3

    pair.execute("db1", "UPDATE universitario SET cemail = 'moved@example.com' WHERE uid = %s", (holder["uid"],))
    report = run(settings, "students")

    assert report.exit_code == 0
    assert one(pair, "db1", "SELECT cemail FROM universitario WHERE uid = %s", (clash["id"],)) == {
        "cemail": "taken@example.com"
    }
    assert helper.state.emails_asked == ["taken@example.com"]
    assert pair.rows("db2", "SELECT count(*) FROM hestia_sync.rejections WHERE resolved_at IS NULL") == [(0,)]


def test_every_unique_column_known_before_the_helper_is_checked_and_the_username_is_not(pair, helper, make_settings):
    insert(pair, "db1", "universitario", [db1_student(1, cdne="DNE-1", ctel="11 91111-1111", cusername="ana")])
    same_dne = db2_student(2, dne="DNE-1")
    same_phone = db2_student(3, telefone="(11) 91111-1111")
    same_name = db2_student(4, nome="Ana")
    insert(pair, "db2", "universitario", [same_dne, same_phone, same_name])

    report = run(make_settings(pair), "students")

    found = problems(report)
    assert found[(same_dne["id"], "rejected")].startswith("cdne is already held")
    assert found[(same_phone["id"], "rejected")].startswith("ctel is already held")
    assert (same_name["id"], "rejected") not in found
    assert one(pair, "db1", "SELECT cusername FROM universitario WHERE uid = %s", (same_name["id"],)) == {
        "cusername": "ana2"
    }


def test_a_row_rejected_for_another_reason_does_not_keep_its_email_from_a_later_row(pair, helper, make_settings):
    insert(pair, "db1", "universitario", [db1_student(1, cdne="DNE-1")])
    first, second = sorted(
        [db2_student(2, email="same@example.com"), db2_student(3, email="SAME@example.com")], key=lambda s: s["id"]
    )
    first["dne"] = "DNE-1"
    insert(pair, "db2", "universitario", [first, second])

    report = run(make_settings(pair), "students")

    assert set(problems(report)) == {(first["id"], "rejected")}
    assert problems(report)[(first["id"], "rejected")].startswith("cdne is already held")
    assert second["id"] in keys(pair, "universitario")


def test_a_unique_index_the_check_cannot_read_is_still_enforced_by_the_write(pair, helper, make_settings):
    pair.execute("db1", "CREATE UNIQUE INDEX universitario_lower_name ON universitario (lower(cnome))")
    first, second = sorted([db2_student(1, nome="Ana Lima"), db2_student(2, nome="ANA LIMA")], key=lambda s: s["id"])
    insert(pair, "db2", "universitario", [first, second])

    report = run(make_settings(pair), "students")

    refused = [reason for (_key, kind), reason in problems(report).items() if kind == "rejected"]
    assert len(refused) == 1
    assert "duplicate key value violates unique constraint" in refused[0]
    assert "universitario_lower_name" in refused[0]
    assert len(keys(pair, "universitario")) == 1


def test_rows_the_check_rejects_cost_no_statement_more_than_rows_rejected_on_conversion(
    pg_server, schema_templates, helper, make_settings
):
    def scenario(clashing: bool) -> int:
        pair = Pair(
            pg_server.create_database("db1", schema_templates[0]),
            pg_server.create_database("db2", schema_templates[1]),
        )
        # Fixed ids: both scenarios spread the rejected rows over the batches alike.
        students = [db2_student(n, id=f"00000000-0000-4000-8000-{n:012d}") for n in range(1, 13)]
        holders = [db1_student(100 + n) for n in range(4)]
        for n, student in enumerate(students[::3]):
            if clashing:
                holders[n]["cemail"] = student["email"]
            else:
                student["telefone"] = "1"
        insert(pair, "db1", "universitario", holders)
        insert(pair, "db2", "universitario", students)
        report = run(make_settings(pair, JOB_BATCH_SIZE=4), "students")
        assert report.total("rejected") == 4
        assert report.total("inserted") == 8
        return report.flows[0].steps[0].statements

    assert scenario(clashing=True) == scenario(clashing=False)
