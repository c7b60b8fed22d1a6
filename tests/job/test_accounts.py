"""Flows 3 and 4: new DB2 accounts are created in DB1; DB1 profile edits go back to DB2."""

from datetime import date

import pytest

from job.engine import execute
from job.flows import select_flows
from job.resolvers import UNUSABLE_PASSWORD
from tests.job.builders import (
    PLAN_ID,
    db1_advertiser,
    db1_plan,
    db1_student,
    db2_advertiser,
    db2_plan,
    db2_student,
    insert,
    one,
    versions,
)
from tests.support.helper_server import Failure

HASH = "$2b$12$abcdefghijklmnopqrstuuN0x4sAlwJ2bYt7wQm8f9o2Zx1c3Vb5e"


def run(settings, *flows):
    return execute(settings, "run", select_flows(list(flows)))


def problems(report):
    return {(p.row_key, p.kind): p.reason for f in report.flows for s in f.steps for p in s.sample}


def test_a_new_db2_student_is_created_in_db1_with_every_column_converted(pair, helper, make_settings):
    insert(pair, "db2", "plano", [db2_plan()])
    student = db2_student(
        7,
        nome="Bruno Lima",
        email=" Bruno.Lima@Example.com",
        prefixo="55",
        telefone="+55 (21) 99123-4567",
        plano_id=PLAN_ID,
        bio="Calouro",
        universidade="UFRJ",
    )
    insert(pair, "db2", "universitario", [student])
    helper.state.known["bruno.lima@example.com"] = (HASH, "https://img.example.com/bruno.jpg")

    report = run(make_settings(pair), "students")

    row = one(pair, "db1", "SELECT * FROM universitario")
    assert row == {
        "uid": student["id"],
        "cdne": "DNE-00007",
        "cnome": "Bruno Lima",
        "cusername": "bruno.lima",
        "cemail": "bruno.lima@example.com",
        "csenha": HASH,
        "ddtnascimento": date(2004, 1, 2),
        "cgenero": "feminino",
        "cmunicipio": "São Paulo",
        "cprefixo": "+55",
        "ctel": "21 99123-4567",
        "cplano": "1",
        "cfotoperfil": "https://img.example.com/bruno.jpg",
        "cdescricao": "Calouro",
        "uid_anuncio": None,
        "cnmfaculdade": "UFRJ",
    }
    assert report.total("inserted") == 1
    assert report.exit_code == 0


def test_a_new_advertiser_is_created_without_student_only_columns(pair, helper, make_settings):
    advertiser = db2_advertiser(3, nome="Elisa Prado", prefixo=None)
    insert(pair, "db2", "anunciante", [advertiser])

    run(make_settings(pair), "advertisers")

    row = one(pair, "db1", "SELECT cusername, cprefixo, cplano, csenha, cfotoperfil FROM anunciante")
    assert row["cusername"] == "elisa.prado"
    assert row["cprefixo"] == "+55"
    assert row["cplano"] == "0"
    assert row["csenha"] == UNUSABLE_PASSWORD
    assert row["cfotoperfil"].startswith("https://avatars.example.com/")


def test_usernames_are_unique_in_db1_across_both_account_tables(pair, helper, make_settings):
    insert(pair, "db1", "universitario", [db1_student(1, cusername="ana.souza")])
    insert(pair, "db1", "anunciante", [db1_advertiser(1, cusername="ana.souza2")])
    insert(pair, "db2", "universitario", [db2_student(2, nome="Ana Souza"), db2_student(3, nome="Ana Souza")])

    run(make_settings(pair), "students")

    names = sorted(u for (u,) in pair.rows("db1", "SELECT cusername FROM universitario"))
    assert names == ["ana.souza", "ana.souza3", "ana.souza4"]


def test_a_name_whose_first_five_usernames_are_taken_gets_a_four_digit_suffix(pair, helper, make_settings):
    family = ["ana.souza", *(f"ana.souza{n}" for n in range(2, 6))]
    insert(pair, "db1", "universitario", [db1_student(n, cusername=name) for n, name in enumerate(family, start=1)])
    newcomers = [db2_student(n, nome="Ana Souza") for n in range(20, 23)]
    insert(pair, "db2", "universitario", newcomers)

    report = run(make_settings(pair), "students")

    assert report.total("inserted") == 3
    names = [
        u for (u,) in pair.rows("db1", "SELECT cusername FROM universitario WHERE cusername <> ALL(%s)", (family,))
    ]
    assert len(set(names)) == 3
    assert all(name.startswith("ana.souza") and 1000 <= int(name.removeprefix("ana.souza")) <= 9999 for name in names)


def test_an_email_the_helper_does_not_know_gets_a_password_that_can_never_match(pair, helper, make_settings):
    insert(pair, "db2", "universitario", [db2_student(1)])

    run(make_settings(pair), "students")

    (password,) = pair.rows("db1", "SELECT csenha FROM universitario")[0]
    assert password == UNUSABLE_PASSWORD
    assert password
    assert not password.startswith("$2")


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"telefone": "9876-5432"}, "telefone has 8 digits"),
        ({"telefone": None}, "telefone is empty"),
        ({"dne": None}, "cdne: universitario requires a value"),
        ({"dt_nascimento": None}, "ddtnascimento: universitario requires a value"),
        ({"email": "not-an-email"}, "email is not a valid address"),
        ({"email": "joão@example.com"}, "email is not a valid address"),
        ({"prefixo": "+5-5a"}, "prefixo is not a dialling code"),
    ],
)
def test_a_bad_row_is_rejected_with_its_reason_and_the_good_rows_are_still_written(
    pair, helper, make_settings, bad, reason
):
    good = [db2_student(1), db2_student(2)]
    broken = db2_student(3, **bad)
    insert(pair, "db2", "universitario", [good[0], broken, good[1]])

    report = run(make_settings(pair), "students")

    assert reason in problems(report)[(broken["id"], "rejected")]
    assert sorted(k for (k,) in pair.rows("db1", "SELECT uid::text FROM universitario")) == sorted(
        s["id"] for s in good
    )
    assert report.exit_code == 3


def test_a_value_longer_than_the_target_column_is_rejected_before_writing(pair, helper, make_settings):
    pair.execute("db1", "ALTER TABLE universitario ALTER COLUMN cgenero TYPE varchar(5)")
    long, short = db2_student(1, genero="feminino"), db2_student(2, genero="f")
    insert(pair, "db2", "universitario", [long, short])

    report = run(make_settings(pair), "students")

    assert problems(report)[(long["id"], "rejected")] == (
        "cgenero: 8 characters, universitario.cgenero allows at most 5"
    )
    assert report.total("inserted") == 1


def test_an_email_already_used_in_db1_by_another_id_is_rejected_naming_the_unique_constraint(
    pair, helper, make_settings
):
    insert(pair, "db1", "universitario", [db1_student(1, cemail="taken@example.com")])
    clash = db2_student(2, email="taken@example.com")
    fine = db2_student(3)
    insert(pair, "db2", "universitario", [clash, fine])

    report = run(make_settings(pair), "students")

    reason = problems(report)[(clash["id"], "rejected")]
    assert "is already held by another DB1 universitario row" in reason  # found before the write (job/uniques.py)
    assert "universitario_cemail_key" in reason
    assert "taken@example.com" not in reason
    assert one(pair, "db1", "SELECT count(*) AS n FROM universitario WHERE uid = %s", (fine["id"],))["n"] == 1


def test_a_rejected_row_is_tried_again_and_goes_through_once_fixed(pair, helper, make_settings):
    student = db2_student(1, telefone="123")
    insert(pair, "db2", "universitario", [student])
    settings = make_settings(pair)
    assert run(settings, "students").exit_code == 3

    pair.execute("db2", "UPDATE universitario SET telefone = '11 91234-5678'")
    report = run(settings, "students")

    assert report.exit_code == 0
    assert report.total("inserted") == 1
    open_rejections = pair.rows("db2", "SELECT count(*) FROM hestia_sync.rejections WHERE resolved_at IS NULL")
    assert open_rejections == [(0,)]


@pytest.mark.parametrize(
    "failure",
    [Failure(status=503), Failure(status=429, retry_after="0"), Failure(status=200, delay_s=2.5)],
    ids=["5xx", "429", "timeout"],
)
def test_a_helper_that_keeps_failing_defers_new_accounts_and_writes_no_made_up_password(
    pair, helper, make_settings, failure
):
    insert(pair, "db2", "universitario", [db2_student(1), db2_student(2)])
    helper.state.fail_always = failure

    report = run(make_settings(pair, JOB_HELPER_TIMEOUT_S=0.5), "students")

    assert pair.rows("db1", "SELECT count(*) FROM universitario") == [(0,)]
    assert report.total("deferred") == 2
    assert report.exit_code == 3
    assert all("helper API unavailable" in reason for reason in problems(report).values())
    assert helper.state.requests == 3  # one try and JOB_HELPER_RETRIES=2 retries


def test_a_helper_that_recovers_within_the_retries_lets_the_rows_through(pair, helper, make_settings):
    insert(pair, "db2", "universitario", [db2_student(1)])
    helper.state.failures.extend([Failure(status=502), Failure(status=429, retry_after="0")])

    report = run(make_settings(pair), "students")

    assert report.total("inserted") == 1
    assert report.exit_code == 0


def test_a_refused_helper_token_fails_the_flow_and_names_the_setting(pair, helper, make_settings):
    insert(pair, "db2", "universitario", [db2_student(1)])

    report = run(make_settings(pair, HELPER_API_TOKEN="wrong-token"), "students")

    assert report.exit_code == 1
    assert "check HELPER_API_TOKEN" in report.flows[0].error
    assert "wrong-token" not in report.flows[0].error
    assert pair.rows("db1", "SELECT count(*) FROM universitario") == [(0,)]


def test_the_helper_is_asked_only_about_rows_about_to_be_inserted(pair, helper, make_settings):
    existing = db1_student(1)
    insert(pair, "db1", "universitario", [existing])
    insert(
        pair,
        "db2",
        "universitario",
        [
            db2_student(1, id=existing["uid"]),
            db2_student(2, telefone="1"),
            db2_student(3),
        ],
    )

    run(make_settings(pair), "students")

    assert helper.state.emails_asked == ["aluno3@example.com"]
    assert helper.state.requests == 1


def test_db1_profile_edits_are_copied_to_db2_and_formatting_alone_is_not_a_change(pair, helper, make_settings):
    insert(pair, "db2", "plano", [db2_plan()])
    insert(pair, "db1", "plano", [db1_plan()])
    edited, same = db1_student(1, cnome="Ana B. Souza", cdescricao="Nova bio", cnmfaculdade="Unicamp"), db1_student(2)
    insert(pair, "db1", "universitario", [edited, same])
    insert(
        pair,
        "db2",
        "universitario",
        [
            db2_student(1, id=edited["uid"], nome="Ana Souza", plano_id=PLAN_ID),
            db2_student(2, id=same["uid"], telefone="(11) 90002-0002", prefixo="55", email=" ALUNO2@example.com"),
        ],
    )
    pair.execute("db2", "UPDATE universitario SET updated_at = '2025-01-01'")

    report = run(make_settings(pair), "students")

    row = one(
        pair,
        "db2",
        "SELECT nome, bio, universidade, plano_id, updated_at > '2025-01-02' AS moved FROM universitario WHERE id = %s",
        (edited["uid"],),
    )
    assert row == {
        "nome": "Ana B. Souza",
        "bio": "Nova bio",
        "universidade": "Unicamp",
        "plano_id": None,
        "moved": True,
    }
    untouched = one(
        pair, "db2", "SELECT updated_at > '2025-01-02' AS moved FROM universitario WHERE id = %s", (same["uid"],)
    )
    assert not untouched["moved"]
    assert report.total("updated") == 1


def test_a_plan_flag_of_1_leaves_db2s_plan_as_it_is(pair, helper, make_settings):
    insert(pair, "db2", "plano", [db2_plan()])
    student = db1_student(1, cplano="1")
    insert(pair, "db1", "universitario", [student])
    insert(pair, "db2", "universitario", [db2_student(1, id=student["uid"], plano_id=PLAN_ID)])
    before = versions(pair, "db2", ["universitario"])

    run(make_settings(pair), "students")

    assert versions(pair, "db2", ["universitario"]) == before


def test_db1_only_accounts_are_left_alone(pair, helper, make_settings):
    insert(pair, "db1", "anunciante", [db1_advertiser(1)])

    report = run(make_settings(pair), "advertisers")

    assert pair.rows("db2", "SELECT count(*) FROM anunciante") == [(0,)]
    assert report.exit_code == 0


def test_an_edit_that_would_duplicate_an_email_in_db2_is_rejected_and_the_rest_copied(pair, helper, make_settings):
    first, second = db1_student(1, cemail="dup@example.com", cnome="Novo Nome"), db1_student(2, cnome="Outro")
    insert(pair, "db1", "universitario", [first, second])
    insert(
        pair,
        "db2",
        "universitario",
        [db2_student(1, id=first["uid"]), db2_student(2, id=second["uid"]), db2_student(3, email="dup@example.com")],
    )

    report = run(make_settings(pair), "students")

    assert "universitario_email_key" in problems(report)[(first["uid"], "rejected")]
    assert one(pair, "db2", "SELECT nome FROM universitario WHERE id = %s", (second["uid"],))["nome"] == "Outro"


def test_a_name_that_ends_in_digits_never_reuses_a_taken_username(pair, helper, make_settings):
    insert(pair, "db1", "universitario", [db1_student(1, cusername="maria2")])
    insert(pair, "db2", "universitario", [db2_student(2, nome="Maria2")])

    report = run(make_settings(pair), "students")

    assert report.exit_code == 0
    assert sorted(u for (u,) in pair.rows("db1", "SELECT cusername FROM universitario")) == ["maria2", "maria22"]


def test_a_helper_that_refuses_the_request_fails_the_flow_with_the_helpers_message(pair, helper, make_settings):
    insert(pair, "db2", "universitario", [db2_student(1)])
    helper.state.fail_always = Failure(status=400)

    report = run(make_settings(pair), "students")

    assert report.exit_code == 1
    assert "the helper API rejected the request (400): scripted 400" in report.flows[0].error
    assert helper.state.requests == 1
