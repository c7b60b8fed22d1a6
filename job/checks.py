"""`check`: can a run work? Both databases reachable, every mapped table and column present with a
compatible type, every privilege a run needs held by the job's role, the helper reachable with our token.
One line per check, and the GRANTs that would give the role what it lacks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg2

from job.catalog import CheckLine
from job.db import Database, first_line
from job.engine import connect_side, make_helper, uri_of
from job.errors import SyncError
from job.flow_model import Flow, Side
from job.privileges import Need, Reads, review_privileges, scope_privileges, state_privileges
from job.settings import JobSettings
from job.state import MIGRATIONS, StateStore
from job.steps import STEP_KINDS
from job.uris import redact, scrub


@dataclass(frozen=True)
class CheckReport:
    """Every line of `check`, and what would fix the privileges it found missing."""

    lines: list[CheckLine]
    grants: dict[Side, list[str]] = field(default_factory=dict)
    """GRANT statements per database (none when nothing is missing)."""
    where: dict[Side, str] = field(default_factory=dict)
    """Each database's URI, redacted."""


def run_checks(settings: JobSettings, flows: Sequence[Flow]) -> CheckReport:
    """Every check, in order; a failed connection skips the checks that need it."""
    lines: list[CheckLine] = []
    dbs: dict[Side, Database] = {}
    where: dict[Side, str] = {}
    for side in (Side.DB1, Side.DB2):
        where[side] = redact(uri_of(settings, side))
        try:
            dbs[side] = connect_side(settings, side, side.upper())
            lines.append(CheckLine(True, f"{side.upper()} reachable at {where[side]}"))
        except SyncError as exc:
            lines.append(CheckLine(False, scrub(str(exc))))
    state = f"state schema {settings.state_schema}"
    try:
        state_db = dbs.get(Side(settings.state_db))
        state_needs = _state_needs(settings, state_db) if state_db else []
        review = review_privileges(dbs, [*_step_needs(flows), (state, state_needs)])
        lines += review.failures
        for flow in flows:
            for step in flow.steps:
                lines += list(STEP_KINDS[step.kind].check(dbs, step))
                lines += review.lines(step.name)
        if settings.state_db in dbs:
            lines.append(_state_check(dbs[Side(settings.state_db)], settings.state_schema))
            lines += review.lines(state)
    finally:
        for db in dbs.values():
            db.conn.close()
    lines.append(_helper_check(settings))
    return CheckReport(lines, review.grants(), where)


def _step_needs(flows: Sequence[Flow]) -> list[tuple[str, list[Need | Reads]]]:
    return [
        (step.name, [*scope_privileges(step.watches), *STEP_KINDS[step.kind].privileges(step)])
        for flow in flows
        for step in flow.steps
    ]


def _state_needs(settings: JobSettings, db: Database) -> list[Need | Reads]:
    store = StateStore(db, settings.state_schema)
    version = _version(store)
    pending = bool(store.missing_tables()) if version is None else version < len(MIGRATIONS)
    return list(state_privileges(Side(settings.state_db), settings.state_schema, store.schema_present(), pending))


def _version(store: StateStore) -> int | None:
    """The state schema's migrations applied; None when the role may not read them (its lines say why)."""
    try:
        return store.version()
    except psycopg2.Error:
        return None


def _state_check(db: Database, schema: str) -> CheckLine:
    store = StateStore(db, schema)
    if not store.exists():
        return CheckLine(True, f"state schema {schema} absent: the first run creates it")
    version = _version(store)
    applied = "unreadable" if version is None else f"{version} of {len(MIGRATIONS)} applied"
    return CheckLine(True, f"state schema {schema} present (migrations: {applied})")


def _helper_check(settings: JobSettings) -> CheckLine:
    try:
        with make_helper(settings) as helper:
            helper.probe()
    except SyncError as exc:
        return CheckLine(False, f"helper API at {settings.helper_api_url}: {scrub(str(exc))}")
    except Exception as exc:  # noqa: BLE001 - a check reports, it never crashes
        return CheckLine(
            False, f"helper API at {settings.helper_api_url}: {type(exc).__name__}: {scrub(first_line(exc))}"
        )
    return CheckLine(True, f"helper API at {settings.helper_api_url} answers and accepts the token")
