"""The figures of one measured scenario, the same shape for the job, the row-by-row version and the latency run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bench.jobrun import JobRun


@dataclass
class Figures:
    """One scenario: what it cost (time, statements, requests, memory) and what it wrote."""

    scenario: str
    seconds: float
    rows_written: int
    sql_statements: int
    sql_toplevel: int
    counts: dict[str, int] = field(default_factory=dict)
    job_statements: int | None = None
    helper_requests: int | None = None
    peak_rss_mib: float | None = None
    exit_code: int | None = None
    note: str = ""

    @property
    def rows_per_s(self) -> float:
        return self.rows_written / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows_per_s": round(self.rows_per_s, 1), "seconds": round(self.seconds, 3)}


def from_job(scenario: str, run: JobRun, sql_statements: tuple[int, int], note: str = "") -> Figures:
    return Figures(
        scenario=scenario,
        seconds=run.seconds,
        rows_written=run.rows_written,
        sql_statements=sql_statements[0],
        sql_toplevel=sql_statements[1],
        counts=dict(run.counts),
        job_statements=run.statements,
        helper_requests=run.helper_requests,
        peak_rss_mib=round(run.peak_rss_kib / 1024, 1),
        exit_code=run.exit_code,
        note=note,
    )
