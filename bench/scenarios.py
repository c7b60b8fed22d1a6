"""The job's scenarios at one size, each a real `python -m job run` on fresh clones of the seeded databases.

a. first full sync; b. nothing changed, twice; c. about 1% changed on each side; d. `run --full` with
nothing changed. Then the first full sync once more with both databases behind the delay proxy, and
the row-by-row version (bench/naive.py) on its own clones.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from bench.changes import ChangeCounts, apply_changes
from bench.cluster import BenchCluster
from bench.delay_proxy import DelayProxy
from bench.figures import Figures, from_job
from bench.generate import Generator
from bench.helper import Helper
from bench.jobrun import JobRun, JobTarget, run_job, unknown_full_flag
from bench.naive import NaiveSync

FULL_FLAG = "--full"


@dataclass(frozen=True)
class SizeContext:
    """Everything a scenario at size N needs."""

    cluster: BenchCluster
    generator: Generator
    n: int
    helper: Helper
    workdir: Path
    timeout_s: float
    template_db1: str
    template_db2: str

    def clone(self, label: str) -> tuple[str, str]:
        """Fresh DB1 and DB2 from the seeded templates; their names."""
        names = (f"{label}_db1_{self.n}", f"{label}_db2_{self.n}")
        self.cluster.create(names[0], template=self.template_db1)
        self.cluster.create(names[1], template=self.template_db2)
        return names


def _measure(
    ctx: SizeContext, scenario: str, target: JobTarget, databases: tuple[str, ...], args: list[str], note: str = ""
) -> Figures:
    ctx.cluster.reset_statements()
    run = run_job(target, args, ctx.workdir, ctx.timeout_s)
    if FULL_FLAG in args and unknown_full_flag(run):
        note = "the engine refused --full as an unknown argument: measured `run` without it"
        print(f"  [{scenario}] {note}", flush=True)
        ctx.cluster.reset_statements()
        run = run_job(target, [a for a in args if a != FULL_FLAG], ctx.workdir, ctx.timeout_s)
    figures = from_job(scenario, run, ctx.cluster.statements(databases), note)
    _report_failure(scenario, run)
    print(f"  {scenario}: {run.seconds:.2f}s, exit {run.exit_code}, {run.rows_written} rows written", flush=True)
    return figures


def _report_failure(scenario: str, run: JobRun) -> None:
    if not run.ok:
        print(f"  [{scenario}] `{' '.join(run.argv)}` exited {run.exit_code}; last lines of stderr:\n{run.tail()}")
    elif run.statements is None:
        print(f"  [{scenario}] no per-flow statements in the job's log; last lines of stderr:\n{run.tail(5)}")


def job_scenarios(ctx: SizeContext) -> tuple[list[Figures], ChangeCounts]:
    names = ctx.clone("job")
    target = JobTarget(ctx.cluster.dsn(names[0]), ctx.cluster.dsn(names[1]), ctx.helper.url, ctx.helper.token)
    try:
        figures = [
            _measure(ctx, "a_full_sync", target, names, []),
            _measure(ctx, "b_no_change_1", target, names, []),
            _measure(ctx, "b_no_change_2", target, names, []),
        ]
        changes = apply_changes(ctx.generator, ctx.n, target.db1, target.db2)
        print(f"  changed: DB1 {changes.db1_rows} rows, DB2 {changes.db2_rows} rows", flush=True)
        figures.append(_measure(ctx, "c_change_1pct", target, names, []))
        figures.append(_measure(ctx, "d_full_no_change", target, names, [FULL_FLAG]))
        return figures, changes
    finally:
        ctx.cluster.drop(*names)


def delayed_full_sync(ctx: SizeContext, delay_s: float) -> Figures:
    """The first full sync with DB1 and DB2 reached through the delay proxy (the helper stays direct)."""
    names = ctx.clone("delayed")
    try:
        with DelayProxy(ctx.cluster.port, delay_s) as proxy:
            target = JobTarget(
                ctx.cluster.dsn(names[0], port=proxy.port),
                ctx.cluster.dsn(names[1], port=proxy.port),
                ctx.helper.url,
                ctx.helper.token,
            )
            note = f"DB1 and DB2 through a {delay_s * 1000:.0f} ms one-way delay line (~{delay_s * 2000:.0f} ms RTT)"
            return _measure(ctx, "a_full_sync_delayed", target, names, [], note)
    finally:
        ctx.cluster.drop(*names)


def _measure_naive(ctx: SizeContext, sync: NaiveSync, scenario: str, databases: tuple[str, ...]) -> Figures:
    ctx.cluster.reset_statements()
    before = sync.statements
    started = time.perf_counter()
    counts = sync.run()
    seconds = time.perf_counter() - started
    print(f"  {scenario}: {seconds:.2f}s, {counts.inserted + counts.updated} rows written", flush=True)
    sql_all, sql_toplevel = ctx.cluster.statements(databases)
    return Figures(
        scenario=scenario,
        seconds=seconds,
        rows_written=counts.inserted + counts.updated,
        sql_statements=sql_all,
        sql_toplevel=sql_toplevel,
        counts={"inserted": counts.inserted, "updated": counts.updated, "rejected": counts.rejected},
        job_statements=sync.statements - before,
        helper_requests=counts.helper_requests,
        note="row by row in the benchmark's process (bench/naive.py), one transaction per statement",
    )


def naive_scenarios(ctx: SizeContext) -> list[Figures]:
    """The row-by-row version's full sync and no-change pass, on its own fresh clones."""
    names = ctx.clone("naive")
    try:
        sync = NaiveSync(ctx.cluster.dsn(names[0]), ctx.cluster.dsn(names[1]), ctx.helper.url, ctx.helper.token)
        try:
            return [
                _measure_naive(ctx, sync, "naive_full_sync", names),
                _measure_naive(ctx, sync, "naive_no_change", names),
            ]
        finally:
            sync.close()
    finally:
        ctx.cluster.drop(*names)
