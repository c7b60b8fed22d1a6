"""Kill -9 at a seeded statement, then one more run: it must reach the state of an uninterrupted run.

- The job runs as a subprocess (`python -m job run`, its interpreter started ahead of time: processes.WarmJob)
  with DB1 and DB2 behind two TCP proxies (tests/support/tcp_proxy.py) sharing one `KillSwitch`. It numbers the
  statements in the order they reach a server (psycopg2 sends each as one simple-query message, and the job is
  single-threaded) and kills the job -9 at the chosen one: before it is forwarded (the server never sees it), or
  just after (the server runs it, the job never sees the answer: at a COMMIT, a kill mid-commit).
- The reference is one uninterrupted run (of the engine, in this process) on a copy of the same templates through
  the same proxies: the expected state, and the run's N statements. A trial's kill point is a statement from 1 to N
  chosen by its seed; in half of the trials one of the run's COMMITs, where a step's two commits (one per
  database) can be split.
- A trial: fresh copies, the killed run, the server's sessions of it ended, one run to completion (the engine in
  this process, no proxy: a run like any other, without paying the interpreter's start-up again), then both
  databases compared in full with the reference (tests/faults/compare.py says what is left out) and the last run's
  status and exit code with the reference's.
"""

from __future__ import annotations

import contextlib
import random
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

from tests.faults.compare import STATE_SCHEMA, Snapshot, differences, last_run, snapshot
from tests.faults.dataset import Dataset
from tests.faults.processes import WarmJob, drop_pair, job_env, run_in_process, wait_sessions_gone
from tests.job.conftest import Pair
from tests.support.pg_wire import Query, QueryLog, QueryTap
from tests.support.tcp_proxy import TcpProxy

COMMIT_SHARE = 0.5
ARM_TIMEOUT_S = 30.0
KILL_WAIT_S = 30.0


def is_commit(query: Query) -> bool:
    return query.sql.strip().upper() == "COMMIT"


def describe(query: Query) -> str:
    head = " ".join(query.sql.split())[:48]
    return f"{query.proxy} {head}"


@dataclass
class KillSwitch:
    """Kills the job -9 at statement number `at`: before it is forwarded, or (`after_forward`) once it has been."""

    at: int
    after_forward: bool
    count: int = 0
    commits: int = 0
    """COMMITs that reached a server before the kill (the killed one included when `after_forward`)."""
    fired: Query | None = None
    _pending: Query | None = None
    _process: subprocess.Popen[bytes] | None = None
    _armed: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self._armed.set()

    def before(self, query: Query) -> bool:
        with self._lock:
            if self.fired is not None:
                return False
            if self._pending is not None:  # the kill after the previous statement is still owed: nothing passes
                self._kill(self._pending)
                return False
            self.count += 1
            if self.count == self.at:
                if not self.after_forward:
                    self._kill(query)
                    return False
                self._pending = query
            self.commits += is_commit(query)
            return True

    def after(self, query: Query) -> None:
        with self._lock:
            if self._pending is query and self.fired is None:
                self._kill(query)

    def _kill(self, query: Query) -> None:
        armed = self._armed.wait(ARM_TIMEOUT_S)
        assert armed, "the kill switch was never armed"
        assert self._process is not None
        self._process.kill()
        self._process.wait(timeout=KILL_WAIT_S)
        self.fired = query


@contextlib.contextmanager
def proxied(pair: Pair, tap: QueryTap) -> Iterator[Pair]:
    """The pair as seen through one proxy per database, both reporting to `tap`."""
    with TcpProxy.for_dsn(pair.db1, "DB1", tap) as one, TcpProxy.for_dsn(pair.db2, "DB2", tap) as two:
        yield Pair(one.dsn(pair.db1), two.dsn(pair.db2))


def capture(pair: Pair) -> Snapshot:
    return {**snapshot(pair.db1, "DB1"), **snapshot(pair.db2, "DB2")}


def users_part(found: Snapshot) -> Snapshot:
    return {table: rows for table, rows in found.items() if f":{STATE_SCHEMA}." not in table}


@dataclass(frozen=True)
class Reference:
    """One uninterrupted run: what it left, its statements, how it ended."""

    pristine: Snapshot
    expected: Snapshot
    queries: list[Query]
    exit_code: int
    last_run: tuple[str, int] | None
    seconds: float

    @property
    def commit_points(self) -> list[int]:
        return [n for n, query in enumerate(self.queries, 1) if is_commit(query)]


@dataclass(frozen=True)
class Trial:
    """One kill and what the next run made of it."""

    seed: int
    at: int
    after: bool
    fired: str | None
    commits: int
    wrote: bool
    steps_committed: int
    mid_commit: bool
    between_commits: bool
    completion_exit: int
    problems: list[str]
    seconds: float

    @property
    def equal(self) -> bool:
        return not self.problems

    def line(self) -> str:
        where = f"{'after' if self.after else 'before'} statement {self.at}"
        point = f"{where} ({self.fired})" if self.fired else f"{where} (the run ended first: not killed)"
        verdict = "equal" if self.equal else "DIFFERENT: " + "; ".join(self.problems)
        return (
            f"seed {self.seed}: kill {point}; {self.commits} COMMITs had reached a server, the killed run "
            f"{'had' if self.wrote else 'had not'} committed data ({self.steps_committed} steps' state)"
            f"{', mid-commit' if self.mid_commit else ''}"
            f"{' between the two databases commits' if self.between_commits else ''}"
            f"; completion exit {self.completion_exit}; {verdict} ({self.seconds:.1f} s)"
        )


def run_reference(dataset: Dataset, helper_url: str, **settings: str) -> Reference:
    """One uninterrupted run of the engine on a fresh copy, through proxies that log its statements."""
    pair = dataset.copy("ref")
    pristine = capture(pair)
    log = QueryLog()
    started = time.monotonic()
    with proxied(pair, log) as through:
        report = run_in_process(through, helper_url, **settings)
    seconds = time.monotonic() - started
    code = int(report.exit_code)
    assert code in (0, 3), f"the uninterrupted run failed (exit {code}): {report.summary()}"
    reference = Reference(pristine, capture(pair), log.queries, code, last_run(pair.db2), seconds)
    drop_pair(dataset.server, pair)
    return reference


class KillHarness:
    """Trials on copies of one data set; the helper at `helper_url` must know `dataset.known`."""

    def __init__(self, dataset: Dataset, helper_url: str, workdir: Path) -> None:
        self.dataset = dataset
        self.helper_url = helper_url
        self.workdir = workdir
        self._reference: Reference | None = None
        self._spare: WarmJob | None = None
        self._started = 0
        self._copier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kill9-copies")
        self._next_pair: Future[Pair] | None = None

    @property
    def reference(self) -> Reference:
        if self._reference is None:
            self._reference = run_reference(self.dataset, self.helper_url)
        return self._reference

    def choose(self, seed: int) -> tuple[int, bool]:
        """The kill point of a seed: a statement number, and whether the statement reaches its server first."""
        rng = random.Random(seed)
        reference = self.reference
        commits = reference.commit_points
        at_a_commit = bool(commits) and rng.random() < COMMIT_SHARE
        at = rng.choice(commits) if at_a_commit else rng.randint(1, len(reference.queries))
        return at, rng.random() < 0.5

    def trial(self, seed: int) -> Trial:
        """Kill at the seed's point, then one more run, and compare with the reference."""
        at, after = self.choose(seed)
        return self.kill_at(seed, at, after)

    def kill_at(self, seed: int, at: int, after: bool, complete: bool = True) -> Trial:
        """Kill at statement `at` (after it reached its server, or before), then (if `complete`) one more run."""
        started = time.monotonic()
        pair, warm = self._take_pair(), self._take_warm_job()
        switch = KillSwitch(at, after)
        with proxied(pair, switch) as through:
            job = warm.go(job_env(through, self.helper_url))
            switch.arm(job.process)
            killed = job.finish()
        wait_sessions_gone(self.dataset.server, pair)
        after_kill = capture(pair)
        steps = _steps_committed(pair.db2)
        completion = int(run_in_process(pair, self.helper_url).exit_code) if complete else -1
        problems = differences(self.reference.expected, capture(pair))
        if switch.fired is None and killed.code != self.reference.exit_code:
            problems.append(f"the run to be killed ended by itself with exit {killed.code}: {killed.stderr[-500:]}")
        if complete and completion != self.reference.exit_code:
            problems.append(f"the completing run exited {completion}, the reference {self.reference.exit_code}")
        if last_run(pair.db2) != self.reference.last_run:
            problems.append(f"the last run recorded {last_run(pair.db2)}, the reference {self.reference.last_run}")
        drop_pair(self.dataset.server, pair)
        mid_commit = switch.fired is not None and after and is_commit(switch.fired)
        return Trial(
            seed=seed,
            at=at,
            after=after,
            fired=describe(switch.fired) if switch.fired else None,
            commits=switch.commits,
            wrote=users_part(after_kill) != self.reference.pristine,
            steps_committed=steps,
            mid_commit=mid_commit,
            between_commits=mid_commit and self._next_is_other_commit(at),
            completion_exit=completion,
            problems=problems,
            seconds=time.monotonic() - started,
        )

    def _take_pair(self) -> Pair:
        """This trial's copies of the data set (made while the last trial ran), and the next trial's started."""
        pair = (self._next_pair or self._copier.submit(self.dataset.copy, "kill")).result()
        self._next_pair = self._copier.submit(self.dataset.copy, "kill")
        return pair

    def _take_warm_job(self) -> WarmJob:
        """The job for this trial (already imported), and the next trial's started meanwhile."""
        warm = self._spare or self._warm_job()
        self._spare = self._warm_job()
        return warm

    def _warm_job(self) -> WarmJob:
        self._started += 1
        return WarmJob(["run"], self.workdir, f"killed-{self._started}")

    def close(self) -> None:
        """Put away what was made ahead for a trial that will not run."""
        if self._spare is not None:
            self._spare.discard()
            self._spare = None
        if self._next_pair is not None:
            drop_pair(self.dataset.server, self._next_pair.result())
            self._next_pair = None
        self._copier.shutdown()

    def _next_is_other_commit(self, at: int) -> bool:
        queries = self.reference.queries
        return at < len(queries) and is_commit(queries[at]) and queries[at].proxy != queries[at - 1].proxy


def _steps_committed(state_dsn: str) -> int:
    """Steps whose state (watermarks) committed, on the state database."""
    conn = psycopg2.connect(state_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{STATE_SCHEMA}.watermarks",))
            row = cur.fetchone()
            if not row or not row[0]:
                return 0
            cur.execute(f"SELECT count(DISTINCT step) FROM {STATE_SCHEMA}.watermarks")
            counted = cur.fetchone()
            return int(counted[0]) if counted else 0
    finally:
        conn.close()


def summary(trials: list[Trial], seconds: float) -> str:
    """The soak's figures in one paragraph."""
    killed = [t for t in trials if t.fired]
    return (
        f"{len(trials)} trials in {seconds:.0f} s: {len(killed)} killed ({len(trials) - len(killed)} ended first), "
        f"{sum(t.mid_commit for t in trials)} mid-commit (a COMMIT had reached the server), "
        f"{sum(t.between_commits for t in trials)} between a step's two commits, "
        f"{sum(not t.wrote for t in killed)} before any data committed, "
        f"{sum(not t.equal for t in trials)} mismatches"
    )
