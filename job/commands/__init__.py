"""The registry of `python -m job` subcommands: a new command is one module here and one line below."""

from __future__ import annotations

from typing import Final

from job.commands.base import Command
from job.commands.check import CHECK
from job.commands.completion import COMPLETION
from job.commands.rejections import REJECTIONS
from job.commands.retry import RETRY
from job.commands.runs import RUNS
from job.commands.show import SHOW
from job.commands.status import STATUS
from job.commands.sync import PLAN, RUN

COMMANDS: Final[tuple[Command, ...]] = (RUN, PLAN, RETRY, CHECK, STATUS, REJECTIONS, RUNS, SHOW, COMPLETION)
