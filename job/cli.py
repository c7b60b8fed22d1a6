"""`python -m job COMMAND` (or `hestia-sync COMMAND`): parse, configure, dispatch, exit.

The commands themselves live in `job.commands`, one module each."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import psycopg2
from loguru import logger

from job import logs
from job.commands import COMMANDS
from job.commands.base import Command, Invocation
from job.db import first_line
from job.errors import ConfigurationError, ExitCode, SyncError
from job.events import Event
from job.flows import FLOW_NAMES, select_flows
from job.interrupts import stop_on_signals
from job.settings import LOG_LEVELS, load_settings
from job.uris import scrub

VERBOSE, QUIET = "DEBUG", "WARNING"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise ConfigurationError([message])


def _common_options(parser: argparse.ArgumentParser, default: object) -> None:
    """Options every command takes, before or after its name (`default`: SUPPRESS on the subcommands, so
    a value given before the name is not overwritten by the subcommand's default)."""
    parser.add_argument("--env-file", type=Path, default=default, help="settings file (default: .env, if present)")
    parser.add_argument(
        "--log-format", choices=["auto", "json", "text"], default=default, help="overrides JOB_LOG_FORMAT"
    )
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument(
        "--log-level", choices=LOG_LEVELS, default=default, help="overrides JOB_LOG_LEVEL (DEBUG shows each step)"
    )
    loudness.add_argument(
        "-v",
        "--verbose",
        dest="log_level",
        action="store_const",
        const=VERBOSE,
        default=default,
        help=f"the same as --log-level {VERBOSE}",
    )
    loudness.add_argument(
        "-q",
        "--quiet",
        dest="log_level",
        action="store_const",
        const=QUIET,
        default=default,
        help=f"the same as --log-level {QUIET}: warnings, errors and the summary lines only",
    )


def _epilog(prog: str, command: Command) -> str:
    return "examples:\n" + "\n".join(f"  {prog} {example}" for example in command.examples)


def build_parser(prog: str = "python -m job") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="Keep Hestia's DB1 and DB2 in sync.",
        epilog=f"examples:\n  {prog} check\n  {prog} run\n  {prog} COMMAND --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _common_options(parser, None)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    for command in COMMANDS:
        sub = commands.add_parser(
            command.name,
            help=command.summary,
            description=command.summary,
            epilog=_epilog(prog, command),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _common_options(sub, argparse.SUPPRESS)
        if command.takes_flows:
            sub.add_argument(
                "--flow",
                action="append",
                default=[],
                metavar="NAME",
                help=f"limit to these flows (repeat or comma-separate): {', '.join(FLOW_NAMES)}",
            )
        command.arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    prog = "hestia-sync" if Path(sys.argv[0]).name == "hestia-sync" else "python -m job"
    logs.configure("auto")
    try:
        args = build_parser(prog).parse_args(args_list)
        command = next(command for command in COMMANDS if command.name == args.command)
        if command.run_alone is not None:
            return command.run_alone(args)
        flows = select_flows(_flow_names(args.flow) if getattr(args, "flow", None) else None)
        settings = load_settings(_env_file(args.env_file))
        chosen = logs.configure(args.log_format or settings.log_format, level=args.log_level or settings.log_level)
        assert command.run is not None, command.name
        with stop_on_signals() as stop:
            code = command.run(Invocation(args, settings, flows, stop, tables=chosen == "text"))
            return int(ExitCode.INTERRUPTED if stop.requested else code)
    except KeyboardInterrupt:
        logger.bind(event=Event.COMMAND_FAILED).warning("interrupted before the command started; nothing was done")
        return int(ExitCode.INTERRUPTED)
    except ConfigurationError as exc:
        for problem in exc.problems:
            logger.bind(event=Event.CONFIGURATION_ERROR).error(f"configuration error: {scrub(problem)}")
        logger.bind(event=Event.RUN_FINISHED, status="failed", exit_code=int(ExitCode.USAGE)).error(
            "nothing was done: fix the settings above and run again"
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
