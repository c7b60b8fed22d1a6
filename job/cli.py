"""`python -m job run|plan|check|status [--flow NAME ...]`: parse, configure, dispatch, exit."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import psycopg2
from loguru import logger

from job import logs
from job.checks import run_checks
from job.db import first_line
from job.engine import connect_side, execute
from job.errors import ConfigurationError, ExitCode, SyncError
from job.events import Event
from job.flow_model import Flow
from job.flows import FLOW_NAMES, select_flows
from job.interrupts import StopRequest, stop_on_signals
from job.render import render_report, render_status
from job.settings import LOG_LEVELS, JobSettings, load_settings
from job.state import StateStore
from job.uris import scrub


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise ConfigurationError([message])


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _common_options(parser: argparse.ArgumentParser, default: object) -> None:
    """Options every command takes, before or after its name (`default`: SUPPRESS on the subcommands, so
    a value given before the name is not overwritten by the subcommand's default)."""
    parser.add_argument("--env-file", type=Path, default=default, help="settings file (default: .env, if present)")
    parser.add_argument(
        "--log-format", choices=["auto", "json", "text"], default=default, help="overrides JOB_LOG_FORMAT"
    )
    parser.add_argument(
        "--log-level", choices=LOG_LEVELS, default=default, help="overrides JOB_LOG_LEVEL (DEBUG shows each step)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m job", description="Keep Hestia's DB1 and DB2 in sync.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _common_options(parser, None)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    helps = {
        "run": (
            "one sync pass (exit 0 all written, 3 rows rejected or deferred, 4 lock held, 5 interrupted, "
            "1 failed, 2 usage)"
        ),
        "plan": "what a run would insert, update and reject per flow; writes nothing",
        "check": "databases reachable, mapped tables and columns present, helper reachable",
        "status": "recent runs and open rejections",
    }
    for name, text in helps.items():
        sub = commands.add_parser(name, help=text, description=text)
        _common_options(sub, argparse.SUPPRESS)
        sub.add_argument(
            "--flow",
            action="append",
            default=[],
            metavar="NAME",
            help=f"limit to these flows (repeat or comma-separate): {', '.join(FLOW_NAMES)}",
        )
        if name in ("run", "plan"):
            sub.add_argument(
                "--full",
                action="store_true",
                help="compare every row, not only those changed since the last run (a full reconciliation)",
            )
        if name in ("plan", "status"):
            sub.add_argument("--json", action="store_true", help="print JSON instead of tables")
        if name == "status":
            sub.add_argument("--limit", type=_positive, default=10, help="how many runs and rejections to show")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    logs.configure("auto")
    try:
        args = build_parser().parse_args(args_list)
        flows = select_flows(_flow_names(args.flow)) if args.flow else select_flows(None)
        settings = load_settings(_env_file(args.env_file))
        chosen = logs.configure(args.log_format or settings.log_format, level=args.log_level or settings.log_level)
        with stop_on_signals() as stop:
            return _dispatch(args, settings, flows, stop, tables=chosen == "text")
    except KeyboardInterrupt:
        logger.bind(event=Event.COMMAND_FAILED).warning("interrupted before the command started; nothing was done")
        return int(ExitCode.INTERRUPTED)
    except ConfigurationError as exc:
        for problem in exc.problems:
            logger.bind(event=Event.CONFIGURATION_ERROR).error(f"configuration error: {scrub(problem)}")
        logger.bind(event=Event.RUN_FINISHED, status="failed", exit_code=int(ExitCode.USAGE)).error(
            "nothing was synced: fix the settings above and run again"
        )
        return int(ExitCode.USAGE)
    except SyncError as exc:
        logger.bind(event=Event.COMMAND_FAILED).error(scrub(str(exc)))
        return int(exc.exit_code)
    except psycopg2.Error as exc:
        logger.bind(event=Event.COMMAND_FAILED).error(f"database error: {scrub(first_line(exc))}")
        return int(ExitCode.FAILED)


def _flow_names(values: list[str]) -> list[str]:
    names = [name.strip() for value in values for name in value.split(",")]
    if any(not name for name in names):
        raise ConfigurationError([f"--flow: an empty flow name; choose from {', '.join(FLOW_NAMES)}"])
    try:
        select_flows(names)
    except ValueError as exc:
        raise ConfigurationError([f"--flow: {exc}"]) from None
    return names


def _env_file(named: Path | None) -> Path:
    """The settings file: one named with --env-file must exist; without it, .env is read when present
    (ECS passes the settings in the environment, with no file)."""
    if named is None:
        return Path(".env")
    if not named.is_file():
        raise ConfigurationError([f"--env-file: {named} does not exist or is not a file"])
    return named


def _version() -> str:
    try:
        return metadata.version("hestia-sync")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _dispatch(
    args: argparse.Namespace, settings: JobSettings, flows: tuple[Flow, ...], stop: StopRequest, tables: bool
) -> int:
    """Run the command; `tables`: print the run's report for people (text logs), not only log lines."""
    if args.command in ("run", "plan"):
        report = execute(settings, args.command, flows, full=args.full, stop=stop)
        if args.command == "plan":
            print(json.dumps(report.summary(), indent=2, default=str) if args.json else render_report(report))
        elif tables:
            print(render_report(report))
        return int(report.exit_code)
    if args.command == "check":
        lines = run_checks(settings, flows)
        for line in lines:
            print(f"{'ok  ' if line.ok else 'FAIL'}  {line.text}")
        failed = sum(not line.ok for line in lines)
        print(f"\n{len(lines) - failed} ok, {failed} failed")
        code = ExitCode.FAILED if failed else ExitCode.OK
    else:
        code = ExitCode(_status(args, settings, flows))
    return int(ExitCode.INTERRUPTED if stop.requested else code)


def _status(args: argparse.Namespace, settings: JobSettings, flows: tuple[Flow, ...]) -> int:
    db = connect_side(settings, settings.state_db, "state store")
    try:
        store = StateStore(db, settings.state_schema)
        if not store.exists():
            note = f"no runs yet: the state schema {settings.state_schema} does not exist (the first run creates it)"
            print(json.dumps({"runs": [], "open_rejections": [], "note": note}, indent=2) if args.json else note)
            return int(ExitCode.OK)
        runs = store.recent_runs(args.limit)
        problems = store.open_problems(args.limit, [flow.name for flow in flows])
    finally:
        db.conn.close()
    if args.json:
        print(json.dumps({"runs": runs, "open_rejections": problems}, indent=2, default=str))
    else:
        print(render_status(runs, problems))
    return int(ExitCode.OK)
