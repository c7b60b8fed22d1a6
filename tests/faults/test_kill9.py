"""Kill -9 at seeded statements (tests/faults/killpoints.py): the next run reaches the uninterrupted run's state.

`make test` runs a few seeded trials; `make soak` runs SOAK_TRIALS of them (50 by default) from SOAK_SEED.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from tests.faults.dataset import Dataset
from tests.faults.killpoints import KillHarness, summary
from tests.support.helper_server import HelperServer

TRIALS = 5
SEED = 20_260_101


@pytest.fixture(scope="module")
def harness(fault_dataset: Dataset, known_helper: HelperServer, tmp_path_factory) -> Iterator[KillHarness]:
    harness = KillHarness(fault_dataset, known_helper.url, tmp_path_factory.mktemp("kill9"))
    yield harness
    harness.close()


def test_the_uninterrupted_reference_run_does_work_in_every_flow_and_ends_with_rejections(harness: KillHarness):
    reference = harness.reference

    assert reference.exit_code == 3
    assert reference.last_run == ("partial", 3)
    assert len(reference.commit_points) >= 10
    changed = {table for table, rows in reference.expected.items() if rows != reference.pristine.get(table)}
    assert {
        "DB2:public.plano",
        "DB2:public.plano_vantagens",
        "DB1:public.universitario",
        "DB2:public.universitario",
    } <= changed
    assert {
        "DB1:public.anunciante",
        "DB2:public.anunciante",
        "DB1:public.pagamento",
        "DB2:public.pagamento_plano",
    } <= changed


def test_the_comparison_tells_a_killed_run_nobody_completed_from_the_reference(harness: KillHarness):
    middle = len(harness.reference.queries) // 2

    result = harness.kill_at(0, middle, after=False, complete=False)

    assert result.fired
    assert not result.equal
    assert any(problem.startswith(("DB1:public.", "DB2:public.")) for problem in result.problems), result.problems


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_run_killed_at_a_seeded_statement_is_completed_by_the_next_run(harness: KillHarness, trial: int):
    result = harness.trial(SEED + trial)

    print(result.line())
    assert result.equal, result.line()


@pytest.mark.soak
def test_soak_runs_killed_at_seeded_statements_are_each_completed_by_the_next_run(harness: KillHarness):
    if "SOAK_TRIALS" not in os.environ:
        pytest.skip("`make soak` runs it (SOAK_TRIALS trials from SOAK_SEED)")
    trials = int(os.environ["SOAK_TRIALS"])
    seed = int(os.environ.get("SOAK_SEED", "1"))
    started = time.monotonic()
    print(
        f"\nreference: {len(harness.reference.queries)} statements in {harness.reference.seconds:.1f} s, "
        f"exit {harness.reference.exit_code}"
    )
    results = []
    for n in range(trials):
        result = harness.trial(seed + n)
        print(result.line(), flush=True)
        results.append(result)
    print(summary(results, time.monotonic() - started))

    assert trials >= 1
    assert [r.line() for r in results if not r.equal] == []
