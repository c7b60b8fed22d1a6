"""`status`: the total of open rejections whatever the limit, the errors of failed runs, the latest conflicts.

The runs, rejections and conflicts are made by real runs where a run can make them cheaply (a dropped
column fails a flow, a payment both sides hold with different statuses conflicts), else stated as rows
of the state schema."""

from __future__ import annotations

import json

from job.state import ABANDONED
from tests.job.cli import run_cli
from tests.job.operators.test_operator_commands import DIEGO, add_rejections, add_run

ANA_PAYMENT = "55555555-5555-4555-8555-000000000001"  # in DB1 only, paid ('1')


def test_status_counts_every_open_rejection_and_deferral_whatever_the_limit(after_run, env, tmp_path):
    add_rejections(
        after_run,
        [{"step": "plans", "row_key": f"p{n:02d}", "reason": "nome is too long"} for n in range(25)]
        + [
            {"step": "students.update", "row_key": f"s{n}", "kind": "deferred", "reason": "helper down"}
            for n in range(5)
        ],
    )

    text = run_cli(["status", "--limit", "5"], env, tmp_path)
    answer = json.loads(run_cli(["status", "--limit", "5", "--json"], env, tmp_path).stdout)
    plans = json.loads(run_cli(["status", "--flow", "plans", "--json"], env, tmp_path).stdout)

    assert text.code == 0, text.stderr
    assert "open rejections and deferrals: showing 5 of 32 (27 rejected, 5 deferred)" in text.stdout
    assert {"runs", "open_rejections", "open_totals", "conflicts"} <= set(answer)
    assert len(answer["open_rejections"]) == 5
    assert answer["open_totals"] == {"rejected": 27, "deferred": 5, "total": 32}
    assert plans["open_totals"] == {"rejected": 25, "deferred": 0, "total": 25}


def test_status_prints_the_error_of_a_failed_run_below_the_runs(after_run, env, tmp_path):
    after_run.execute("db2", "ALTER TABLE plano DROP COLUMN descricao")
    assert run_cli(["run", "--flow", "plans"], env, tmp_path).code == 1

    text = run_cli(["status"], env, tmp_path).stdout
    answer = json.loads(run_cli(["status", "--json"], env, tmp_path).stdout)

    lines = text.splitlines()
    errors = lines.index("errors of the failed, interrupted and abandoned runs")
    assert errors < lines.index(next(line for line in lines if line.startswith("open rejections")))
    assert lines[errors + 1].startswith("  run 2 (failed): plans: DB2 has no column(s) descricao in plano")
    assert len([line for line in lines if line.startswith("  run ")]) == 1  # the partial run 1 has no error
    assert answer["runs"][0]["status"] == "failed"
    assert answer["runs"][0]["error"] is None  # the flow failed, not the run: its error is in the summary
    assert answer["runs"][0]["errors"][0].startswith("plans: DB2 has no column(s) descricao in plano")


def test_status_prints_the_error_of_interrupted_and_abandoned_runs(after_run, env, tmp_path):
    interrupted = add_run(after_run, "interrupted", exit_code=5, error="stopped by SIGTERM: the step was rolled back")
    stuck = add_run(after_run, "running")

    text = run_cli(["status"], env, tmp_path).stdout

    assert f"  run {interrupted} (interrupted): stopped by SIGTERM: the step was rolled back" in text
    assert f"  run {stuck} (abandoned): {ABANDONED}" in text


def test_status_lists_the_latest_conflicts_in_text_and_json(after_run, env, tmp_path):
    after_run.execute(
        "db2",
        "INSERT INTO pagamento_plano (id, nome, email, plano_id, pago) VALUES "
        "(%s, 'Ana Souza', 'ana.souza@example.com', '11111111-1111-4111-8111-000000000001', false)",
        (ANA_PAYMENT,),
    )
    assert run_cli(["run", "--flow", "payments"], env, tmp_path).code == 3  # Diego's phone is still rejected

    text = run_cli(["status"], env, tmp_path).stdout
    answer = json.loads(run_cli(["status", "--json"], env, tmp_path).stdout)
    others = json.loads(run_cli(["status", "--flow", "students", "--json"], env, tmp_path).stdout)

    assert "latest status conflicts (1 shown, newest first)" in text
    line = next(line for line in text.splitlines() if ANA_PAYMENT in line)
    assert line.split()[:5] == ["payments.status", ANA_PAYMENT, "-", "1", "false"]
    assert "pagamento wins: pago set to true" in line
    (conflict,) = answer["conflicts"]
    assert {key: conflict[key] for key in ("step", "row_key", "base_value", "left_value", "right_value")} == {
        "step": "payments.status",
        "row_key": ANA_PAYMENT,
        "base_value": None,
        "left_value": "1",
        "right_value": "false",
    }
    assert conflict["resolution"] == "pagamento wins: pago set to true"
    assert conflict["recorded_at"]
    assert others["conflicts"] == []


def test_status_with_nothing_open_says_none_and_still_lists_the_runs(after_run, env, tmp_path):
    after_run.execute("db2", "UPDATE hestia_sync.rejections SET resolved_at = now()")

    text = run_cli(["status"], env, tmp_path).stdout

    assert "open rejections and deferrals: showing 0 of 0 (0 rejected, 0 deferred)" in text
    assert "status conflicts: none recorded" in text
    assert DIEGO not in text
    assert "partial" in text
