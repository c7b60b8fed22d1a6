"""`check`: can a run work? Both databases reachable, every mapped table and column present with a
compatible type, the helper reachable with our token. One line per check."""

from __future__ import annotations

from collections.abc import Sequence

from job.catalog import CheckLine
from job.db import Database, first_line
from job.engine import connect_side, make_helper, uri_of
from job.errors import SyncError
from job.flow_model import Flow, Side
from job.settings import JobSettings
from job.state import MIGRATIONS, StateStore
from job.steps import STEP_KINDS
from job.uris import redact, scrub


def run_checks(settings: JobSettings, flows: Sequence[Flow]) -> list[CheckLine]:
    """Every check, in order; a failed connection skips the checks that need it."""
    lines: list[CheckLine] = []
    dbs: dict[Side, Database] = {}
    for side in (Side.DB1, Side.DB2):
        uri = uri_of(settings, side)
        try:
            dbs[side] = connect_side(settings, side, side.upper())
            lines.append(CheckLine(True, f"{side.upper()} reachable at {redact(uri)}"))
        except SyncError as exc:
            lines.append(CheckLine(False, scrub(str(exc))))
    try:
        for flow in flows:
            for step in flow.steps:
                lines += list(STEP_KINDS[step.kind].check(dbs, step))
        if settings.state_db in dbs:
            lines.append(_state_check(dbs[Side(settings.state_db)], settings.state_schema))
    finally:
        for db in dbs.values():
            db.conn.close()
    lines.append(_helper_check(settings))
    return lines


def _state_check(db: Database, schema: str) -> CheckLine:
    store = StateStore(db, schema)
    if store.exists():
        return CheckLine(True, f"state schema {schema} present (migrations: {len(MIGRATIONS)} known)")
    return CheckLine(True, f"state schema {schema} absent: the first run creates it")


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
