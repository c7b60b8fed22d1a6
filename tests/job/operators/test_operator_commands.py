"""The operator's commands, `rejections`, `runs` and `show`, run as the real CLI against real state.

Each test states the state rows (or the source rows) it is about, runs the command and reads its table,
JSON or CSV. The sample data's first run leaves two rejections: students.create 3...04 (a phone number
of 8 digits) and payments.create 5...04 (no account has the payment's email)."""

from __future__ import annotations

import csv
import io
import json
import shlex
from typing import Any

import psycopg2
import psycopg2.extras
import pytest

from job.cli import build_parser
from job.commands.rejections import REJECTIONS, reason_pattern
from job.commands.runs import RUNS
from job.commands.show import SHOW
from job.commands.status import STATUS
from job.state import ABANDONED, lock_key
from tests.job.cli import run_cli

DIEGO = "33333333-3333-4333-8333-000000000004"  # students.create rejects his 8-digit phone number
ANA = "33333333-3333-4333-8333-000000000001"  # in both databases; DB1 holds her password hash
NOBODY_PAYS = "55555555-5555-4555-8555-000000000004"  # payments.create: no account has its email
ANA_HASH = "$2b$12$Tq3m6wzN0c9n3oQ6v0eLxOqQ1QpZ1cW0mJ0n2Vb8s6f0mWJt1a2Km"  # sample/db1.sql


def add_rejections(pair, rows: list[dict[str, Any]]) -> None:
    """Open rejections as runs leave them; each row states step, row_key and reason (flow: the step's first part)."""
    values = [
        (r["step"], r["row_key"], r.get("flow", r["step"].split(".")[0]), r.get("kind", "rejected"), r["reason"])
        for r in rows
    ]
    conn = psycopg2.connect(pair.db2)
    try:
        with conn, conn.cursor() as cur:
            psycopg2.extras.execute_values(
                cur,
                "INSERT INTO hestia_sync.rejections (step, row_key, flow, kind, reason, first_run_id, last_run_id) "
                "SELECT v.*, 1, 1 FROM (VALUES %s) AS v",
                values,
            )
    finally:
        conn.close()


def add_run(pair, status: str, started: str = "1 hour", **values: Any) -> int:
    """A run row started `started` ago, finished a second later unless it is still running."""
    row = {"command": "run", "flows": ["plans"], "exit_code": None, "summary": None, "error": None, **values}
    conn = psycopg2.connect(pair.db2)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO hestia_sync.runs (command, flows, started_at, finished_at, status, exit_code, summary, "
                "error) VALUES (%(command)s, %(flows)s, now() - %(started)s::interval, CASE WHEN %(status)s = "
                "'running' THEN NULL ELSE now() - %(started)s::interval + interval '1 second' END, %(status)s, "
                "%(exit_code)s, %(summary)s, %(error)s) RETURNING id",
                {**row, "started": started, "status": status, "summary": row["summary"] and json.dumps(row["summary"])},
            )
            (run_id,) = cur.fetchone()
    finally:
        conn.close()
    return int(run_id)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# rejections ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "pattern"),
    [
        (
            "telefone has 8 digits: expected 11 (DDD and number) or 13 starting with 55",
            "telefone has <n> digits: expected <n> (DDD and number) or <n> starting with <n>",
        ),
        (
            "uid_plano: plano 11111111-1111-4111-8111-000000000001 is not in the target yet",
            "uid_plano: plano <uuid> is not in the target yet",
        ),
        (
            "not in the target yet: universitario 11111111-1111-4111-8111-000000000001, "
            "universitario 11111111-1111-4111-8111-000000000002",
            "not in the target yet: universitario <uuid>",
        ),
        (
            "cusername: no free username found for 'ana.souza' this run",
            "cusername: no free username found for <text> this run",
        ),
        (
            "cnome: 120 characters, universitario.cnome allows at most 100",
            "cnome: <n> characters, universitario.cnome allows at most <n>",
        ),
        ("9999-12-15 plus one month is past the year 9999", "<date> plus one month is past the year <n>"),
        (
            'duplicate key value violates unique constraint "universitario_ctel_key" [SQLSTATE 23505]',
            'duplicate key value violates unique constraint "universitario_ctel_key" [SQLSTATE 23505]',
        ),
        (
            "no DB2 student or advertiser has this payment's email",
            "no DB2 student or advertiser has this payment's email",
        ),
    ],
)
def test_reason_pattern_replaces_row_values_and_keeps_names_words_and_sqlstates(reason, pattern):
    assert reason_pattern(reason) == pattern


def test_rejections_group_by_reason_counts_reasons_that_differ_only_in_values_as_one(after_run, env, tmp_path):
    add_rejections(
        after_run,
        [
            {
                "step": "students.create",
                "row_key": "k1",
                "reason": "telefone has 9 digits: expected 11 (DDD and number) or 13 starting with 55",
            },
            {
                "step": "advertisers.create",
                "row_key": "k2",
                "reason": "telefone has 12 digits: expected 11 (DDD and number) or 13 starting with 55",
            },
            {
                "step": "plan_benefits",
                "row_key": "k3",
                "kind": "deferred",
                "reason": "plano_id: plano 11111111-1111-4111-8111-000000000009 is not in the target yet",
            },
            {
                "step": "plan_benefits",
                "row_key": "k4",
                "kind": "deferred",
                "reason": "plano_id: plano 11111111-1111-4111-8111-00000000000a is not in the target yet",
            },
        ],
    )

    grouped = run_cli(["rejections", "--group-by", "reason", "--json"], env, tmp_path)

    assert grouped.code == 0, grouped.stderr
    answer = json.loads(grouped.stdout)
    counts = {g["reason"]: (g["count"], g["rejected"], g["deferred"]) for g in answer["groups"]}
    assert counts == {
        "telefone has <n> digits: expected <n> (DDD and number) or <n> starting with <n>": (3, 3, 0),
        "plano_id: plano <uuid> is not in the target yet": (2, 0, 2),
        "no DB2 student or advertiser has this payment's email": (1, 1, 0),
    }
    assert [g["count"] for g in answer["groups"]] == [3, 2, 1]  # largest first
    assert answer["groups"][0]["example"].startswith("telefone has ")
    assert answer["open_totals"] == {"rejected": 4, "deferred": 2, "total": 6}
    text = run_cli(["rejections", "--group-by", "reason"], env, tmp_path).stdout
    assert "by reason: 6 (4 rejected, 2 deferred) in 3 groups" in text
    assert "reason (one of the group)" in text
    assert "3      3         0         telefone has " in text  # a real reason of the group, not its pattern
    assert "<n>" not in text


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("step", {"students.create": 2, "payments.create": 1, "plan_benefits": 1}),
        ("flow", {"students": 2, "payments": 1, "plan_benefits": 1}),
    ],
)
def test_rejections_group_by_step_or_flow_gives_a_count_per_group_and_the_grand_total(
    after_run, env, tmp_path, by, expected
):
    add_rejections(
        after_run,
        [
            {"step": "students.create", "row_key": "k1", "reason": "email is not a valid address"},
            {
                "step": "plan_benefits",
                "row_key": "k2",
                "kind": "deferred",
                "reason": "plano_id: plano x is not in the target yet",
            },
        ],
    )

    answer = json.loads(run_cli(["rejections", "--group-by", by, "--json"], env, tmp_path).stdout)

    assert {g[by]: g["count"] for g in answer["groups"]} == expected
    assert answer["open_totals"]["total"] == sum(expected.values())
    assert answer["groups_total"] == len(expected)


@pytest.mark.parametrize(
    ("args", "keys", "totals"),
    [
        ([], {DIEGO, NOBODY_PAYS, "k-def", "k-adv"}, (3, 1)),
        (["--flow", "students"], {DIEGO, "k-def"}, (1, 1)),
        (["--step", "payments.create"], {NOBODY_PAYS}, (1, 0)),
        (["--step", "payments.create,advertisers.create"], {NOBODY_PAYS, "k-adv"}, (2, 0)),
        (["--kind", "deferred"], {"k-def"}, (0, 1)),
        (["--flow", "students", "--kind", "rejected"], {DIEGO}, (1, 0)),
    ],
)
def test_rejections_are_filtered_by_flow_step_and_kind_and_the_total_counts_what_matches(
    after_run, env, tmp_path, args, keys, totals
):
    add_rejections(
        after_run,
        [
            {"step": "students.update", "row_key": "k-def", "kind": "deferred", "reason": "helper API unavailable"},
            {"step": "advertisers.create", "row_key": "k-adv", "reason": "email is not a valid address"},
        ],
    )

    result = run_cli(["rejections", *args, "--json"], env, tmp_path)

    assert result.code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert {row["row_key"] for row in answer["rejections"]} == keys
    assert (answer["open_totals"]["rejected"], answer["open_totals"]["deferred"]) == totals


def test_rejections_leave_out_resolved_rows(after_run, env, tmp_path):
    after_run.execute("db2", "UPDATE hestia_sync.rejections SET resolved_at = now() WHERE row_key = %s", (DIEGO,))

    answer = json.loads(run_cli(["rejections", "--json"], env, tmp_path).stdout)

    assert [row["row_key"] for row in answer["rejections"]] == [NOBODY_PAYS]
    assert answer["open_totals"] == {"rejected": 1, "deferred": 0, "total": 1}


def test_rejections_list_at_most_the_limit_and_always_say_the_total(after_run, env, tmp_path):
    add_rejections(
        after_run, [{"step": "plans", "row_key": f"p{n:03d}", "reason": f"nome: {n} characters"} for n in range(148)]
    )

    default = run_cli(["rejections"], env, tmp_path)
    limited = json.loads(run_cli(["rejections", "--limit", "5", "--json"], env, tmp_path).stdout)

    assert "showing 100 of 150 (150 rejected, 0 deferred)" in default.stdout
    assert len(default.stdout.splitlines()) == 1 + 2 + 100
    assert (len(limited["rejections"]), limited["shown"], limited["open_totals"]["total"]) == (5, 5, 150)


def test_rejections_csv_has_a_header_and_every_row_unless_limited(after_run, env, tmp_path):
    add_rejections(
        after_run, [{"step": "plans", "row_key": f"p{n:03d}", "reason": f"nome, with a comma: {n}"} for n in range(148)]
    )

    every = run_cli(["rejections", "--csv"], env, tmp_path)
    five = run_cli(["rejections", "--csv", "--limit", "5"], env, tmp_path)

    assert every.code == 0, every.stderr
    assert (
        every.stdout.splitlines()[0]
        == "flow,step,row_key,kind,reason,attempts,first_seen_at,last_seen_at,first_run_id,last_run_id"
    )
    rows = csv_rows(every.stdout)
    assert len(rows) == 150
    assert {row["reason"] for row in rows if row["row_key"] == "p007"} == {"nome, with a comma: 7"}
    assert next(row for row in rows if row["row_key"] == DIEGO)["step"] == "students.create"
    assert len(csv_rows(five.stdout)) == 5
    assert "exported 5 of 150 open rejections and deferrals: raise --limit for the others" in five.stderr


def test_rejections_grouped_as_csv_have_one_row_per_group(after_run, env, tmp_path):
    result = run_cli(["rejections", "--group-by", "step", "--csv"], env, tmp_path)

    assert result.code == 0, result.stderr
    assert csv_rows(result.stdout) == [
        {"step": "payments.create", "count": "1", "rejected": "1", "deferred": "0"},
        {"step": "students.create", "count": "1", "rejected": "1", "deferred": "0"},
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--step", "bogus"], "--step: no step bogus in the chosen flows; choose from plans, plan_benefits"),
        (
            ["--flow", "plans", "--step", "payments.create"],
            "--step: no step payments.create in the chosen flows; choose from plans",
        ),
        (["--kind", "refused"], "argument --kind: invalid choice: 'refused'"),
        (["--group-by", "key"], "argument --group-by: invalid choice: 'key'"),
        (["--json", "--csv"], "argument --csv: not allowed with argument --json"),
        (["--limit", "0"], "argument --limit: must be from 1 to 1,000,000,000"),
    ],
)
def test_rejections_with_a_bad_option_is_a_usage_error_naming_it(env, tmp_path, args, expected):
    result = run_cli(["rejections", *args], env, tmp_path)

    assert result.code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


# runs ----------------------------------------------------------------------------------------------------------------


def test_runs_show_the_last_day_by_default_and_since_widens_or_narrows_the_window(after_run, env, tmp_path):
    two_days_ago = add_run(after_run, "ok", started="2 days", exit_code=0)
    three_hours_ago = add_run(after_run, "ok", started="3 hours", exit_code=0)

    def ids(*args: str) -> list[int]:
        result = run_cli(["runs", *args, "--json"], env, tmp_path)
        assert result.code == 0, result.stderr
        return [run["id"] for run in json.loads(result.stdout)["runs"]]

    assert ids() == [three_hours_ago, 1]
    assert ids("--since", "3d") == [three_hours_ago, two_days_ago, 1]
    assert ids("--since", "2h") == [1]
    assert ids("--since", "30m") == [1]
    assert ids("--since", "4h", "--flow", "students") == [1]  # run 1 ran every flow, the others only plans


def test_runs_filter_by_status_and_show_command_counts_duration_exit_code_and_errors(after_run, env, tmp_path):
    summary = {
        "inserted": 4,
        "updated": 1,
        "rejected": 0,
        "deferred": 2,
        "conflicts": 1,
        "flows": [{"flow": "plans", "error": "plans: DB2 has no column(s) descricao in plano"}],
    }
    failed = add_run(after_run, "failed", exit_code=1, summary=summary)
    add_run(after_run, "skipped", exit_code=4, error="another sync run holds the lock")
    interrupted = add_run(after_run, "interrupted", exit_code=5, error="stopped by SIGTERM")

    result = run_cli(["runs", "--status", "failed", "--status", "interrupted", "--json"], env, tmp_path)

    assert result.code == 0, result.stderr
    runs = {run["id"]: run for run in json.loads(result.stdout)["runs"]}
    assert list(runs) == [interrupted, failed]
    got = runs[failed]
    assert (got["command"], got["flows"], got["status"], got["exit_code"], got["duration_s"]) == (
        "run",
        ["plans"],
        "failed",
        1,
        1.0,
    )
    assert {name: got[name] for name in ("inserted", "updated", "rejected", "deferred", "conflicts")} == {
        "inserted": 4,
        "updated": 1,
        "rejected": 0,
        "deferred": 2,
        "conflicts": 1,
    }
    assert got["errors"] == ["plans: DB2 has no column(s) descricao in plano"]
    assert runs[interrupted]["errors"] == ["stopped by SIGTERM"]
    text = run_cli(["runs", "--status", "failed", "--status", "interrupted"], env, tmp_path).stdout
    assert f"run {failed} (failed): plans: DB2 has no column(s) descricao in plano" in text
    assert f"run {interrupted} (interrupted): stopped by SIGTERM" in text
    assert "skipped" not in text
    assert "  1.0s  " in text


def test_runs_show_a_run_still_running_with_the_lock_free_as_abandoned(after_run, env, tmp_path):
    stuck = add_run(after_run, "running")

    abandoned = json.loads(run_cli(["runs", "--status", "abandoned", "--json"], env, tmp_path).stdout)["runs"]
    running = json.loads(run_cli(["runs", "--status", "running", "--json"], env, tmp_path).stdout)["runs"]

    assert [(run["id"], run["status"], run["errors"]) for run in abandoned] == [(stuck, "abandoned", [ABANDONED])]
    assert running == []


def test_runs_show_a_run_as_running_while_a_session_holds_the_lock(after_run, env, tmp_path):
    live = add_run(after_run, "running")
    holder = psycopg2.connect(after_run.db2)
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (lock_key("hestia_sync"),))
        running = json.loads(run_cli(["runs", "--status", "running", "--json"], env, tmp_path).stdout)["runs"]
    finally:
        holder.close()

    assert [(run["id"], run["status"], run["duration_s"]) for run in running] == [(live, "running", None)]


@pytest.mark.parametrize("since", ["0h", "6", "6 hours", "h", "-2d", "1y"])
def test_runs_since_something_not_a_duration_is_a_usage_error_saying_what_is_expected(env, tmp_path, since):
    result = run_cli(["runs", f"--since={since}"], env, tmp_path)

    assert result.code == 2
    assert "argument --since: expected a duration above zero such as 30m, 6h, 2d or 1w" in result.stderr


def test_runs_with_an_unknown_status_is_a_usage_error_listing_the_statuses(env, tmp_path):
    result = run_cli(["runs", "--status", "done"], env, tmp_path)

    assert result.code == 2
    assert "argument --status: invalid choice: 'done' (choose from " in result.stderr
    assert all(status in result.stderr for status in ("ok", "partial", "failed", "abandoned", "running"))


# show ----------------------------------------------------------------------------------------------------------------


def test_show_prints_the_open_rejection_and_the_source_row_column_by_column(after_run, env, tmp_path):
    result = run_cli(["show", DIEGO], env, tmp_path)

    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("students.create  rejected  1 ") and "telefone has 8 digits" in line for line in lines)
    assert "the row students.create reads from DB2 universitario" in lines
    assert "telefone       9876-5432" in lines
    assert "email          diego@example.com" in lines
    assert "plano_id       NULL" in lines


def test_show_reads_the_row_through_the_steps_source_sql_filtered_to_the_key(after_run, env, tmp_path):
    result = run_cli(["show", NOBODY_PAYS, "--json"], env, tmp_path)

    assert result.code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert [(p["step"], p["kind"], p["reason"], p["attempts"]) for p in answer["open_rejections"]] == [
        ("payments.create", "rejected", "no DB2 student or advertiser has this payment's email", 1)
    ]
    assert answer["source"]["row"] == {  # the columns the step's query makes, not those of pagamento_plano
        "id": NOBODY_PAYS,
        "plano_id": "11111111-1111-4111-8111-000000000001",
        "pago": True,
        "created_on": "2026-11-26",
        "universitario_ids": None,
        "anunciante_ids": None,
    }
    assert answer["note"] is None


def test_show_leaves_out_every_column_the_helper_fills_or_named_like_a_secret(after_run, env, tmp_path):
    after_run.execute(
        "db1", "UPDATE universitario SET cfotoperfil = 'https://photos.example.com/ana.jpg' WHERE uid = %s", (ANA,)
    )
    after_run.execute("db1", "ALTER TABLE universitario ADD COLUMN api_token text DEFAULT 'tok-visible-nowhere'")

    text = run_cli(["show", ANA, "--step", "students.update"], env, tmp_path)
    answer = json.loads(run_cli(["show", ANA, "--step", "students.update", "--json"], env, tmp_path).stdout)

    assert text.code == 0, text.stderr
    for secret in (ANA_HASH, "photos.example.com", "tok-visible-nowhere"):
        assert secret not in text.stdout + text.stderr
    assert "left out (secrets): api_token, cfotoperfil, csenha" in text.stdout
    assert "cemail         ana.souza@example.com" in text.stdout
    assert answer["source"]["left_out"] == ["api_token", "cfotoperfil", "csenha"]
    assert not {"csenha", "cfotoperfil", "api_token"} & set(answer["source"]["row"])


def test_show_a_key_without_an_open_problem_shows_the_row_of_the_step_named_and_says_so(after_run, env, tmp_path):
    named = run_cli(["show", ANA, "--step", "students.update"], env, tmp_path)
    unnamed = run_cli(["show", ANA], env, tmp_path)

    assert named.code == 0, named.stderr
    assert f"{ANA} has no open rejection or deferral in step students.update" in named.stdout
    assert "cnome          Ana Beatriz Souza" in named.stdout
    assert unnamed.code == 0
    assert "give --step NAME to see the row a step reads" in unnamed.stdout
    assert "Ana Beatriz Souza" not in unnamed.stdout


def test_show_a_key_open_in_several_steps_asks_which_then_shows_the_one_named(after_run, env, tmp_path):
    add_rejections(
        after_run,
        [{"step": "students.update", "row_key": DIEGO, "kind": "deferred", "reason": "helper API unavailable"}],
    )

    ambiguous = run_cli(["show", DIEGO], env, tmp_path)
    chosen = run_cli(["show", DIEGO, "--step", "students.update", "--json"], env, tmp_path)

    assert ambiguous.code == 2
    assert (
        f"KEY {DIEGO} is open in several steps (students.create, students.update): choose one with --step NAME"
        in ambiguous.stderr
    )
    answer = json.loads(chosen.stdout)
    assert [p["step"] for p in answer["open_rejections"]] == ["students.update"]
    assert answer["source"]["step"] == "students.update"
    assert answer["source"]["row"] is None  # DB1 has no Diego: his account was rejected on the way there
    assert "no source row: DB1 universitario has no uid = " in answer["source"]["note"]


def test_show_a_key_open_in_steps_of_two_flows_is_told_apart_by_flow(after_run, env, tmp_path):
    add_rejections(after_run, [{"step": "payments.create", "row_key": DIEGO, "reason": "made up for the test"}])

    ambiguous = run_cli(["show", DIEGO], env, tmp_path)
    by_flow = json.loads(run_cli(["show", DIEGO, "--flow", "payments", "--json"], env, tmp_path).stdout)

    assert ambiguous.code == 2
    assert "choose one with --step NAME (or its flow with --flow NAME)" in ambiguous.stderr
    assert [p["step"] for p in by_flow["open_rejections"]] == ["payments.create"]


def test_show_a_key_whose_source_row_was_deleted_says_so(after_run, env, tmp_path):
    after_run.execute("db2", "DELETE FROM universitario WHERE id = %s", (DIEGO,))

    result = run_cli(["show", DIEGO], env, tmp_path)

    assert result.code == 0, result.stderr
    assert "telefone has 8 digits" in result.stdout
    assert f"no source row: DB2 universitario has no id = {DIEGO} (deleted since?)" in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["show", "not-a-uuid", "--step", "students.create"],
            "KEY 'not-a-uuid' is not a uuid, the type of DB2 universitario.id",
        ),
        (["show", DIEGO, "--step", "students"], "--step: no step students in the chosen flows; choose from"),
        (["show"], "the following arguments are required: KEY"),
    ],
)
def test_show_with_a_bad_key_or_step_is_a_usage_error_naming_it(env, tmp_path, args, expected):
    result = run_cli(args, env, tmp_path)

    assert result.code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


# all of them ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "empty"),
    [
        (
            ["rejections", "--json"],
            {"rejections": [], "shown": 0, "open_totals": {"rejected": 0, "deferred": 0, "total": 0}},
        ),
        (
            ["rejections", "--group-by", "reason", "--json"],
            {"groups": [], "groups_total": 0, "open_totals": {"rejected": 0, "deferred": 0, "total": 0}},
        ),
        (["runs", "--json"], {"since": "24h", "runs": []}),
        (["show", DIEGO, "--json"], {"row_key": DIEGO, "open_rejections": [], "source": None}),
    ],
)
def test_before_the_first_run_each_command_says_there_are_no_runs_yet_and_exits_0(env, tmp_path, args, empty):
    note = "no runs yet: the state schema hestia_sync does not exist (the first run creates it)"

    as_json = run_cli(args, env, tmp_path)
    as_text = run_cli([arg for arg in args if arg != "--json"], env, tmp_path)

    assert as_json.code == 0, as_json.stderr
    assert json.loads(as_json.stdout) == {**empty, "note": note}
    assert as_text.code == 0
    assert note in as_text.stdout


def test_before_the_first_run_show_with_a_step_still_shows_the_source_row(env, tmp_path):
    result = run_cli(["show", DIEGO, "--step", "students.create"], env, tmp_path)

    assert result.code == 0, result.stderr
    assert "no runs yet" in result.stdout
    assert "telefone       9876-5432" in result.stdout


def test_before_the_first_run_a_csv_export_is_its_header_alone(env, tmp_path):
    result = run_cli(["rejections", "--csv"], env, tmp_path)

    assert result.code == 0
    assert result.stdout.splitlines() == [
        "flow,step,row_key,kind,reason,attempts,first_seen_at,last_seen_at,first_run_id,last_run_id"
    ]
    assert "no runs yet" in result.stderr


@pytest.mark.parametrize("command", [STATUS, REJECTIONS, RUNS, SHOW], ids=lambda command: command.name)
def test_every_example_in_the_help_runs_and_exits_0(after_run, env, tmp_path, command):
    for example in command.examples:
        args = shlex.split(example.split(">")[0])
        assert build_parser().parse_args(args).command == command.name
        result = run_cli(args, env, tmp_path)
        assert result.code == 0, (example, result.stderr)
        assert result.stdout.strip(), example


def test_runs_lists_at_most_the_limit_and_says_so(after_run, env, tmp_path):
    for _ in range(2):
        run_cli(["run"], env, tmp_path)

    limited = run_cli(["runs", "--limit", "2"], env, tmp_path)
    listed = run_cli(["runs", "--limit", "2", "--json"], env, tmp_path)

    assert limited.code == 0, limited.stderr
    assert "runs started in the last 24h: 2 (the newest 2: raise --limit for older ones)" in limited.stdout
    assert len(json.loads(listed.stdout)["runs"]) == 2


def test_show_finds_a_rejection_by_its_id_in_upper_case(after_run, env, tmp_path):
    (key,) = [key for (key,) in after_run.rows("db2", "SELECT row_key FROM hestia_sync.rejections") if "-" in key][:1]

    shown = run_cli(["show", key.upper(), "--json"], env, tmp_path)

    assert shown.code == 0, shown.stderr
    answer = json.loads(shown.stdout)
    assert answer["row_key"] == key
    assert [p["row_key"] for p in answer["open_rejections"]] == [key]
