"""The run: take the lock, open the databases, run each flow's steps in order, record what happened.

Each step runs inside one transaction per database and commits only when the whole step went
through; `plan` runs the very same code and rolls everything back at the end, so what it prints is
what a run would do, database refusals included.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal

import psycopg2
from loguru import logger

from job.changes import Identity, database_identity
from job.db import Database, Keepalives, connect, first_line
from job.errors import FatalSyncError, Interrupted, LockHeld, SyncError
from job.events import Event
from job.flow_model import Flow, Side, Step
from job.helper_client import HelperClient
from job.interrupts import StopRequest
from job.progress import Progress
from job.report import FlowResult, RunReport, StepResult
from job.row_log import log_rows
from job.scope import Scope, decide_scope, named_scope
from job.settings import JobSettings, require_helper_token
from job.state import Problem, StateStore
from job.step_context import StepContext
from job.steps import STEP_KINDS
from job.uris import scrub

SyncCommand = Literal["run", "plan", "retry"]


@dataclass
class Session:
    """Everything open during one run."""

    command: SyncCommand
    settings: JobSettings
    dbs: dict[Side, Database]
    state: StateStore
    step_state: StateStore | None
    """The state a step stages with its data (baselines, watermarks, own writes), on the state database's
    data connection: it commits in the same transaction as that database's writes (None in plan mode)."""
    helper: HelperClient
    run_id: int | None
    full: bool = False
    stop: StopRequest = field(default_factory=StopRequest)
    progress: Progress = field(default_factory=lambda: Progress(interval_s=5.0))
    identities: dict[Side, Identity] = field(default_factory=dict)
    state_exists: bool = False
    lost: str | None = None
    """Set when a step lost DB1's or DB2's connection: the run ends after that flow."""
    named: Mapping[str, Sequence[str]] | None = None
    """Only these steps, each on these keys, whatever changed (`retry`, `plan --key`)."""
    diff_limit: int = 0

    @property
    def step_state_db(self) -> Database | None:
        return self.step_state.db if self.step_state else None

    @property
    def writes(self) -> bool:
        return self.command != "plan"

    def runs(self, step: Step) -> bool:
        return self.named is None or step.name in self.named

    def statements(self) -> int:
        return sum(db.statements for db in [*self.dbs.values(), self.state.db])

    def finish_step(self, ok: bool) -> None:
        """Commit (run) or keep open (plan) after a good step; roll back after a failed one.

        The state database commits last, with the step's state: a kill between the two commits leaves the
        old watermark, so the next run looks at those rows again and finds them written."""
        for db in sorted(self.dbs.values(), key=lambda db: db is self.step_state_db):
            if ok and self.writes:
                db.conn.commit()
            elif not ok:
                db.conn.rollback()


def uri_of(settings: JobSettings, side: str) -> str:
    secret = settings.uri_banco_1 if side == Side.DB1 else settings.uri_banco_2
    return secret.get_secret_value()


def connect_side(settings: JobSettings, side: str, role: str) -> Database:
    """Open DB1, DB2 or the state store (by side) with the configured timeouts."""
    keepalives = Keepalives(
        settings.tcp_keepalive_idle_s, settings.tcp_keepalive_interval_s, settings.tcp_keepalive_count
    )
    return connect(role, uri_of(settings, side), settings.connect_timeout_s, settings.statement_timeout_s, keepalives)


def execute(
    settings: JobSettings,
    command: SyncCommand,
    flows: Sequence[Flow],
    helper_factory: Callable[[JobSettings], HelperClient] | None = None,
    full: bool = False,
    stop: StopRequest | None = None,
    progress: Progress | None = None,
    named: Mapping[str, Sequence[str]] | None = None,
    diff_limit: int = 0,
) -> RunReport:
    """One pass over the flows (`run`), or the same pass rolled back (`plan`).

    Each step looks at the rows changed since the last run, or at every row with `full` (and when
    the change detection cannot be trusted: see `changes`). A `stop` (SIGTERM, SIGINT) cancels the
    query in flight, rolls back the step in progress and ends the run as interrupted. `progress` says where
    a long step's progress goes (default: a `step_progress` log line every JOB_PROGRESS_INTERVAL_S).
    `named` limits the pass to some steps, each looking at the rows with the given keys (`retry`); with
    `diff_limit`, each step keeps that many of the rows it wrote, column by column, in the report."""
    report = RunReport(command)
    stop = stop or StopRequest()
    if named is not None:
        flows = [flow for flow in flows if any(step.name in named for step in flow.steps)]
    started = time.monotonic()
    require_helper_token(settings)
    state: StateStore | None = None
    run_id: int | None = None
    with ExitStack() as stack:
        try:
            state_db = connect_side(settings, settings.state_db, f"state store ({settings.state_db.upper()})")
            stack.callback(state_db.conn.close)
            state = StateStore(state_db, settings.state_schema)
            if command != "plan":
                state.acquire_lock()
                stack.callback(_release_lock, state)
                state.migrate()
                _mark_abandoned(state)
                run_id = state.start_run(command, [flow.name for flow in flows])
            dbs = {}
            for side in (Side.DB1, Side.DB2):
                dbs[side] = connect_side(settings, side, side.upper())
                stack.callback(dbs[side].conn.close)
                stop.cancel_on_stop(dbs[side].conn)
            step_state = (
                StateStore(dbs[Side(settings.state_db)], settings.state_schema, autocommit=False)
                if command != "plan"
                else None
            )
            helper = (helper_factory or make_helper)(settings)
            stack.callback(helper.close)
            stop.when_stopped(lambda: helper.halt("the run is stopping"))
            session = Session(
                command,
                settings,
                dbs,
                state,
                step_state,
                helper,
                run_id,
                full,
                stop,
                progress or Progress(settings.progress_interval_s),
                _identities(dbs),
                state_exists=state.exists(),
                named=named,
                diff_limit=diff_limit,
            )
            for flow in flows:
                stop.check()
                report.flows.append(FlowResult(flow.name))
                _run_flow(session, flow, report.flows[-1])
                if session.lost:
                    raise FatalSyncError(session.lost)
            if command == "plan":
                for db in dbs.values():
                    db.conn.rollback()
        except (SyncError, psycopg2.Error) as exc:
            _note_failure(report, exc, settings, stop)
        report.seconds = time.monotonic() - started
        if state is not None and run_id is not None:
            _record_finish(state, run_id, report)
    _log_summary(report)
    return report


def make_helper(settings: JobSettings) -> HelperClient:
    """The helper client as the settings describe it."""
    return HelperClient(
        str(settings.helper_api_url),
        require_helper_token(settings),
        timeout_s=settings.helper_timeout_s,
        batch_size=settings.helper_batch_size,
        concurrency=settings.helper_concurrency,
        retries=settings.helper_retries,
        backoff_s=settings.helper_backoff_s,
    )


def _identities(dbs: dict[Side, Database]) -> dict[Side, Identity]:
    identities = {}
    for side, db in dbs.items():
        with db.cursor() as cur:
            identities[side] = database_identity(cur)
        db.conn.rollback()
    return identities


def _note_failure(report: RunReport, exc: SyncError | psycopg2.Error, settings: JobSettings, stop: StopRequest) -> None:
    """What ended the run early, in the report and the log."""
    if stop.requested and not isinstance(exc, Interrupted):
        exc = Interrupted(stop.signal_name or "a stop request")  # a query the stop cancelled
    if isinstance(exc, LockHeld):
        report.skipped = True
        logger.bind(event=Event.LOCK_HELD).warning(str(exc))
        return
    if isinstance(exc, Interrupted):
        report.interrupted = exc.signal_name
        report.error = str(exc)
        logger.bind(event=Event.RUN_INTERRUPTED, signal=exc.signal_name).warning(report.error)
        return
    if isinstance(exc, SyncError):
        report.error = scrub(str(exc))
    else:
        report.error = (
            f"the state store ({settings.state_db.upper()}) refused the job's own bookkeeping: "
            f"{scrub(first_line(exc))}; the database user must be able to create and write the schema "
            f"{settings.state_schema} (JOB_STATE_SCHEMA)"
        )
    logger.bind(event=Event.RUN_ERROR).error(report.error)


def _mark_abandoned(state: StateStore) -> None:
    """Runs still marked running while this run holds the lock died without recording their end."""
    for run_id in state.mark_abandoned():
        logger.bind(event=Event.RUN_ABANDONED, run_id=run_id).warning(
            f"run {run_id} ended without recording its end (killed, or lost its machine or its connection): "
            "marked abandoned; nothing of its step in progress was written, this run redoes it"
        )


def _release_lock(state: StateStore) -> None:
    # A lost connection has released the lock already.
    with contextlib.suppress(psycopg2.Error):
        state.release_lock()


def _record_finish(state: StateStore, run_id: int, report: RunReport) -> None:
    try:
        state.finish_run(run_id, report.status, int(report.exit_code), report.summary(), report.error)
    except psycopg2.Error as exc:
        logger.bind(event=Event.STATE_ERROR).error(
            f"could not record the end of run {run_id}: {scrub(first_line(exc))}"
        )


def _run_flow(session: Session, flow: Flow, result: FlowResult) -> None:
    for step in flow.steps:
        if not session.runs(step):
            continue
        session.stop.check()
        step_result = _run_step(session, flow, step)
        result.steps.append(step_result)
        if step_result.error:
            break
    summary = result.summary()
    level = "ERROR" if summary["error"] else "WARNING" if summary["rejected"] or summary["deferred"] else "INFO"
    logger.bind(event=Event.FLOW_FINISHED, **summary).log(level, _flow_line(summary))


def _run_step(session: Session, flow: Flow, step: Step) -> StepResult:
    started, statements, requests = time.monotonic(), session.statements(), session.helper.requests_sent
    logger.bind(event=Event.STEP_STARTED, flow=flow.name, step=step.name).debug(f"{step.name}: started")
    ctx = _step_context(session, flow)
    try:
        keys = session.named[step.name] if session.named is not None else None
        scope = decide_scope(ctx, step.name, step.watches) if keys is None else named_scope(ctx, step.watches, keys)
        logger.bind(
            event=Event.STEP_SCOPE, flow=flow.name, step=step.name, full=scope.full, changed=scope.changed
        ).debug(f"{step.name}: {'every row' if scope.full else f'{scope.changed} changed rows'} ({scope.reason})")
        progress = session.progress.step(flow.name, step.name, scope.rows)
        ctx.progress = progress.advance
        try:
            result = STEP_KINDS[step.kind].run(ctx, step, scope)
        finally:
            progress.finish()
        result.full, result.changed = scope.full, scope.changed
        _stage_step_state(ctx, step, scope)
        session.finish_step(ok=True)
        if session.writes and session.run_id is not None:
            session.state.resolve_others(session.run_id, step.name, scope.named)
    except (SyncError, psycopg2.Error) as exc:
        _safe_rollback(session)
        # A cancelled query, or a statement refused because a stop was asked for: the run ends here.
        session.stop.check()
        lost = [db.role for db in session.dbs.values() if db.conn.closed]
        result = StepResult(step.name, error=_describe(step.name, exc, lost))
        if lost:
            session.lost = f"lost the connection to {' and '.join(lost)}: the flows after {flow.name} did not run"
        logger.bind(event=Event.STEP_FAILED, flow=flow.name, step=step.name).error(result.error)
    result.seconds = time.monotonic() - started
    result.statements = session.statements() - statements
    result.helper_requests = session.helper.requests_sent - requests
    log_rows(flow.name, result)
    return result


def _step_context(session: Session, flow: Flow) -> StepContext:
    def on_problems(problems: list[Problem]) -> None:
        if session.writes and session.run_id is not None:
            session.state.record_problems(session.run_id, problems)

    hours = session.settings.full_every_hours
    return StepContext(
        flow=flow.name,
        dbs=session.dbs,
        helper=session.helper,
        batch_size=session.settings.batch_size,
        reader=session.state if session.state_exists else None,
        step_state=session.step_state,
        run_id=session.run_id,
        full=session.full,
        full_every=timedelta(hours=hours) if hours else None,
        identities=session.identities,
        on_problems=on_problems,
        diff_limit=session.diff_limit,
    )


def _stage_step_state(ctx: StepContext, step: Step, scope: Scope) -> None:
    """What the next run's change detection needs, committed with the state database's writes (see `changes`)."""
    if ctx.step_state is None:
        return
    for watch, mark in scope.pending:
        ctx.step_state.save_watermark(step.name, watch.side.value, watch.table, mark, scope.full)
        ctx.step_state.record_own_writes(
            step.name, watch.side.value, watch.table, ctx.inserted.get((watch.side.value, watch.table), set()), mark
        )


def _safe_rollback(session: Session) -> None:
    # A lost connection has nothing left to roll back.
    with contextlib.suppress(psycopg2.Error):
        session.finish_step(ok=False)


def _describe(step: str, exc: BaseException, lost: list[str]) -> str:
    if lost:
        return (
            f"{step}: lost the connection to {' and '.join(lost)} ({scrub(first_line(exc))}); "
            "nothing of this step was written, the next run redoes it"
        )
    if isinstance(exc, SyncError):
        return f"{step}: {scrub(str(exc))}"
    if isinstance(exc, psycopg2.OperationalError):
        return (
            f"{step}: lost the database connection or hit a timeout ({scrub(first_line(exc))}); "
            "nothing of this step was written, the next run redoes it"
        )
    return f"{step}: the database refused the step ({scrub(first_line(exc))}); nothing of it was written"


def _flow_line(summary: dict[str, object]) -> str:
    text = (
        f"{summary['flow']}: {summary['inserted']} inserted, {summary['updated']} updated, "
        f"{summary['unchanged']} unchanged, {summary['rejected']} rejected, {summary['deferred']} deferred "
        f"in {summary['duration_s']}s"
    )
    return f"{text}; FAILED: {summary['error']}" if summary.get("error") else text


def peak_rss_mib() -> float | None:
    """This process's peak resident memory (VmHWM: what it used since it started, not its parent's)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _log_summary(report: RunReport) -> None:
    summary = report.summary()
    fields = {key: value for key, value in summary.items() if key != "flows"}
    fields["peak_rss_mib"] = peak_rss_mib()
    level = {"ok": "INFO", "failed": "ERROR"}.get(report.status, "WARNING")
    logger.bind(event=Event.RUN_FINISHED, command=report.command, **fields).log(
        level,
        f"{report.command} {report.status} (exit {int(report.exit_code)}): {fields['inserted']} inserted, "
        f"{fields['updated']} updated, {fields['rejected']} rejected, {fields['deferred']} deferred "
        f"in {fields['duration_s']}s",
    )
