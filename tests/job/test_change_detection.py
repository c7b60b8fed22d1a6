"""Change detection: an incremental run acts on exactly what a full comparison would, and never on
the job's own writes; what only `--full` sees is pinned here too."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest

from job.engine import execute
from job.flows import FLOWS, select_flows
from tests.job.builders import db1_plan, db1_student, db2_payment, db2_plan, db2_student, insert, one, versions


def run(settings, *flows, full=False):
    return execute(settings, "run", select_flows(list(flows)) if flows else FLOWS, full=full)


def steps(report):
    return {step.step: step for flow in report.flows for step in flow.steps}


def _seed(pair):
    """Rows that make a first run write on both sides after its snapshots: a plan only DB1 has, students
    only DB2 has, and a profile DB1 edited."""
    insert(pair, "db1", "plano", [db1_plan()])
    edited = db1_student(3, cnome="Nome Novo")
    insert(pair, "db1", "universitario", [edited])
    insert(pair, "db2", "universitario", [db2_student(1), db2_student(2), db2_student(3, id=edited["uid"])])


@pytest.fixture
def synced(pair, make_settings):
    """Synced (a first, full comparison), then quiet: the run after it has compared what the first updated."""
    _seed(pair)
    settings = make_settings(pair)
    run(settings)
    run(settings)
    return settings


def test_the_jobs_inserts_never_come_back_and_its_updates_are_compared_once_more(pair, make_settings):
    _seed(pair)
    settings = make_settings(pair)
    first = run(settings)
    before = {side: versions(pair, side, ["universitario", "plano"]) for side in ("db1", "db2")}

    echo = run(settings)
    quiet = run(settings)

    assert all(step.full for step in steps(first).values())
    assert (first.total("inserted"), first.total("updated")) == (3, 1)
    assert {name: step.changed for name, step in steps(echo).items() if step.changed} == {
        "students.create": 1,
        "students.update": 1,
    }
    assert (echo.total("inserted"), echo.total("updated")) == (0, 0)
    assert {name: (step.full, step.changed) for name, step in steps(quiet).items()} == {
        name: (False, 0) for name in steps(quiet)
    }
    assert {side: versions(pair, side, ["universitario", "plano"]) for side in ("db1", "db2")} == before


def test_a_transaction_open_during_a_run_and_committed_after_it_is_seen_by_the_next_run(pair, synced):
    late = psycopg2.connect(pair.db2)
    try:
        with late.cursor() as cur:
            insert_late = db2_student(9)
            cur.execute(
                "INSERT INTO universitario (id, email, nome, dne, dt_nascimento, genero, prefixo, telefone, municipio) "
                "VALUES (%(id)s, %(email)s, %(nome)s, %(dne)s, %(dt_nascimento)s, %(genero)s, %(prefixo)s, "
                "%(telefone)s, %(municipio)s)",
                insert_late,
            )
            during = run(synced, "students")
        late.commit()
    finally:
        late.close()

    after = run(synced, "students")

    assert during.total("inserted") == 0
    assert after.total("inserted") == 1
    assert one(pair, "db1", "SELECT count(*) AS n FROM universitario WHERE uid = %s", (insert_late["id"],))["n"] == 1


def test_a_row_changed_twice_between_runs_is_synced_with_its_last_value(pair, synced):
    key = pair.rows("db1", "SELECT uid::text FROM universitario ORDER BY cemail LIMIT 1")[0][0]
    pair.execute("db1", "UPDATE universitario SET cnome = 'Primeiro' WHERE uid = %s", (key,))
    pair.execute("db1", "UPDATE universitario SET cnome = 'Segundo' WHERE uid = %s", (key,))

    report = run(synced, "students")

    assert one(pair, "db2", "SELECT nome FROM universitario WHERE id = %s", (key,))["nome"] == "Segundo"
    assert steps(report)["students.update"].changed == 1
    assert report.total("updated") == 1


def test_a_db2_edit_of_a_column_db1_owns_is_put_back_by_the_next_run(pair, synced):
    key, name = pair.rows("db1", "SELECT uid::text, cnome FROM universitario ORDER BY cemail LIMIT 1")[0]
    pair.execute("db2", "UPDATE universitario SET nome = 'Editado no DB2' WHERE id = %s", (key,))

    report = run(synced, "students")

    assert one(pair, "db2", "SELECT nome FROM universitario WHERE id = %s", (key,))["nome"] == name
    assert report.total("updated") == 1


def test_an_open_rejection_is_retried_every_run_though_its_row_did_not_change(pair, synced, helper):
    taken = db1_student(7, cemail="taken@example.com")
    insert(pair, "db1", "universitario", [taken])
    clash = db2_student(8, email="taken@example.com")
    insert(pair, "db2", "universitario", [clash])
    assert run(synced, "students").total("rejected") == 1

    pair.execute("db1", "DELETE FROM universitario WHERE uid = %s", (taken["uid"],))
    report = run(synced, "students")

    assert report.total("inserted") == 1
    assert report.exit_code == 0


def test_a_replaced_database_is_compared_in_full(pg_server, pair, synced):
    key = pair.rows("db1", "SELECT uid::text FROM universitario ORDER BY cemail LIMIT 1")[0][0]
    pair.execute("db1", "UPDATE universitario SET cnome = 'Restaurado' WHERE uid = %s", (key,))
    replacement = pg_server.create_database("db1_restored", template=pair.db1.rsplit("/", 1)[1])
    pair.execute("db1", "UPDATE universitario SET cnome = 'Depois' WHERE uid = %s", (key,))
    run(synced, "students")  # syncs 'Depois'; its watermark is now past the 'Restaurado' edit
    restored = synced.model_copy(update={"uri_banco_1": type(synced.uri_banco_1)(replacement)})

    report = run(restored, "students")

    assert steps(report)["students.update"].full
    assert one(pair, "db2", "SELECT nome FROM universitario WHERE id = %s", (key,))["nome"] == "Restaurado"


def test_a_deleted_target_row_is_put_back_only_by_a_full_comparison(pair, synced):
    key = pair.rows("db1", "SELECT uid::text FROM universitario ORDER BY cemail LIMIT 1")[0][0]
    pair.execute("db1", "DELETE FROM universitario WHERE uid = %s", (key,))

    incremental = run(synced, "students")
    full = run(synced, "students", full=True)

    assert incremental.total("inserted") == 0
    assert full.total("inserted") == 1
    assert all(step.full for step in steps(full).values())


def test_a_step_whose_last_full_comparison_is_too_old_compares_everything(pair, synced):
    key = pair.rows("db1", "SELECT uid::text FROM universitario ORDER BY cemail LIMIT 1")[0][0]
    pair.execute("db1", "DELETE FROM universitario WHERE uid = %s", (key,))
    pair.execute("db2", "UPDATE hestia_sync.watermarks SET full_at = now() - interval '25 hours'")

    report = run(synced, "students")

    assert report.total("inserted") == 1
    assert steps(report)["students.create"].full
    assert not steps(run(synced, "students"))["students.create"].full


def test_an_edit_that_the_jobs_own_update_waited_for_is_still_seen_by_the_next_run(pair, synced):
    """A DB2 edit committed while the job's UPDATE of the same row waited for it ends up in a row version
    stamped with the job's id: the next run must still compare that row (DB1 owns bio, so it is put back)."""
    key = pair.rows("db1", "SELECT uid::text FROM universitario WHERE cnome = 'Nome Novo'")[0][0]
    pair.execute(
        "db1", "UPDATE universitario SET cnome = 'Outro Nome', cdescricao = 'Bio do DB1' WHERE uid = %s", (key,)
    )
    pair.execute("db2", "UPDATE universitario SET bio = 'Bio do DB1' WHERE id = %s", (key,))
    editor = psycopg2.connect(pair.db2)
    try:
        with editor.cursor() as cur:
            cur.execute("UPDATE universitario SET bio = 'Editada no DB2' WHERE id = %s", (key,))
            with ThreadPoolExecutor(1) as pool:
                running = pool.submit(run, synced, "students")
                _wait_until_blocked(pair.db2)
                editor.commit()
                during = running.result(timeout=60)
    finally:
        editor.close()
    assert during.total("updated") == 1
    assert one(pair, "db2", "SELECT bio FROM universitario WHERE id = %s", (key,))["bio"] == "Editada no DB2"

    run(synced, "students")

    assert one(pair, "db2", "SELECT bio FROM universitario WHERE id = %s", (key,))["bio"] == "Bio do DB1"


def _wait_until_blocked(dsn, timeout_s=30.0):
    """Until some session of this database waits on a row lock (the job's UPDATE), at most timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rows = psycopg2.connect(dsn)
        try:
            with rows.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
                if cur.fetchone()[0]:
                    return
        finally:
            rows.close()
        time.sleep(0.05)
    raise AssertionError("the job's UPDATE never waited for the open edit")


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_a_payment_created_on_a_retry_gets_its_status_baseline_in_the_same_run(pair, make_settings, full):
    """The status step must look at the DB1 payment the create step inserted (another step's own write):
    without a baseline, a later DB2 status change would lose to DB1 as if it were a conflict."""
    insert(pair, "db1", "plano", [db1_plan()])
    insert(pair, "db2", "plano", [db2_plan()])
    settings = make_settings(pair)
    run(settings, "payments")
    payer = db1_student(2, cemail="novo@example.com")
    insert(pair, "db2", "universitario", [db2_student(2, id=payer["uid"], email="novo@example.com")])
    payment = db2_payment("novo@example.com", pago=False)
    insert(pair, "db2", "pagamento_plano", [payment])
    assert run(settings, "payments").total("deferred") == 1  # the payer is not in DB1 yet
    insert(pair, "db1", "universitario", [payer])
    assert run(settings, "payments", full=full).total("inserted") == 1

    pair.execute("db2", "UPDATE pagamento_plano SET pago = true WHERE id = %s", (payment["id"],))
    report = run(settings, "payments")

    assert report.total("conflicts") == 0
    assert one(pair, "db1", "SELECT cativo FROM pagamento WHERE uid = %s", (payment["id"],))["cativo"] == "1"
    assert one(pair, "db2", "SELECT pago FROM pagamento_plano WHERE id = %s", (payment["id"],))["pago"] is True


def test_plan_before_the_first_run_after_an_upgrade_reads_the_old_state(pair, make_settings):
    insert(pair, "db1", "plano", [db1_plan()])
    settings = make_settings(pair)
    assert run(settings, "plans").exit_code == 0
    pair.execute(
        "db2",
        "DROP TABLE hestia_sync.watermarks, hestia_sync.own_writes; "
        "DELETE FROM hestia_sync.schema_version WHERE version = 2",
    )

    report = execute(settings, "plan", select_flows(["plans"]))

    assert report.exit_code == 0, [step.error for step in steps(report).values()]
    assert steps(report)["plans"].full
