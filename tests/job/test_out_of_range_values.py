"""Values PostgreSQL holds and the job does not carry (dates past year 9999, BC or infinite; NaN numbers;
control characters) reject their row, never the run."""

from __future__ import annotations

import pytest

from job.engine import execute
from job.flows import select_flows
from tests.job.builders import db1_plan, db1_student, db2_payment, db2_plan, db2_student, insert, one


def problems(report):
    return {(p.row_key, p.kind): p.reason for f in report.flows for s in f.steps for p in s.sample}


@pytest.mark.parametrize("birth", ["10000-01-01", "4713-01-01 BC", "infinity", "-infinity"])
def test_a_birth_date_python_cannot_hold_rejects_that_student_and_the_others_are_created(
    pair, helper, make_settings, birth
):
    good, bad = db2_student(1), db2_student(2)
    insert(pair, "db2", "universitario", [good, bad])
    pair.execute("db2", "UPDATE universitario SET dt_nascimento = %s::date WHERE id = %s", (birth, bad["id"]))

    report = execute(make_settings(pair), "run", select_flows(["students"]))

    assert report.exit_code == 3
    assert problems(report) == {
        (bad["id"], "rejected"): "dt_nascimento is a date outside years 1 to 9999 (or infinite): "
        "the job does not copy such a value"
    }
    assert [key for (key,) in pair.rows("db1", "SELECT uid::text FROM universitario")] == [good["id"]]


def test_a_payment_made_at_infinity_is_rejected_and_the_flow_goes_on(pair, helper, make_settings):
    insert(pair, "db1", "plano", [db1_plan()])
    insert(pair, "db2", "plano", [db2_plan()])
    student = db1_student(1)
    insert(pair, "db1", "universitario", [student])
    insert(pair, "db2", "universitario", [db2_student(1, id=student["uid"])])
    good, bad = db2_payment("aluno1@example.com"), db2_payment("aluno1@example.com")
    insert(pair, "db2", "pagamento_plano", [good, bad])
    pair.execute("db2", "UPDATE pagamento_plano SET created_at = 'infinity' WHERE id = %s", (bad["id"],))

    report = execute(make_settings(pair), "run", select_flows(["payments"]))

    assert report.exit_code == 3
    assert "created_on is a date outside years 1 to 9999" in problems(report)[(bad["id"], "rejected")]
    assert pair.rows("db1", "SELECT uid::text FROM pagamento") == [(good["id"],)]


def test_an_out_of_range_date_in_db2_is_put_back_to_db1s_value(pair, helper, make_settings):
    student = db1_student(1)
    insert(pair, "db1", "universitario", [student])
    insert(pair, "db2", "universitario", [db2_student(1, id=student["uid"])])
    pair.execute("db2", "UPDATE universitario SET dt_nascimento = '10000-01-01' WHERE id = %s", (student["uid"],))

    report = execute(make_settings(pair), "run", select_flows(["students"]))

    assert report.exit_code == 0
    row = one(pair, "db2", "SELECT dt_nascimento FROM universitario WHERE id = %s", (student["uid"],))
    assert row["dt_nascimento"] == student["ddtnascimento"]


def test_a_nan_plan_price_is_rejected_not_rewritten_on_every_run(pair, helper, make_settings):
    insert(pair, "db1", "plano", [db1_plan(), db1_plan(uid="11111111-1111-4111-8111-0000000000bb", cnome="Sem preço")])
    pair.execute("db1", "UPDATE plano SET nvalor = 'NaN' WHERE cnome = 'Sem preço'")

    first = execute(make_settings(pair), "run", select_flows(["plans"]))
    again = execute(make_settings(pair), "run", select_flows(["plans"]), full=True)

    assert problems(first) == {
        ("11111111-1111-4111-8111-0000000000bb", "rejected"): "nvalor is not a number (NaN or infinite): "
        "the job does not copy such a value"
    }
    assert again.total("updated") == 0
    assert pair.rows("db2", "SELECT nome FROM plano") == [("Básico",)]


@pytest.mark.parametrize("name", ["Ana\x1b[31m", "Ana\u0085Lima", "Ana\x7f"])
def test_a_name_with_control_characters_is_rejected_and_one_with_a_line_break_in_the_bio_is_not(
    pair, helper, make_settings, name
):
    bad, good = db2_student(1, nome=name), db2_student(2, bio="linha 1\nlinha 2\tfim")
    insert(pair, "db2", "universitario", [bad, good])

    report = execute(make_settings(pair), "run", select_flows(["students"]))

    assert problems(report) == {
        (bad["id"], "rejected"): "cnome: contains control characters (tab and line breaks aside), "
        "which the job does not copy"
    }
    assert pair.rows("db1", "SELECT cdescricao FROM universitario") == [("linha 1\nlinha 2\tfim",)]


def test_a_payment_whose_plan_price_is_nan_is_rejected_and_the_step_goes_on(pair, helper, make_settings):
    nan_plan = "11111111-1111-4111-8111-0000000000cc"
    insert(pair, "db1", "plano", [db1_plan(), db1_plan(uid=nan_plan, cnome="Sem preço")])
    pair.execute("db1", "UPDATE plano SET nvalor = 'NaN' WHERE uid = %s", (nan_plan,))
    insert(pair, "db2", "plano", [db2_plan(), db2_plan(id=nan_plan, nome="Sem preço")])
    student = db1_student(1)
    insert(pair, "db1", "universitario", [student])
    insert(pair, "db2", "universitario", [db2_student(1, id=student["uid"])])
    good, bad = db2_payment("aluno1@example.com"), db2_payment("aluno1@example.com", plano_id=nan_plan)
    insert(pair, "db2", "pagamento_plano", [good, bad])

    report = execute(make_settings(pair), "run", select_flows(["payments"]))

    assert report.exit_code == 3
    assert "ntotal: the source value is not a number" in problems(report)[(bad["id"], "rejected")]
    assert pair.rows("db1", "SELECT uid::text FROM pagamento") == [(good["id"],)]
