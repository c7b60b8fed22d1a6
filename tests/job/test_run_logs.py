"""What a run's log tells an operator: which rows were refused and why, at the right level, and how far a
long step has got (issue 11)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time

import pytest

from tests.job.builders import db2_student, insert
from tests.job.cli import cli_env, run_cli
from tests.support import secrets
from tests.support.helper_server import TOKEN

HASH = "$2b$12$abcdefghijklmnopqrstuuN0x4sAlwJ2bYt7wQm8f9o2Zx1c3Vb5e"


@pytest.fixture
def students(pair, helper):
    """`make(n, bad=k)`: n new DB2 students the helper knows, the first k with a phone DB1 refuses."""

    def make(count: int, bad: int = 0) -> list[dict]:
        rows = [db2_student(n, telefone="123" if n <= bad else db2_student(n)["telefone"]) for n in range(1, count + 1)]
        for row in rows:
            helper.state.known[row["email"]] = (HASH, None)
        insert(pair, "db2", "universitario", rows)
        return rows

    return make


@pytest.fixture
def env(pair, helper):
    secrets.current().secret(HASH, "the helper's hash in these tests")
    return cli_env(pair, helper.url, TOKEN)


def test_a_run_logs_each_rejected_rows_key_and_reason_once_without_personal_data(pair, env, students, tmp_path):
    rows = students(5, bad=2)

    result = run_cli(["run", "--flow", "students"], env, tmp_path)

    assert result.code == 3, result.stderr
    (line,) = result.events("step_rejections")
    assert line["level"] == "WARNING"
    assert line["more"] == 0
    assert {(r["row_key"], r["kind"]) for r in line["rejections"]} == {
        (rows[0]["id"], "rejected"),
        (rows[1]["id"], "rejected"),
    }
    assert all("telefone has 3 digits" in r["reason"] for r in line["rejections"])
    for row in rows:
        assert row["email"] not in result.stderr
        assert row["nome"] not in result.stderr


def test_the_rejections_logged_per_step_are_capped_and_the_rest_counted(pair, env, students, tmp_path):
    students(25, bad=25)

    result = run_cli(["run", "--flow", "students"], env, tmp_path)

    (line,) = result.events("step_rejections")
    assert len(line["rejections"]) == 20
    assert line["more"] == 5
    assert "and 22 more" in line["message"]


def test_an_address_quoted_in_a_reason_is_masked_in_the_log():
    from job.row_log import mask

    assert mask("email aluno1@example.com is taken (ukey)") == "email <email> is taken (ukey)"
    assert mask("plano_id: no plano with uid = 42 in the target") == "plano_id: no plano with uid = 42 in the target"


def test_partial_and_failed_runs_log_their_summaries_as_warnings_and_errors(pair, env, students, tmp_path):
    students(3, bad=1)
    partial = run_cli(["run", "--flow", "students"], env, tmp_path)
    pair.execute("db1", "ALTER TABLE universitario RENAME COLUMN ctel TO ctel_old")
    students_again = db2_student(9)
    insert(pair, "db2", "universitario", [students_again])

    failed = run_cli(["run", "--flow", "students"], env, tmp_path)

    assert partial.events("flow_finished")[0]["level"] == "WARNING"
    assert partial.events("run_finished")[0]["level"] == "WARNING"
    assert failed.code == 1
    assert failed.events("step_failed")[0]["level"] == "ERROR"
    assert failed.events("flow_finished")[0]["level"] == "ERROR"
    assert failed.events("run_finished")[0]["level"] == "ERROR"


def test_an_ok_run_logs_its_summaries_as_info(pair, env, students, tmp_path):
    students(2)

    result = run_cli(["run", "--flow", "students"], env, tmp_path)

    assert result.code == 0, result.stderr
    assert result.events("flow_finished")[0]["level"] == "INFO"
    assert result.events("run_finished")[0]["level"] == "INFO"
    assert result.events("step_rejections") == []


def test_a_long_step_logs_its_progress_with_rows_done_of_rows_to_do(pair, env, students, tmp_path):
    students(12)
    pair.execute("db2", "ANALYZE universitario")
    env.update(JOB_PROGRESS_INTERVAL_S="0", JOB_BATCH_SIZE="5")

    first = run_cli(["run", "--flow", "students"], env, tmp_path)
    students_more = [db2_student(n) for n in range(100, 107)]
    insert(pair, "db2", "universitario", students_more)
    second = run_cli(["run", "--flow", "students"], env, tmp_path)

    full = [line for line in first.events("step_progress") if line["step"] == "students.create"]
    assert [line["done"] for line in full] == [5, 10, 12]
    assert {line["total"] for line in full} == {12}  # the table's row estimate: a full comparison
    assert all(line["rows_per_s"] > 0 for line in full)
    changed = [line for line in second.events("step_progress") if line["step"] == "students.create"]
    assert [(line["done"], line["total"]) for line in changed] == [(5, 7), (7, 7)]  # the change set


def test_progress_lines_wait_for_the_interval(pair, env, students, tmp_path):
    students(12)
    env.update(JOB_PROGRESS_INTERVAL_S="600", JOB_BATCH_SIZE="5")

    result = run_cli(["run", "--flow", "students"], env, tmp_path)

    assert result.code == 0, result.stderr
    assert result.events("step_progress") == []


def test_a_terminal_shows_a_live_progress_line_that_is_cleared_before_the_summary(pair, env, students, tmp_path):
    students(12)
    env.update(JOB_LOG_FORMAT="text", JOB_BATCH_SIZE="4")
    leader, follower = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("JOB_", "URI_", "HELPER_"))} | env
    process = subprocess.Popen(
        [sys.executable, "-m", "job", "run", "--flow", "students"],
        env=environment,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=30)
    os.close(leader)
    text = output.decode()
    secrets.current().observe("the terminal run", text)

    assert process.returncode == 0, text
    assert "\r\x1b[Kstudents.create: " in text
    assert " rows/s" in text
    cleared = text.rindex("\r\x1b[K")
    assert "students: 12 inserted" in text[cleared:]


def test_plan_json_lists_the_rejected_rows_and_their_reasons(pair, env, students, tmp_path):
    rows = students(3, bad=1)

    result = run_cli(["plan", "--flow", "students", "--json"], env, tmp_path)

    plan = json.loads(result.stdout)
    (flow,) = plan["flows"]
    assert flow["rejected"] == 1
    (rejection,) = flow["rejections"]
    assert rejection["row_key"] == rows[0]["id"]
    assert rejection["kind"] == "rejected"
    assert "telefone has 3 digits" in rejection["reason"]
    assert flow["conflicts"] == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("HELPER_API_ULR", "HELPER_API_ULR: unknown setting (did you mean HELPER_API_URL?)"),
        ("URI_BANCO1", "URI_BANCO1: unknown setting (did you mean URI_BANCO_1?)"),
        ("JOB_BACTH_SIZE", "JOB_BACTH_SIZE: unknown setting (did you mean JOB_BATCH_SIZE?)"),
    ],
)
def test_a_misspelt_setting_is_refused_with_the_name_it_resembles(env, tmp_path, name, expected):
    env[name] = "x"

    result = run_cli(["plan"], env, tmp_path)

    assert result.code == 2
    assert expected in result.stderr


def test_the_helpers_own_settings_in_a_shared_env_file_are_not_typos(env, tmp_path):
    (tmp_path / ".env").write_text("HELPER_API_TOKENS=abc\nHELPER_DATABASE_URL=postgresql://h@127.0.0.1/x\n")

    result = run_cli(["status"], env, tmp_path)

    assert result.code == 0, result.stderr
