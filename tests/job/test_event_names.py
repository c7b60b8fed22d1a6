"""The log names are defined once (job/events.py): the metric filters and the renderer use no other."""

from __future__ import annotations

import re
from pathlib import Path

from job.events import COSTS, ROW_COUNTS, RUN_COUNTS, Event
from job.render import render_report
from job.report import FlowResult, RunReport, StepResult

OBSERVABILITY = Path(__file__).resolve().parents[2] / "infra/terraform/modules/observability/main.tf"
# Fields every summary line carries besides the counts.
SUMMARY_FIELDS = {"status", "command", "duration_s", "flow", "exit_code", "error"}


def _filters() -> str:
    """The job's filters: the locals from the top of the module to the helper's own."""
    text = OBSERVABILITY.read_text()
    job = text[text.index("locals {") : text.index("# From the helper's request log")]
    return job.replace('request       = "$.event = \\"request\\""', "")


def test_the_metric_filters_match_only_events_the_job_writes():
    events = set(re.findall(r'\$\.event = \\"([a-z_]+)\\"', _filters()))

    assert events
    assert events <= {event.value for event in Event}


def test_the_metric_filters_read_only_fields_the_summaries_carry():
    fields = set(re.findall(r"\$\.([a-z_]+)", _filters())) - {"event"}

    assert fields
    assert fields <= set(ROW_COUNTS) | set(COSTS) | SUMMARY_FIELDS


def test_a_run_summary_has_every_run_count_and_a_flow_summary_every_count():
    report = RunReport("run", flows=[FlowResult("plans", steps=[StepResult("plans", inserted=2)])])

    summary = report.summary()

    assert set(RUN_COUNTS) <= set(summary)
    assert set(ROW_COUNTS) | set(COSTS) <= set(summary["flows"][0])
    header = render_report(report).splitlines()[1].split()
    assert header[1 : 1 + len(ROW_COUNTS) + len(COSTS)] == [*ROW_COUNTS, *COSTS]
