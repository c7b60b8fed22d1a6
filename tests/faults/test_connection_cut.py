"""A connection to DB2 cut mid-run by a proxy: exit 1 with a reason that names DB2 and never its password;
`status` shows what happened; the next run converges to the state of an uninterrupted run.

One cut run per place of the state schema (on DB2, the default, its connection is cut too; on DB1 it is not),
then `status --json` and one more run on the same databases; each test asserts one of the outcomes.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.faults.compare import differences
from tests.faults.dataset import Dataset
from tests.faults.killpoints import Reference, capture, users_part
from tests.faults.processes import drop_pair, job_env, run_in_process, run_job, wait_sessions_gone
from tests.job.cli import Result
from tests.support.helper_server import HelperServer
from tests.support.pg_wire import Query
from tests.support.tcp_proxy import TcpProxy

PASSWORD = "Cut-s3cret-pw-7f2e"


@dataclass
class CutAt:
    """A tap that cuts every connection of `proxy` when the `at`-th statement is about to reach the server."""

    at: int
    proxy: TcpProxy | None = None
    seen: int = 0
    cut: Query | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def before(self, query: Query) -> bool:
        with self.lock:
            self.seen += 1
            if self.seen != self.at:
                return self.cut is None
            assert self.proxy is not None
            self.cut = query
            self.proxy.cut()
            return False

    def after(self, query: Query) -> None:
        return


@dataclass(frozen=True)
class Outcome:
    """The cut run, what `status --json` said after it, and what the next run left."""

    cut_run: Result
    status: Result
    run_after: dict[str, Any]
    left: list[str]
    """Differences from the reference after the next run (none: it converged)."""

    @property
    def recorded(self) -> dict[str, Any]:
        (run,) = json.loads(self.status.stdout)["runs"]
        return dict(run)


def with_password(dsn: str) -> str:
    """The URI with a password: the test cluster trusts every local user, so it is only a string that must not leak."""
    return dsn.replace("postgres@", f"postgres:{PASSWORD}@", 1)


@pytest.fixture(scope="module", params=["db2", "db1"], ids=["state-on-db2", "state-on-db1"])
def outcome(request, clean_dataset: Dataset, clean_reference: Reference, known_helper: HelperServer, tmp_path_factory):
    state_db = request.param
    cwd = tmp_path_factory.mktemp(f"cut-{state_db}")
    pair = clean_dataset.copy("cut")
    db2_statements = sum(query.proxy == "DB2" for query in clean_reference.queries)
    tap = CutAt(db2_statements // 3)
    with TcpProxy.for_dsn(pair.db2, "DB2", tap) as proxy:
        tap.proxy = proxy
        env = job_env(pair, known_helper.url, JOB_STATE_DB=state_db)
        env["URI_BANCO_2"] = with_password(proxy.dsn(pair.db2))
        cut_run = run_job(["run"], env, cwd)
    assert tap.cut is not None, "the run ended before the cut"
    wait_sessions_gone(clean_dataset.server, pair)
    status = run_job(["status", "--json"], job_env(pair, known_helper.url, JOB_STATE_DB=state_db), cwd)
    assert status.code == 0, status.stderr
    run_after = run_in_process(pair, known_helper.url, JOB_STATE_DB=state_db).summary()
    found, expected = capture(pair), clean_reference.expected
    if state_db != "db2":  # the reference keeps its state on DB2: compare the users' tables only
        found, expected = users_part(found), users_part(expected)
    yield Outcome(cut_run, status, run_after, differences(expected, found))
    drop_pair(clean_dataset.server, pair)


def failure_reasons(result: Result) -> list[str]:
    """The reasons the run gave: failed steps, failed flows, the run's own error."""
    reasons = [event["message"] for event in result.events("step_failed")]
    reasons += [event["error"] for event in result.events("flow_finished") if event.get("error")]
    reasons += [event["message"] for event in result.events("run_error")]
    return reasons


def test_a_db2_connection_cut_mid_run_exits_1(outcome: Outcome):
    assert outcome.cut_run.code == 1, outcome.cut_run.stderr[-3000:]
    flows = {event["flow"]: event.get("error") for event in outcome.cut_run.events("flow_finished")}
    assert flows["plans"] is None, f"the cut did not land mid-run: {flows}"
    assert any(flows.values()), f"the cut did not land mid-run: {flows}"


def test_the_reason_a_cut_run_gives_names_db2(outcome: Outcome):
    reasons = failure_reasons(outcome.cut_run)

    assert reasons
    assert all("DB2" in reason for reason in reasons), reasons


def test_a_cut_run_never_prints_the_password_of_db2(outcome: Outcome):
    printed = outcome.cut_run.stdout + outcome.cut_run.stderr + outcome.status.stdout + outcome.status.stderr

    assert PASSWORD not in printed


@pytest.mark.parametrize("outcome", ["db1"], indirect=True, ids=["state-on-db1"])
def test_status_shows_a_run_whose_db2_connection_was_cut_as_failed_with_a_reason_naming_db2(outcome: Outcome):
    run = outcome.recorded
    reasons = [run["error"] or "", *(flow.get("error") or "" for flow in (run["summary"] or {}).get("flows", []))]

    assert run["status"] == "failed", run
    assert any("DB2" in reason for reason in reasons), reasons


@pytest.mark.parametrize("outcome", ["db2"], indirect=True, ids=["state-on-db2"])
def test_status_shows_a_run_cut_from_its_state_database_as_abandoned_with_a_reason(outcome: Outcome):
    """It could not record its end (its connection to the state was cut too): `status` says it is gone."""
    run = outcome.recorded

    assert run["status"] == "abandoned", run
    assert run["error"]


def test_the_run_after_a_cut_converges_to_the_state_of_an_uninterrupted_run(outcome: Outcome, clean_reference):
    assert outcome.run_after["exit_code"] == clean_reference.exit_code, outcome.run_after
    assert outcome.left == []
