"""Flows 1 and 2: plans and their benefits move DB1 → DB2, inserted or updated, never churned."""

from decimal import Decimal

from job.engine import execute
from job.flows import select_flows
from tests.job.builders import PLAN_ID, db1_plan, db2_plan, insert, new_id, one, versions


def run(settings, *flows):
    return execute(settings, "run", select_flows(list(flows)))


def test_missing_plans_are_inserted_with_mapped_columns_and_both_timestamps(pair, make_settings):
    insert(pair, "db1", "plano", [db1_plan(cdescricao="Tudo incluso", nvalor=Decimal("39.90"))])

    report = run(make_settings(pair), "plans")

    row = one(
        pair,
        "db2",
        "SELECT *, created_at = updated_at AS same_ts, updated_at > now() - interval '1 minute' AS recent FROM plano",
    )
    assert (row["id"], row["nome"], row["tipo_conta"], row["descricao"], row["valor"]) == (
        PLAN_ID,
        "Básico",
        "universitario",
        "Tudo incluso",
        Decimal("39.90"),
    )
    assert row["same_ts"]
    assert row["recent"]
    assert report.total("inserted") == 1
    assert report.exit_code == 0


def test_a_changed_plan_is_updated_and_only_then_is_updated_at_moved(pair, make_settings):
    other = new_id()
    insert(pair, "db1", "plano", [db1_plan(nvalor=Decimal("24.90")), db1_plan(uid=other, cnome="Premium")])
    insert(pair, "db2", "plano", [db2_plan(valor=Decimal("19.90")), db2_plan(id=other, nome="Premium")])
    pair.execute("db2", "UPDATE plano SET created_at = '2025-01-01', updated_at = '2025-01-01'")

    report = run(make_settings(pair), "plans")

    changed = one(
        pair, "db2", "SELECT valor, updated_at > '2025-01-02' AS moved, created_at FROM plano WHERE id = %s", (PLAN_ID,)
    )
    untouched = one(pair, "db2", "SELECT updated_at > '2025-01-02' AS moved FROM plano WHERE id = %s", (other,))
    assert changed["valor"] == Decimal("24.90")
    assert changed["moved"]
    assert changed["created_at"].year == 2025
    assert not untouched["moved"]
    assert (report.total("updated"), report.total("unchanged")) == (1, 1)


def test_a_second_run_without_source_changes_writes_nothing(pair, make_settings):
    insert(pair, "db1", "plano", [db1_plan(), db1_plan(uid=new_id(), cnome="Premium", cdescricao="Com destaque")])
    settings = make_settings(pair)
    run(settings, "plans", "plan_benefits")
    before = versions(pair, "db2", ["plano", "plano_vantagens"])

    report = run(settings, "plans", "plan_benefits")

    assert versions(pair, "db2", ["plano", "plano_vantagens"]) == before
    assert (report.total("inserted"), report.total("updated"), report.exit_code) == (0, 0, 0)


def test_benefits_map_the_active_flag_to_a_boolean(pair, make_settings):
    on, off = new_id(), new_id()
    insert(pair, "db1", "plano", [db1_plan()])
    insert(
        pair,
        "db1",
        "plano_vantagem",
        [
            {"uid": on, "cvantagem": "Mensagens ilimitadas", "cativo": "1", "uid_plano": PLAN_ID},
            {"uid": off, "cvantagem": "Selo", "cativo": "0", "uid_plano": PLAN_ID},
        ],
    )

    run(make_settings(pair), "plans", "plan_benefits")

    rows = dict(pair.rows("db2", "SELECT id::text, ativo FROM plano_vantagens"))
    assert rows == {on: True, off: False}


def test_a_benefit_whose_plan_is_not_in_db2_yet_is_deferred_not_lost(pair, make_settings):
    insert(pair, "db1", "plano", [db1_plan()])
    benefit = new_id()
    insert(pair, "db1", "plano_vantagem", [{"uid": benefit, "cvantagem": "X", "cativo": "1", "uid_plano": PLAN_ID}])
    settings = make_settings(pair)

    first = run(settings, "plan_benefits")
    second = run(settings, "plans", "plan_benefits")

    assert first.total("deferred") == 1
    assert first.exit_code == 3
    assert "plano_id: plano" in first.flows[0].steps[0].sample[0].reason
    assert second.total("inserted") == 2
    assert second.exit_code == 0
    assert pair.rows("db2", "SELECT id::text FROM plano_vantagens") == [(benefit,)]
