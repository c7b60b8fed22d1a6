"""A payment's payer: the DB2 account with the payment's normalised email whose id DB1 holds (issue 10, item 3)."""

from decimal import Decimal

import pytest

from job.engine import execute
from job.flows import select_flows
from tests.job.builders import (
    db1_advertiser,
    db1_plan,
    db1_student,
    db2_advertiser,
    db2_payment,
    db2_plan,
    db2_student,
    insert,
    one,
)

LOW, HIGH = "00000000-0000-4000-8000-000000000001", "ffffffff-ffff-4fff-8fff-000000000001"


def run(settings, *flows):
    return execute(settings, "run", select_flows(list(flows)))


def problems(report):
    return {(p.row_key, p.kind): p.reason for f in report.flows for s in f.steps for p in s.sample}


def payer_of(pair, payment):
    return one(
        pair,
        "db1",
        "SELECT uid_universitario::text AS student, uid_anunciante::text AS advertiser FROM pagamento WHERE uid = %s",
        (payment["id"],),
    )


def recorded_reasons(pair):
    return [reason for (reason,) in pair.rows("db2", "SELECT reason FROM hestia_sync.rejections")]


@pytest.fixture
def plans(pair):
    insert(pair, "db1", "plano", [db1_plan(nvalor=Decimal("29.90"))])
    insert(pair, "db2", "plano", [db2_plan(valor=Decimal("29.90"))])


@pytest.mark.parametrize("held", [LOW, HIGH, None], ids=["db1-holds-the-lower-id", "db1-holds-the-higher", "new"])
def test_a_payment_goes_to_the_twin_db1_holds_on_every_run(pair, helper, make_settings, plans, held):
    if held:
        insert(pair, "db1", "universitario", [db1_student(1, uid=held, cemail="dup@example.com")])
    twins = [db2_student(1, id=LOW, email="dup@example.com"), db2_student(2, id=HIGH, email="DUP@Example.com")]
    insert(pair, "db2", "universitario", twins)
    payments = [db2_payment("dup@example.com"), db2_payment(" DUP@Example.com\t")]
    insert(pair, "db2", "pagamento_plano", payments)
    settings = make_settings(pair)

    first = run(settings, "students", "payments")
    again = run(settings, "students", "payments")

    (kept,) = [uid for (uid,) in pair.rows("db1", "SELECT uid::text FROM universitario")]
    twin = HIGH if kept == LOW else LOW
    assert held in (None, kept)
    assert [payer_of(pair, payment) for payment in payments] == [{"student": kept, "advertiser": None}] * 2
    assert first.total("inserted") == (2 if held else 3)
    assert set(problems(first)) == set(problems(again)) == {(twin, "rejected")}  # the twin, as before
    assert all("example.com" not in reason.lower() for reason in recorded_reasons(pair))


def test_a_payment_whose_twins_are_neither_in_db1_is_deferred_naming_both(pair, make_settings, plans):
    twins = [db2_student(1, id=LOW, email="dup@example.com"), db2_student(2, id=HIGH, email="DUP@Example.com")]
    insert(pair, "db2", "universitario", twins)
    payment = db2_payment("Dup@example.com")
    insert(pair, "db2", "pagamento_plano", [payment])

    report = run(make_settings(pair), "payments")

    reason = problems(report)[(payment["id"], "deferred")]
    assert reason == f"not in the target yet: universitario {LOW}, universitario {HIGH}"
    assert recorded_reasons(pair) == [reason]
    assert pair.rows("db1", "SELECT count(*) FROM pagamento") == [(0,)]


def test_a_payment_whose_email_is_a_student_and_an_advertiser_goes_to_the_one_db1_holds_or_is_rejected(
    pair, make_settings, plans
):
    student, advertiser, lone = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b", HIGH
    insert(pair, "db1", "universitario", [db1_student(1, uid=student, cemail="both@example.com")])
    insert(pair, "db1", "anunciante", [db1_advertiser(1, uid=advertiser, cemail="both@example.com")])
    insert(pair, "db1", "anunciante", [db1_advertiser(2, uid=lone, cemail="one@example.com")])
    insert(pair, "db2", "universitario", [db2_student(1, id=student, email="both@example.com")])
    insert(pair, "db2", "universitario", [db2_student(2, id=LOW, email="One@example.com")])  # not in DB1
    insert(
        pair,
        "db2",
        "anunciante",
        [
            db2_advertiser(1, id=advertiser, email="BOTH@example.com"),
            db2_advertiser(2, id=lone, email="one@example.com"),
        ],
    )
    ambiguous, clear = db2_payment("both@example.com"), db2_payment("one@example.com")
    insert(pair, "db2", "pagamento_plano", [ambiguous, clear])

    report = run(make_settings(pair), "payments")

    assert problems(report) == {
        (ambiguous["id"], "rejected"): (
            f"more than one DB1 account has this payment's email: universitario {student}, anunciante {advertiser}"
        )
    }
    assert payer_of(pair, clear) == {"student": None, "advertiser": lone}


AROUND_ASCII = ["\t", "\n", "\r\n", "\f", "\v", " \t "]
AROUND_UNICODE = ["\u0085", "\u00a0", "\u2003", "\u3000"]


def test_students_whose_emails_have_ascii_whitespace_around_them_are_created_and_are_the_payers(
    pair, helper, make_settings, plans
):
    students = [db2_student(n, email=f"{around}Tab{n}@Example.com{around}") for n, around in enumerate(AROUND_ASCII)]
    insert(pair, "db2", "universitario", students)
    payments = [db2_payment(f"tab{n}@example.com") for n in range(len(students))]
    insert(pair, "db2", "pagamento_plano", payments)

    report = run(make_settings(pair), "students", "payments")

    assert report.total("inserted") == 2 * len(students)
    emails = [email for (email,) in pair.rows("db1", "SELECT cemail FROM universitario ORDER BY cemail")]
    assert emails == [f"tab{n}@example.com" for n in range(len(students))]
    assert [payer_of(pair, p)["student"] for p in payments] == [s["id"] for s in students]


def test_students_whose_emails_end_in_unicode_whitespace_and_their_payments_are_both_rejected(
    pair, helper, make_settings, plans
):
    students = [db2_student(n, email=f"nel{n}@example.com{around}") for n, around in enumerate(AROUND_UNICODE)]
    insert(pair, "db2", "universitario", students)
    payments = [db2_payment(f"nel{n}@example.com") for n in range(len(students))]
    insert(pair, "db2", "pagamento_plano", payments)

    report = run(make_settings(pair), "students", "payments")

    assert problems(report) == {
        **{(s["id"], "rejected"): "email is not a valid address (name@domain.tld with no spaces)" for s in students},
        **{(p["id"], "rejected"): "no DB2 student or advertiser has this payment's email" for p in payments},
    }
    assert pair.rows("db1", "SELECT count(*) FROM universitario") == [(0,)]


def test_a_payment_spelt_like_a_rejected_account_waits_for_that_account_by_its_id(pair, helper, make_settings, plans):
    student = db2_student(1, email="nel@example.com\u0085")
    insert(pair, "db2", "universitario", [student])
    payment = db2_payment("NEL@example.com\u0085")
    insert(pair, "db2", "pagamento_plano", [payment])
    settings = make_settings(pair)

    first = run(settings, "students", "payments")
    pair.execute("db2", "UPDATE universitario SET email = 'nel@example.com'")
    pair.execute("db2", "UPDATE pagamento_plano SET email = 'nel@example.com'")
    second = run(settings, "students", "payments")

    assert problems(first) == {
        (student["id"], "rejected"): "email is not a valid address (name@domain.tld with no spaces)",
        (payment["id"], "deferred"): f"not in the target yet: universitario {student['id']}",
    }
    assert problems(second) == {}
    assert payer_of(pair, payment) == {"student": student["id"], "advertiser": None}
