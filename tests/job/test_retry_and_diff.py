"""`plan --diff` shows what a pass would write, column by column; `retry` and `plan --key` look at the rows
they name, whatever the change detection of a normal run would skip (issue 11)."""

from __future__ import annotations

import json

import psycopg2
import pytest

from job.diffs import HIDDEN
from job.state import lock_key
from tests.job.builders import db2_student, insert, one
from tests.job.cli import cli_env, run_cli
from tests.support import secrets
from tests.support.helper_server import TOKEN

HASH = "$2b$12$abcdefghijklmnopqrstuuN0x4sAlwJ2bYt7wQm8f9o2Zx1c3Vb5e"


@pytest.fixture
def env(pair, helper):
    secrets.current().secret(HASH, "the helper's hash in these tests")
    return cli_env(pair, helper.url, TOKEN)


@pytest.fixture
def students(pair, helper):
    def make(*rows: dict) -> list[dict]:
        for row in rows:
            helper.state.known[row["email"]] = (HASH, None)
        insert(pair, "db2", "universitario", list(rows))
        return list(rows)

    return make


def open_rejections(pair) -> set[str]:
    return {key for (key,) in pair.rows("db2", "SELECT row_key FROM hestia_sync.rejections WHERE resolved_at IS NULL")}


def test_plan_diff_shows_each_column_before_and_after_and_hides_the_password_hash(pair, env, students, tmp_path):
    (first,) = students(db2_student(1))
    run_cli(["run", "--flow", "students"], env, tmp_path)
    pair.execute("db1", "UPDATE universitario SET cnome = 'Ana Souza' WHERE uid = %s", (first["id"],))
    (second,) = students(db2_student(2))

    result = run_cli(["plan", "--flow", "students", "--diff", "--json"], env, tmp_path)

    changes = {(c["step"], c["row_key"]): c for c in json.loads(result.stdout)["flows"][0]["changes"]}
    update = changes[("students.update", first["id"])]
    assert (update["action"], update["database"], update["table"]) == ("update", "db2", "universitario")
    assert update["columns"] == {"nome": {"before": "Aluno 1", "after": "Ana Souza"}}
    insert_ = changes[("students.create", second["id"])]
    assert insert_["action"] == "insert"
    assert insert_["columns"]["cnome"] == {"before": None, "after": "Aluno 2"}
    assert insert_["columns"]["csenha"] == {"before": None, "after": HIDDEN}
    assert insert_["columns"]["cfotoperfil"] == {"before": None, "after": HIDDEN}  # it may be a signed URL
    assert one(pair, "db2", "SELECT nome FROM universitario WHERE id = %s", (first["id"],))["nome"] == "Aluno 1"


def test_plan_diff_as_text_lists_the_row_then_its_columns(pair, env, students, tmp_path):
    (first,) = students(db2_student(1))
    run_cli(["run", "--flow", "students"], env, tmp_path)
    pair.execute("db1", "UPDATE universitario SET cnome = 'Ana Souza' WHERE uid = %s", (first["id"],))

    result = run_cli(["plan", "--flow", "students", "--diff"], env, tmp_path)

    assert f"students.update  update DB2 universitario {first['id']}" in result.stdout
    assert "nome  'Aluno 1' → 'Ana Souza'" in result.stdout


def test_plan_with_a_key_sees_a_row_deleted_by_hand_that_a_normal_plan_skips(pair, env, students, tmp_path):
    (row,) = students(db2_student(1))
    run_cli(["run", "--flow", "students"], env, tmp_path)
    pair.execute("db1", "DELETE FROM universitario WHERE uid = %s", (row["id"],))

    normal = run_cli(["plan", "--flow", "students", "--diff", "--json"], env, tmp_path)
    named = run_cli(["plan", "--diff", "--json", "--key", row["id"], "--step", "students.create"], env, tmp_path)

    assert json.loads(normal.stdout)["flows"][0]["changes"] == []
    (flow,) = json.loads(named.stdout)["flows"]
    assert [(c["step"], c["row_key"], c["action"]) for c in flow["changes"]] == [
        ("students.create", row["id"], "insert")
    ]
    assert flow["inserted"] == 1
    assert pair.rows("db1", "SELECT uid FROM universitario") == []  # a plan writes nothing


def test_retry_of_a_key_writes_that_row_now_and_leaves_the_watermarks_alone(pair, env, students, tmp_path):
    (row,) = students(db2_student(1))
    run_cli(["run", "--flow", "students"], env, tmp_path)
    pair.execute("db1", "DELETE FROM universitario WHERE uid = %s", (row["id"],))
    marks = pair.rows("db2", "SELECT step, table_name, bound FROM hestia_sync.watermarks ORDER BY 1, 2")

    result = run_cli(["retry", row["id"], "--step", "students.create"], env, tmp_path)

    assert result.code == 0, result.stderr
    assert one(pair, "db1", "SELECT cnome FROM universitario WHERE uid = %s", (row["id"],))["cnome"] == "Aluno 1"
    assert pair.rows("db2", "SELECT step, table_name, bound FROM hestia_sync.watermarks ORDER BY 1, 2") == marks
    (finished,) = result.events("run_finished")
    assert (finished["command"], finished["inserted"]) == ("retry", 1)
    assert pair.rows("db2", "SELECT command FROM hestia_sync.runs ORDER BY id DESC LIMIT 1") == [("retry",)]


def test_retry_of_a_flow_retries_its_open_rejections_and_resolves_them(pair, env, students, tmp_path):
    bad = students(db2_student(1, telefone="123"), db2_student(2, telefone="456"))
    run_cli(["run"], env, tmp_path)
    assert open_rejections(pair) == {bad[0]["id"], bad[1]["id"]}
    pair.execute("db2", "UPDATE universitario SET telefone = '11 91234-5678' WHERE id = %s", (bad[0]["id"],))

    result = run_cli(["retry", "--flow", "students"], env, tmp_path)

    assert result.code == 3, result.stderr  # the second row is still refused
    assert open_rejections(pair) == {bad[1]["id"]}
    assert [line["flow"] for line in result.events("flow_finished")] == ["students"]


def test_retry_of_one_key_resolves_only_that_rows_rejection(pair, env, students, tmp_path):
    bad = students(db2_student(1, telefone="123"), db2_student(2, telefone="456"))
    run_cli(["run", "--flow", "students"], env, tmp_path)
    pair.execute("db2", "UPDATE universitario SET telefone = '11 91234-5678'")

    result = run_cli(["retry", bad[0]["id"]], env, tmp_path)

    assert result.code == 0, result.stderr
    assert open_rejections(pair) == {bad[1]["id"]}


def test_retry_with_nothing_open_says_so_and_writes_nothing(pair, env, students, tmp_path):
    students(db2_student(1))
    run_cli(["run"], env, tmp_path)

    result = run_cli(["retry"], env, tmp_path)

    assert result.code == 0, result.stderr
    assert "nothing to retry" in result.stdout
    assert pair.rows("db2", "SELECT count(*) FROM hestia_sync.runs WHERE command = 'retry'") == [(0,)]


def test_retry_while_a_run_holds_the_lock_ends_with_exit_4(pair, env, students, tmp_path):
    (row,) = students(db2_student(1))
    run_cli(["run"], env, tmp_path)
    holder = psycopg2.connect(pair.db2)
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (lock_key("hestia_sync"),))
        result = run_cli(["retry", row["id"]], env, tmp_path)
    finally:
        holder.close()

    assert result.code == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["retry", "x", "--step", "students.nope"], "--step: no step students.nope in the chosen flows"),
        (["plan", "--full", "--key", "x"], "--full and --key: choose one"),
        (["plan", "--step", "students.create"], "--step: give the rows to look at with --key KEY"),
        (["retry", " "], "--key: an empty key"),
        (["runs", "--since", "99999999999d"], "at most 100 years back"),
        (["status", "--limit", "99999999999999999999"], "must be from 1 to 1,000,000,000"),
        (["plan", "--diff", "--diff-limit", "0"], "must be from 1 to 1,000,000,000"),
    ],
)
def test_a_wrong_selection_of_rows_is_a_usage_error(env, tmp_path, args, message):
    result = run_cli(args, env, tmp_path)

    assert result.code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("key", "key_type", "expected"),
    [
        ("3F1C2A9E-0B6D-4D47-9A51-6C2F0E1B7D42", "uuid", "3f1c2a9e-0b6d-4d47-9a51-6c2f0e1b7d42"),
        ("urn:uuid:3f1c2a9e-0b6d-4d47-9a51-6c2f0e1b7d42", "uuid", "3f1c2a9e-0b6d-4d47-9a51-6c2f0e1b7d42"),
        ("not-a-uuid", "uuid", None),
        ("42", "integer", "42"),
        (" +007 ", "bigint", "7"),
        ("+-5", "integer", None),
        ("٣", "integer", None),
        ("2147483648", "integer", None),
        ("2147483648", "bigint", "2147483648"),
        ("-32769", "smallint", None),
        ("Básico", "text", "Básico"),
    ],
)
def test_a_named_key_is_written_as_the_database_writes_it_or_left_out(key, key_type, expected):
    from job.scope import as_key

    assert as_key(key, key_type) == expected


def test_retry_of_a_key_in_upper_case_resolves_its_rejection(pair, env, students, tmp_path):
    (bad,) = students(db2_student(1, telefone="123"))
    run_cli(["run", "--flow", "students"], env, tmp_path)
    pair.execute("db2", "UPDATE universitario SET telefone = '11 91234-5678'")

    result = run_cli(["retry", bad["id"].upper(), "--step", "students.create"], env, tmp_path)

    assert result.code == 0, result.stderr
    assert open_rejections(pair) == set()


def test_retry_records_only_the_flows_it_ran(pair, env, students, tmp_path):
    (row,) = students(db2_student(1))
    run_cli(["run"], env, tmp_path)

    run_cli(["retry", row["id"], "--step", "students.create"], env, tmp_path)

    assert pair.rows("db2", "SELECT flows FROM hestia_sync.runs ORDER BY id DESC LIMIT 1") == [(["students"],)]
