"""Flow declarations are validated data: a mistake in one fails at import, naming itself."""

import pytest
from pydantic import ValidationError

from job.flow_model import Column, CopyStep, Side
from job.flows import FLOW_NAMES, FLOWS, select_flows
from job.resolvers import username_base, username_candidates


def _step(**overrides):
    values = dict(
        name="t",
        mode="upsert",
        source=Side.DB1,
        source_table="a",
        source_key="id",
        target=Side.DB2,
        target_table="b",
        target_key="id",
        columns=(Column(source="x", target="y"),),
    )
    values.update(overrides)
    return CopyStep(**values)


def test_the_five_flows_run_in_the_contract_order():
    assert FLOW_NAMES == ("plans", "plan_benefits", "students", "advertisers", "payments")
    assert [step.name for flow in FLOWS for step in flow.steps][-2:] == ["payments.create", "payments.status"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"columns": (Column(source="x", target="y"), Column(source="z", target="y"))}, "mapped twice: y"),
        ({"target": Side.DB1}, "source and target are the same database"),
        ({"source_table": "Bad-Name"}, "not a lower-case SQL identifier"),
        ({"columns": (Column(source="x", target="id"),)}, "mapped implicitly"),
        (
            {"columns": (Column(source="xs", target="y", convert="candidates"),)},
            "candidates need an insert_missing step",
        ),
    ],
)
def test_inconsistent_steps_are_refused_with_the_reason(overrides, message):
    with pytest.raises(ValidationError, match=message):
        _step(**overrides)


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ({"target": "y", "source": "x", "convert": "nope"}, "unknown converter 'nope'"),
        ({"target": "y", "source": "x", "compare": "nope"}, "unknown comparator 'nope'"),
        ({"target": "y", "source": "x", "resolver": "nope"}, "unknown resolver 'nope'"),
        ({"target": "y", "resolver": "username"}, "needs a source column"),
        ({"target": "y", "source": "x", "constant": 1}, "a source or a constant"),
    ],
)
def test_bad_columns_are_refused_with_the_reason(column, message):
    with pytest.raises(ValidationError, match=message):
        Column(**column)


def test_declarations_are_frozen():
    with pytest.raises(ValidationError):
        FLOWS[0].steps[0].mode = "insert_missing"  # type: ignore[misc]


def test_unknown_flow_names_are_refused_with_the_valid_ones():
    with pytest.raises(ValueError, match="unknown flow nope; choose from plans, plan_benefits"):
        select_flows(["plans", "nope"])
    assert [flow.name for flow in select_flows(["payments", "plans"])] == ["plans", "payments"]


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [
        ("Ana Lúcia Souza", "x@example.com", "ana.lucia.souza"),
        ("  ", "Joao_Silva@example.com", "joao.silva"),
        ("张伟", "", "user"),
        ("A" * 80, None, "a" * 46),
    ],
)
def test_usernames_come_from_the_name_then_the_email_and_leave_room_for_a_suffix(name, email, expected):
    assert username_base(name, email, 50) == expected


def test_a_taken_username_is_numbered_up_to_five_then_suffixed_from_the_row_key():
    assert username_candidates("ana", "k", 0) == ["ana"]
    assert username_candidates("ana", "k", 1) == ["ana2", "ana3", "ana4", "ana5"]
    later = username_candidates("ana", "k", 2)
    assert later == username_candidates("ana", "k", 2)
    assert all(name.startswith("ana") and 1000 <= int(name[3:]) <= 9999 for name in later)
    assert later != username_candidates("ana", "other-key", 2)


def test_every_step_kind_has_a_runner_and_checks_and_nothing_else_does():
    from typing import get_args

    from job.flow_model import Step
    from job.steps import STEP_KINDS

    union = get_args(Step)[0]
    kinds = {model.model_fields["kind"].default for model in get_args(union)}
    assert kinds == set(STEP_KINDS)
