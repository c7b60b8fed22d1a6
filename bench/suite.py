"""The whole benchmark: one cluster and one helper, then for each N the seeded data and every measurement."""

from __future__ import annotations

import tempfile
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cluster import EMPTY_DB1, EMPTY_DB2, BenchCluster
from bench.figures import Figures
from bench.floor import copy_floor
from bench.generate import Generator, load
from bench.helper import RATE_LIMIT_PER_MINUTE, Helper, start_helper
from bench.machine import describe
from bench.report import ratios
from bench.scenarios import SizeContext, delayed_full_sync, job_scenarios, naive_scenarios


@dataclass(frozen=True)
class Options:
    sizes: tuple[int, ...]
    seed: int
    latency_s: float
    naive_max: int
    latency_max: int
    timeout_s: float


def _notes(options: Options) -> list[str]:
    return [
        f"helper rate limit raised to {RATE_LIMIT_PER_MINUTE:,} requests/min per token per worker "
        "(HELPER_RATE_LIMIT_PER_MINUTE, default 1,200) so that it is never the bottleneck",
        "no credentials imported: the helper answers 'unknown' for every email and the job writes its "
        "unusable-password marker (the same requests and rows as known emails)",
        "one local PostgreSQL cluster (devstack.localpg: fsync, synchronous_commit and full_page_writes off) "
        "holds DB1, DB2 and the helper's database",
        "SQL counts come from pg_stat_statements filtered to DB1 and DB2: 'SQL all' includes nested statements "
        "(track=all: e.g. one foreign-key check per referencing row written), 'SQL top' only what clients sent; "
        "'own stmts' is the job's own count (sum of flows[].statements)",
        "the job runs as `python -m job run` in a subprocess, cwd a temporary directory without .env",
        f"data from seed {options.seed}, loaded once per N; each group of scenarios runs on fresh clones "
        "(CREATE DATABASE ... TEMPLATE) of that data, VACUUM ANALYZEd",
        f"row by row at N <= {options.naive_max:,}; delay line ({options.latency_s * 1000:.0f} ms each way) "
        f"at N <= {options.latency_max:,}",
    ]


def _guarded(errors: list[str], what: str, step: Callable[[], list[Figures]]) -> list[Figures]:
    """One group of measurements; a crash is recorded and the next group still runs."""
    try:
        return step()
    except Exception as exc:  # noqa: BLE001 - a benchmark reports a broken group and goes on
        traceback.print_exc()
        errors.append(f"{what}: {type(exc).__name__}: {exc}")
        return []


def bench_size(cluster: BenchCluster, helper: Helper, options: Options, n: int, workdir: Path) -> dict[str, Any]:
    generator = Generator(options.seed)
    templates = (f"seed_db1_{n}", f"seed_db2_{n}")
    print(f"\nN = {n:,}: loading the seeded data", flush=True)
    started = time.perf_counter()
    db1 = cluster.create(templates[0], template=EMPTY_DB1)
    db2 = cluster.create(templates[1], template=EMPTY_DB2)
    loaded = load(generator, n, db1, db2)
    for name in templates:
        cluster.vacuum_analyze(name)
    size: dict[str, Any] = {"n": n, "rows_loaded": loaded, "load_s": round(time.perf_counter() - started, 3)}
    ctx = SizeContext(cluster, generator, n, helper, workdir, options.timeout_s, *templates)
    errors: list[str] = []
    changes: dict[str, int] = {}
    try:

        def job() -> list[Figures]:
            figures, counted = job_scenarios(ctx)
            changes.update(counted.as_dict())
            return figures

        scenarios = _guarded(errors, "job scenarios", job)
        print("  COPY floor", flush=True)
        size["copy_floor"] = {name: timing.as_dict() for name, timing in copy_floor(cluster, templates[1], n).items()}
        if n <= options.naive_max:
            scenarios += _guarded(errors, "row by row", lambda: naive_scenarios(ctx))
        if n <= options.latency_max:
            scenarios += _guarded(errors, "delayed", lambda: [delayed_full_sync(ctx, options.latency_s)])
    finally:
        cluster.drop(*templates)
    size.update({"scenarios": [f.as_dict() for f in scenarios], "changes": changes, "errors": errors})
    size["ratios"] = ratios(size)
    return size


def run(options: Options) -> dict[str, Any]:
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hestia-bench-")))
        print("starting a PostgreSQL cluster with pg_stat_statements and the helper API", flush=True)
        cluster = stack.enter_context(BenchCluster())
        helper = stack.enter_context(start_helper(cluster.create("bench_helper"), workdir))
        results: dict[str, Any] = {
            "machine": describe(cluster.server_version()),
            "settings": {
                "sizes": list(options.sizes),
                "seed": options.seed,
                "latency_ms": options.latency_s * 1000,
                "naive_max": options.naive_max,
                "latency_max": options.latency_max,
                "helper_rate_limit_per_minute": helper.rate_limit_per_minute,
                "helper_workers": helper.workers,
            },
            "notes": _notes(options),
            "sizes": [],
        }
        for n in options.sizes:
            results["sizes"].append(bench_size(cluster, helper, options, n, workdir))
    return results
