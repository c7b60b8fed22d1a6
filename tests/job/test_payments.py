"""Flow 5: new DB2 payments are created in DB1; the paid status is kept equal both ways."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from job.engine import execute
from job.flows import select_flows
from tests.job.builders import (
    PLAN_ID,
    db1_advertiser,
    db1_payment,
    db1_plan,
    db1_student,
    db2_advertiser,
    db2_payment,
    db2_plan,
    db2_student,
    insert,
    one,
)


def run(settings):
    return execute(settings, "run", select_flows(["payments"]))


def problems(report):
    return {(p.row_key, p.kind): p.reason for f in report.flows for s in f.steps for p in s.sample}


@pytest.fixture
def accounts(pair):
    """A plan, one student and one advertiser present on both sides."""
    insert(pair, "db1", "plano", [db1_plan(nvalor=Decimal("29.90"))])
    insert(pair, "db2", "plano", [db2_plan(valor=Decimal("29.90"))])
    student, advertiser = db1_student(1), db1_advertiser(1)
    insert(pair, "db1", "universitario", [student])
    insert(pair, "db1", "anunciante", [advertiser])
    insert(pair, "db2", "universitario", [db2_student(1, id=student["uid"])])
    insert(pair, "db2", "anunciante", [db2_advertiser(1, id=advertiser["uid"])])
    return {"student": student["uid"], "advertiser": advertiser["uid"]}


def test_a_new_payment_is_created_in_db1_for_the_payer_found_by_email(pair, make_settings, accounts):
    by_student = db2_payment(" ALUNO1@example.com", pago=True, created_at=datetime(2026, 1, 31, 15, tzinfo=UTC))
    by_advertiser = db2_payment("anunciante1@example.com", pago=False)
    insert(pair, "db2", "pagamento_plano", [by_student, by_advertiser])

    report = run(make_settings(pair))

    row = one(pair, "db1", "SELECT * FROM pagamento WHERE uid = %s", (by_student["id"],))
    assert row == {
        "uid": by_student["id"],
        "cativo": "1",
        "ddtfim": date(2026, 2, 28),
        "npctdesconto": Decimal("0.0"),
        "ntotal": Decimal("29.90"),
        "uid_anunciante": None,
        "uid_plano": PLAN_ID,
        "uid_universitario": accounts["student"],
    }
    other = one(
        pair,
        "db1",
        "SELECT cativo, uid_anunciante::text, uid_universitario FROM pagamento WHERE uid = %s",
        (by_advertiser["id"],),
    )
    assert other == {"cativo": "0", "uid_anunciante": accounts["advertiser"], "uid_universitario": None}
    assert report.total("inserted") == 2
    assert report.exit_code == 0


def test_the_end_date_uses_the_day_in_brazil_not_in_utc(pair, make_settings, accounts):
    late_evening = db2_payment("aluno1@example.com", created_at=datetime(2026, 2, 1, 1, 30, tzinfo=UTC))
    insert(pair, "db2", "pagamento_plano", [late_evening])

    run(make_settings(pair))

    assert one(pair, "db1", "SELECT ddtfim FROM pagamento")["ddtfim"] == date(2026, 2, 28)


def test_a_payment_whose_payer_is_not_in_db1_yet_is_deferred_then_created(pair, make_settings, accounts):
    newcomer = db2_student(9)
    insert(pair, "db2", "universitario", [newcomer])
    payment = db2_payment(newcomer["email"], pago=True)
    insert(pair, "db2", "pagamento_plano", [payment])
    settings = make_settings(pair)

    first = run(settings)
    execute(settings, "run", select_flows(["students"]))
    second = run(settings)

    assert first.total("deferred") == 1
    assert "not in the target yet" in problems(first)[(payment["id"], "deferred")]
    assert second.total("inserted") == 1
    assert second.exit_code == 0


def test_a_payment_with_no_account_behind_its_email_is_rejected(pair, make_settings, accounts):
    orphan = db2_payment("nobody@example.com")
    insert(pair, "db2", "pagamento_plano", [orphan])

    report = run(make_settings(pair))

    assert problems(report) == {(orphan["id"], "rejected"): "no DB2 student or advertiser has this payment's email"}
    assert pair.rows("db1", "SELECT count(*) FROM pagamento") == [(0,)]


def _linked_payment(pair, accounts, db1_status, db2_paid):
    payment = db1_payment(uid_universitario=accounts["student"], cativo=db1_status)
    insert(pair, "db1", "pagamento", [payment])
    insert(pair, "db2", "pagamento_plano", [db2_payment("aluno1@example.com", id=payment["uid"], pago=db2_paid)])
    return payment["uid"]


def _status(pair, key):
    return (
        one(pair, "db1", "SELECT cativo FROM pagamento WHERE uid = %s", (key,))["cativo"],
        one(pair, "db2", "SELECT pago FROM pagamento_plano WHERE id = %s", (key,))["pago"],
    )


@pytest.mark.parametrize(
    ("start", "db1_now", "db2_now", "expected", "conflict"),
    [
        (("-1", False), "1", False, ("1", True), False),  # DB1 changed → DB2 follows
        (("1", True), "0", True, ("0", False), False),  # DB1 cancelled → DB2 follows
        (("-1", False), "-1", True, ("1", True), False),  # only DB2 changed → DB1 follows
        (("1", True), "1", False, ("0", False), False),  # only DB2 changed → DB1 follows
        (("-1", False), "0", True, ("0", False), True),  # both changed, disagree → DB1 wins
        (("-1", False), "0", False, ("0", False), False),  # same meaning ('-1' and '0' are unpaid) → nothing
    ],
)
def test_payment_status_follows_the_side_that_changed_since_the_last_sync(
    pair, make_settings, accounts, start, db1_now, db2_now, expected, conflict
):
    key = _linked_payment(pair, accounts, *start)
    settings = make_settings(pair)
    run(settings)  # records the baseline
    pair.execute("db1", "UPDATE pagamento SET cativo = %s WHERE uid = %s", (db1_now, key))
    pair.execute("db2", "UPDATE pagamento_plano SET pago = %s WHERE id = %s", (db2_now, key))

    report = run(settings)

    assert _status(pair, key) == expected
    assert report.total("conflicts") == int(conflict)
    recorded = pair.rows("db2", "SELECT left_value, right_value, resolution FROM hestia_sync.conflicts")
    assert len(recorded) == int(conflict)
    if conflict:
        assert recorded[0][:2] == (db1_now, "true")
        assert "pagamento wins" in recorded[0][2]
    assert run(settings).total("updated") == 0


def test_a_status_pair_never_synced_that_disagrees_takes_db1s_value_and_is_recorded(pair, make_settings, accounts):
    key = _linked_payment(pair, accounts, "1", False)

    report = run(make_settings(pair))

    assert _status(pair, key) == ("1", True)
    assert report.total("conflicts") == 1
