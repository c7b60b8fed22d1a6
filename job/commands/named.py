"""The rows a command names (`--key`, `--step`): which steps look at which keys."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from job.commands.common import chosen_steps, step_option
from job.errors import ConfigurationError
from job.flow_model import Flow


def key_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="KEY",
        dest="keys",
        help=f"{what} the row with this key (its id in the step's source table; repeat for more)",
    )
    step_option(parser)


def named_keys(flows: Sequence[Flow], keys: Sequence[str], steps: Sequence[str]) -> dict[str, tuple[str, ...]] | None:
    """Step → keys when keys or steps were named; None: no rows were named (a normal pass)."""
    if not keys:
        if steps:
            raise ConfigurationError(["--step: give the rows to look at with --key KEY"])
        return None
    blank = [key for key in keys if not key.strip()]
    if blank:
        raise ConfigurationError(["--key: an empty key; give the row's id in the step's source table"])
    return {step: tuple(keys) for step in chosen_steps(flows, steps)}
