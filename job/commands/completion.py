"""`completion bash|zsh|tcsh`: a shell completion script, written from the parser itself so it cannot drift."""

from __future__ import annotations

import argparse

import shtab

from job.commands.base import Command

SHELLS = ("bash", "zsh", "tcsh")


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")


def _completion(args: argparse.Namespace) -> int:
    from job.cli import build_parser  # the parser is built from this registry: imported when asked for

    print(shtab.complete(build_parser(prog="hestia-sync"), shell=args.shell))
    return 0


COMPLETION = Command(
    name="completion",
    summary="print a shell completion script for the hestia-sync command",
    examples=(
        "completion bash > ~/.local/share/bash-completion/completions/hestia-sync",
        "completion zsh > ~/.zfunc/_hestia-sync",
    ),
    run_alone=_completion,
    arguments=_arguments,
    takes_flows=False,
)
