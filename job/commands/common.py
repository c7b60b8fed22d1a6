"""What several commands share: the state store on a connection of their own, the steps they name,
option types and JSON."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from job.engine import connect_side
from job.errors import ConfigurationError
from job.flow_model import Flow
from job.settings import JobSettings
from job.state import StateStore
from job.state_views import StateViews

LARGEST_COUNT = 1_000_000_000


def positive(text: str) -> int:
    """A count given on the command line: a whole number from 1 to LARGEST_COUNT."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= LARGEST_COUNT:
        raise argparse.ArgumentTypeError(f"must be from 1 to {LARGEST_COUNT:,}, got {value}")
    return value


def step_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--step",
        action="append",
        default=[],
        metavar="NAME",
        dest="steps",
        help="limit to these steps of the chosen flows (repeat or comma-separate), e.g. students.create",
    )


def named_steps(flows: Sequence[Flow], values: Sequence[str]) -> list[str]:
    """The steps named with --step (repeated or comma-separated), each one a step of the chosen flows; [] if none."""
    declared = [step.name for flow in flows for step in flow.steps]
    names = list(dict.fromkeys(name.strip() for value in values for name in value.split(",") if name.strip()))
    unknown = [name for name in names if name not in declared]
    if unknown:
        raise ConfigurationError(
            [f"--step: no step {', '.join(unknown)} in the chosen flows; choose from {', '.join(declared)}"]
        )
    return names


def chosen_steps(flows: Sequence[Flow], values: Sequence[str]) -> list[str]:
    """The steps named with --step, or every step of the chosen flows."""
    return named_steps(flows, values) or [step.name for flow in flows for step in flow.steps]


def no_state_note(settings: JobSettings) -> str:
    return f"no runs yet: the state schema {settings.state_schema} does not exist (the first run creates it)"


@contextmanager
def state_views(settings: JobSettings) -> Iterator[StateViews | None]:
    """The state on a connection of its own, closed afterwards; None before the first run created it."""
    db = connect_side(settings, settings.state_db, "state store")
    try:
        store = StateStore(db, settings.state_schema)
        yield StateViews(store) if store.exists() else None
    finally:
        db.conn.close()


def open_totals(counts: dict[str, int]) -> dict[str, int]:
    """Open rejections by kind, and their total, for JSON."""
    return {**counts, "total": counts["rejected"] + counts["deferred"]}


def to_json(value: Any) -> str:
    return json.dumps(value, indent=2, default=str)
