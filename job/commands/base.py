"""What a command is: its name, help and example, its options, and the function that does it."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from job.flow_model import Flow
from job.interrupts import StopRequest
from job.settings import JobSettings


@dataclass(frozen=True)
class Invocation:
    """One command as the user asked for it, with the settings and flows it applies to."""

    args: argparse.Namespace
    settings: JobSettings
    flows: tuple[Flow, ...]
    stop: StopRequest
    tables: bool
    """Text logs (a terminal): print tables for people, not only log lines."""


@dataclass(frozen=True)
class Command:
    """One subcommand of `python -m job`; the registry in `job.commands` lists them."""

    name: str
    summary: str
    """One line: what the command does (its `--help` and the command list show it)."""
    examples: tuple[str, ...]
    """Arguments shown under `--help` after the program's name, each one a real use."""
    run: Callable[[Invocation], int] | None = None
    """Do the command; returns the exit status."""
    run_alone: Callable[[argparse.Namespace], int] | None = None
    """For a command that needs no settings and no database (`completion`): used instead of `run`."""
    arguments: Callable[[argparse.ArgumentParser], None] = lambda _parser: None
    takes_flows: bool = True
    """Whether `--flow NAME` limits it."""


def json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
