"""The run contract as the scheduler sees it: exit statuses, the lock, logs, secrets, plan, check, status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import psycopg2
import pytest

from job.state import lock_key
from tests.job.builders import db2_payment, db2_student, insert, versions
from tests.job.cli import cli_env, run_cli
from tests.support.helper_server import TOKEN
from tests.support.postgres import PgServer

ALL_TABLES = {
    "db1": ["plano", "plano_vantagem", "universitario", "anunciante", "pagamento"],
    "db2": ["plano", "plano_vantagens", "universitario", "anunciante", "pagamento_plano"],
}


@pytest.fixture
def env(sample_pair, helper):
    helper.state.known["bruno.lima@example.com"] = ("$2b$12$" + "h" * 53, None)
    return cli_env(sample_pair, helper.url, TOKEN)


def test_run_exits_3_when_rows_were_rejected_and_0_once_everything_went_through(sample_pair, env, tmp_path):
    first = run_cli(["run"], env, tmp_path)
    assert first.code == 3, first.stderr
    sample_pair.execute("db2", "UPDATE universitario SET telefone = '81 98765-4321' WHERE email = 'diego@example.com'")
    sample_pair.execute("db2", "DELETE FROM pagamento_plano WHERE email = 'nobody@example.com'")

    second = run_cli(["run"], env, tmp_path)

    assert second.code == 0, second.stderr
    assert second.events("run_finished")[0]["status"] == "ok"


def test_a_second_run_with_no_source_changes_writes_nothing(sample_pair, env, tmp_path):
    run_cli(["run"], env, tmp_path)
    before = {side: versions(sample_pair, side, tables) for side, tables in ALL_TABLES.items()}

    again = run_cli(["run"], env, tmp_path)

    assert {side: versions(sample_pair, side, tables) for side, tables in ALL_TABLES.items()} == before
    finished = again.events("run_finished")[0]
    assert (finished["inserted"], finished["updated"]) == (0, 0)


def test_the_logs_are_one_json_object_per_line_with_a_summary_per_flow_and_per_run(env, tmp_path):
    result = run_cli(["run"], env, tmp_path)

    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert all({"time", "level", "message", "event"} <= set(line) for line in lines)
    flows = {line["flow"]: line for line in result.events("flow_finished")}
    assert list(flows) == ["plans", "plan_benefits", "students", "advertisers", "payments"]
    assert {"inserted", "updated", "unchanged", "rejected", "deferred", "duration_s"} <= set(flows["students"])
    (finished,) = result.events("run_finished")
    assert finished["exit_code"] == 3
    assert finished["status"] == "partial"
    assert finished["command"] == "run"  # CloudWatch counts only runs, not hand-run plans, as syncs
    assert finished["rejected"] == 2
    assert finished["inserted"] == 13
    assert 10 < finished["peak_rss_mib"] < 1000  # the job's own peak memory, for the benchmark and operators


def test_a_run_while_another_holds_the_lock_ends_at_once_with_exit_4(sample_pair, env, tmp_path):
    holder = psycopg2.connect(sample_pair.db2)
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (lock_key("hestia_sync"),))
        before = versions(sample_pair, "db1", ALL_TABLES["db1"])

        result = run_cli(["run"], env, tmp_path)
    finally:
        holder.close()

    assert result.code == 4
    assert "another sync run holds the lock" in result.stderr
    assert versions(sample_pair, "db1", ALL_TABLES["db1"]) == before


def test_an_unreachable_database_fails_the_run_with_exit_1_and_says_what_to_check(env, tmp_path):
    env["URI_BANCO_1"] = "postgresql://sync:pg-s3cret-pw@127.0.0.1:9/db1"

    result = run_cli(["run"], env, tmp_path)

    assert result.code == 1
    assert "cannot connect to DB1 at postgresql://sync@127.0.0.1:9/db1" in result.stderr
    assert "check the URI" in result.stderr
    assert "pg-s3cret-pw" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"URI_BANCO_1": None}, "URI_BANCO_1: is required"),
        ({"JOB_BATCH_SIZE": "0"}, "JOB_BATCH_SIZE: Input should be greater than or equal to 1"),
        ({"JOB_BACTH_SIZE": "10"}, "JOB_BACTH_SIZE: unknown setting"),
        ({"URI_BANCO_2": "mysql://u:topsecret@h/db"}, "URI_BANCO_2: must be a URI starting with postgresql://"),
        ({"HELPER_API_TOKEN": None}, "HELPER_API_TOKEN: is required by this command"),
        ({"HELPER_API_TOKEN": "tôken-topsecret"}, "HELPER_API_TOKEN: must be a bearer token"),
        ({"HELPER_API_TOKEN": "topsecret\nX-Evil: 1"}, "HELPER_API_TOKEN: must be a bearer token"),
    ],
)
def test_a_bad_setting_exits_2_and_names_itself_without_its_value(env, tmp_path, change, expected):
    for name, value in change.items():
        if value is None:
            env.pop(name)
        else:
            env[name] = value

    result = run_cli(["run"], env, tmp_path)

    assert result.code == 2
    assert expected in result.stderr
    assert "topsecret" not in result.stderr


def test_status_with_the_state_store_unreachable_fails_with_exit_1_not_3(env, tmp_path):
    env["URI_BANCO_2"] = "postgresql://sync:pg-s3cret-pw@127.0.0.1:9/db2"

    result = run_cli(["status"], env, tmp_path)

    assert result.code == 1
    assert "cannot connect to state store at postgresql://sync@127.0.0.1:9/db2" in result.stderr
    assert "pg-s3cret-pw" not in result.stderr + result.stdout


@pytest.mark.parametrize("limit", ["-5", "0", "ten"])
def test_status_with_a_limit_below_one_is_a_usage_error_naming_the_option(env, tmp_path, limit):
    result = run_cli(["status", "--limit", limit], env, tmp_path)

    assert result.code == 2
    assert "--limit" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_flow_name_exits_2_with_the_valid_names(env, tmp_path):
    result = run_cli(["plan", "--flow", "plans,bogus"], env, tmp_path)

    assert result.code == 2
    assert "unknown flow bogus; choose from plans, plan_benefits, students, advertisers, payments" in result.stderr


def test_secrets_reach_no_log_report_or_state_record(pg_server: PgServer, sample_pair, helper, tmp_path):
    password_hash = "$2b$12$SECRETHASHxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    helper.state.known["bruno.lima@example.com"] = (password_hash, None)
    db_password = "pg-very-secret-password"
    with_password = {
        side: getattr(sample_pair, side).replace("postgres@", f"postgres:{db_password}@") for side in ("db1", "db2")
    }
    env = cli_env(sample_pair, helper.url, TOKEN, URI_BANCO_1=with_password["db1"], URI_BANCO_2=with_password["db2"])

    outputs = [run_cli([command], env, tmp_path) for command in ("run", "plan", "status", "check")]
    env["JOB_LOG_FORMAT"] = "text"
    outputs.append(run_cli(["run"], env, tmp_path))
    state = sample_pair.rows(
        "db2", "SELECT r::text FROM hestia_sync.runs r UNION ALL SELECT j::text FROM hestia_sync.rejections j"
    )

    everything = "\n".join([o.stdout + o.stderr for o in outputs] + [row[0] for row in state])
    assert sample_pair.rows("db1", "SELECT count(*) FROM universitario WHERE csenha = %s", (password_hash,)) == [(1,)]
    for secret in (db_password, TOKEN, password_hash):
        assert secret not in everything


def test_plan_prints_what_a_run_would_do_and_writes_nothing(sample_pair, env, tmp_path):
    before = {side: versions(sample_pair, side, tables) for side, tables in ALL_TABLES.items()}

    plan = run_cli(["plan", "--json"], env, tmp_path)

    assert plan.code == 3
    assert {side: versions(sample_pair, side, tables) for side, tables in ALL_TABLES.items()} == before
    assert sample_pair.rows("db2", "SELECT to_regnamespace('hestia_sync') IS NULL") == [(True,)]
    planned = {flow["flow"]: flow for flow in json.loads(plan.stdout)["flows"]}
    ran = {flow["flow"]: flow for flow in run_cli(["run"], env, tmp_path).events("flow_finished")}
    for name in planned:
        for count in ("inserted", "updated", "rejected", "deferred"):
            assert planned[name][count] == ran[name][count], (name, count)


def test_plan_as_a_table_names_each_rejected_row_and_its_reason(env, tmp_path):
    plan = run_cli(["plan"], env, tmp_path)

    assert "students.create  33333333-3333-4333-8333-000000000004  rejected  telefone has 8 digits" in plan.stdout
    assert "no DB2 student or advertiser has this payment's email" in plan.stdout


def test_check_passes_on_the_users_schemas_and_names_each_missing_column(sample_pair, env, tmp_path):
    good = run_cli(["check"], env, tmp_path)
    assert good.code == 0, good.stdout
    assert "FAIL" not in good.stdout

    sample_pair.execute("db2", "ALTER TABLE universitario DROP COLUMN bio")
    sample_pair.execute("db2", "ALTER TABLE plano ALTER COLUMN valor TYPE text")
    env["HELPER_API_URL"] = "http://127.0.0.1:9"
    bad = run_cli(["check"], env, tmp_path)

    assert bad.code == 1
    assert "FAIL  students.create: DB2 universitario has no column bio" in bad.stdout
    assert "FAIL  students.update: DB2 universitario has no column bio" in bad.stdout
    assert "FAIL  plans: plano.valor is text but nvalor → same gives number" in bad.stdout
    assert "FAIL  helper API at http://127.0.0.1:9/: the helper API did not answer" in bad.stdout


def test_status_lists_recent_runs_and_open_rejections(env, tmp_path):
    run_cli(["run"], env, tmp_path)

    status = run_cli(["status"], env, tmp_path)

    assert status.code == 0
    assert "partial" in status.stdout
    assert "33333333-3333-4333-8333-000000000004  rejected" in status.stdout
    assert "telefone has 8 digits" in status.stdout


def test_a_run_killed_at_any_point_is_completed_by_the_next_one_without_duplicates(pair, helper, tmp_path):
    students = [db2_student(n) for n in range(1, 1201)]
    insert(pair, "db2", "universitario", students)
    env = cli_env(pair, helper.url, TOKEN, JOB_BATCH_SIZE="25", JOB_HELPER_BATCH_SIZE="25")

    for delay in (0.4, 0.8, 1.2):
        process = subprocess.Popen(
            [sys.executable, "-m", "job", "run"],
            env={**os.environ, **env},
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.kill()
        process.wait(timeout=30)

    final = run_cli(["run"], env, tmp_path)

    assert final.code == 0, final.stderr
    keys = [key for (key,) in pair.rows("db1", "SELECT uid::text FROM universitario")]
    assert sorted(keys) == sorted(s["id"] for s in students)
    assert run_cli(["run"], env, tmp_path).events("run_finished")[0]["inserted"] == 0


def test_payments_reference_only_accounts_that_exist(sample_pair, env, tmp_path):
    run_cli(["run"], env, tmp_path)
    insert(
        sample_pair,
        "db2",
        "pagamento_plano",
        [db2_payment("diego@example.com", plano_id="11111111-1111-4111-8111-000000000001")],
    )

    result = run_cli(["run", "--flow", "payments"], env, tmp_path)

    assert result.code == 3
    assert sample_pair.rows(
        "db1",
        "SELECT count(*) FROM pagamento p LEFT JOIN universitario u "
        "ON u.uid = p.uid_universitario LEFT JOIN anunciante a ON a.uid = p.uid_anunciante "
        "WHERE u.uid IS NULL AND a.uid IS NULL",
    ) == [(0,)]


def test_tls_settings_in_the_uri_reach_the_driver(sample_pair, env, tmp_path):
    env["URI_BANCO_1"] = sample_pair.db1 + "?sslmode=require&connect_timeout=5"

    result = run_cli(["check"], env, tmp_path)

    assert result.code == 1
    assert "the server offers no TLS, and the URI's sslmode requires it" in result.stdout  # the test server has none
    env["URI_BANCO_1"] = sample_pair.db1 + "?sslmode=prefer"
    assert run_cli(["check"], env, tmp_path).code == 0


def test_a_state_store_the_user_cannot_write_fails_with_exit_1_and_says_what_is_needed(sample_pair, env, tmp_path):
    role = f"sync_reader_{uuid.uuid4().hex[:8]}"  # roles are server-wide: one per test run
    sample_pair.execute("db2", f"CREATE ROLE {role} LOGIN")
    sample_pair.execute("db2", "REVOKE CREATE ON DATABASE " + sample_pair.db2.rsplit("/", 1)[1] + " FROM PUBLIC")
    env["URI_BANCO_2"] = sample_pair.db2.replace("postgres@", f"{role}@")

    result = run_cli(["run"], env, tmp_path)

    assert result.code == 1
    assert "the state store (DB2) refused the job's own bookkeeping: permission denied" in result.stderr
    assert "JOB_STATE_SCHEMA" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_common_options_work_after_the_command_too(env, tmp_path):
    (tmp_path / "job.env").write_text("JOB_LOG_FORMAT=json\n")
    result = run_cli(
        ["status", "--env-file", str(tmp_path / "job.env"), "--log-level", "DEBUG", "--json"], env, tmp_path
    )
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "runs": [],
        "open_rejections": [],
        "open_totals": {"rejected": 0, "deferred": 0, "total": 0},
        "conflicts": [],
        "note": "no runs yet: the state schema hestia_sync does not exist (the first run creates it)",
    }


def test_an_env_file_named_on_the_command_line_must_exist(env, tmp_path):
    result = run_cli(["check", "--env-file", "missing.env"], env, tmp_path)
    assert result.code == 2
    assert "--env-file: missing.env does not exist or is not a file" in result.stderr


@pytest.mark.parametrize("value", ["", " ", "plans,,payments"])
def test_an_empty_flow_name_is_a_usage_error_not_every_flow(env, tmp_path, value):
    result = run_cli(["plan", "--flow", value], env, tmp_path)
    assert result.code == 2
    assert "--flow: an empty flow name; choose from plans" in result.stderr


def test_version_prints_the_installed_version(tmp_path):
    result = run_cli(["--version"], {}, tmp_path)
    assert result.code == 0
    assert result.stdout.startswith("python -m job 0.")


def test_the_log_level_hides_step_lines_but_never_the_summaries_the_alarms_read(env, tmp_path):
    debug = run_cli(["run", "--log-level", "DEBUG"], env, tmp_path)
    quiet = run_cli(["run", "--flow", "plans"], {**env, "JOB_LOG_LEVEL": "ERROR"}, tmp_path)
    assert debug.events("step_scope")
    assert not quiet.events("step_scope")
    assert [event["level"] for event in quiet.events("run_finished")] == ["INFO"]
    assert quiet.events("flow_finished")
