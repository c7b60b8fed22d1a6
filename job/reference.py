"""docs/reference.md, written from the code: commands, settings, flows, exit statuses and log events.

`make docs` runs `python -m job.reference docs/reference.md`; tests/test_docs.py fails when the page and
`render()` differ. What the code does not say in words (what an exit status means, what a copy mode does,
an event without a docstring) is written here, keyed by the enum or name, and a test fails when a new
member has no words yet.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import itertools
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, get_args

from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from job import events
from job.cli import build_parser
from job.convert import COMPARATORS, CONVERTERS
from job.errors import ExitCode
from job.events import Event
from job.flow_model import Column, CopyStep, Flow, StatusStep
from job.flows import FLOWS
from job.settings import JobSettings

PROG: Final = "hestia-sync"
COMMON_DESTS: Final = frozenset({"help", "version", "env_file", "log_format", "log_level"})

EXIT_STATUSES: Final[dict[ExitCode, tuple[str, str]]] = {
    ExitCode.OK: ("done: every row was written, every check passed", "nothing"),
    ExitCode.FAILED: (
        "failed: a database or the helper could not be used, a flow failed, or a check failed",
        "the last log lines say which and why; nothing of a failed step was written",
    ),
    ExitCode.USAGE: (
        "usage or configuration error: nothing was attempted",
        "every bad setting or argument is listed by name; fix them and run again",
    ),
    ExitCode.INCOMPLETE: (
        "completed, but some rows were rejected or deferred",
        "`status` lists them with their reasons; fix the data (or wait for the helper): every run retries them",
    ),
    ExitCode.LOCKED: (
        "skipped: another run holds the lock, nothing was attempted",
        "nothing, unless it keeps happening (a run that never ends)",
    ),
    ExitCode.INTERRUPTED: (
        "stopped by SIGTERM or SIGINT: the query in flight was cancelled, the step in progress rolled back",
        "nothing: the next run picks up from there",
    ),
}
"""What each exit status means and what to do about it."""

COPY_MODES: Final[dict[str, str]] = {
    "upsert": "inserted when missing, updated when a value differs",
    "insert_missing": "inserted when missing; rows already there are left alone",
    "update_existing": "updated when a value differs; rows missing from the target are left alone",
}
"""What each CopyStep mode does to the target."""

RESOLVER_MEANINGS: Final[dict[str, str]] = {
    "username": "a free login made from the name (else the email), unique across DB1's students and advertisers",
    "helper_password": "the helper API's bcrypt hash for the email, or a marker no password matches",
    "helper_photo": "the helper API's photo URL for the email, or its default avatar",
}
"""What each resolver named in a flow puts in its column."""


def render() -> str:
    """The whole of docs/reference.md."""
    sections = [_intro(), _commands(), _settings(), _flows(), _exit_statuses(), _events(), _helper_commands()]
    return "\n\n".join(section.strip("\n") for section in sections) + "\n"


def _intro() -> str:
    return """# Reference

For anyone who runs or changes the job and needs the exact name of a command, an option, a setting, a
mapped column, an exit status or a log event. Everything below is written from the code by `make docs`
(`job/reference.py`): do not edit this page by hand, change the code and run `make docs`; `make test`
fails while the page is out of date. How to use these in practice: [operations.md](operations.md).

## Contents

- [Commands](#commands)
- [Settings](#settings)
- [Flows](#flows)
- [Exit statuses](#exit-statuses)
- [Log events](#log-events)
- [The helper's commands](#the-helpers-commands)"""


# --- markdown ----------------------------------------------------------------------------------------------


def cell(text: object) -> str:
    """A value fit for one table cell: one line, no pipe, no angle bracket taken for HTML."""
    flat = " ".join(str(text).split())
    return flat.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def code(text: object) -> str:
    return f"`{text}`"


def first_paragraph(doc: str | None) -> str:
    """A docstring's first paragraph, as one line."""
    return " ".join((inspect.cleandoc(doc or "").split("\n\n") or [""])[0].split())


def attribute_docs(source: str, class_name: str | None = None) -> dict[str, str]:
    """The docstrings written under assignments (`NAME = ...` then a string), of a module or one of its classes."""
    body: list[ast.stmt] = ast.parse(source).body
    if class_name is not None:
        body = next(n.body for n in body if isinstance(n, ast.ClassDef) and n.name == class_name)
    docs: dict[str, str] = {}
    for statement, following in itertools.pairwise(body):
        target = statement.targets[0] if isinstance(statement, ast.Assign) else getattr(statement, "target", None)
        if isinstance(target, ast.Name) and isinstance(following, ast.Expr):
            value = following.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                docs[target.id] = first_paragraph(value.value)
    return docs


# --- commands ------------------------------------------------------------------------------------------------


def _subparsers_action(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return dict(_subparsers_action(parser).choices)


def command_helps(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Each subcommand's one-line help, as the command list of `--help` shows it."""
    return {str(a.dest): str(a.help or "") for a in _subparsers_action(parser)._choices_actions}


def option_label(action: argparse.Action) -> str:
    """How an option or argument is written: `--flow NAME`, `-v`, `--verbose`, `{bash,zsh,tcsh}`."""
    takes_value = action.nargs != 0
    if action.choices is not None:
        value = "{" + ",".join(str(choice) for choice in action.choices) + "}"
    else:
        value = str(action.metavar or action.dest.upper())
    if not action.option_strings:
        return code(value)
    names = [f"{name} {value}" if takes_value else name for name in action.option_strings]
    return ", ".join(code(name) for name in names)


def option_help(action: argparse.Action, prog: str) -> str:
    text = str(action.help or "")
    if "%(" in text:
        text = text % {**vars(action), "prog": prog}
    return text


def usage_part(action: argparse.Action) -> str:
    if not action.option_strings:
        shown = "{" + ",".join(map(str, action.choices)) + "}" if action.choices else str(action.metavar or action.dest)
        return f"[{shown} ...]" if action.nargs == "*" else shown
    name = action.option_strings[-1]
    if action.nargs == 0:
        return f"[{name}]"
    return f"[{name} {action.metavar or action.dest.upper()}]"


def _commands() -> str:
    parser = build_parser(PROG)
    common = [a for a in parser._actions if a.option_strings and a.dest not in {"help", "version"}]
    out = [
        "## Commands",
        f"`{PROG} COMMAND [options]`, or `.venv/bin/python -m job COMMAND [options]`: {parser.description}",
        "### Options every command takes",
        f"They may be given before or after the command's name. `{PROG} --version` prints the version.",
        table(["option", "what it does"], ([option_label(a), option_help(a, PROG)] for a in common)),
    ]
    for name, sub in _subparsers(parser).items():
        out += list(_command(name, sub))
    return "\n\n".join(out)


def _command(name: str, sub: argparse.ArgumentParser) -> Iterator[str]:
    own = [a for a in sub._actions if a.dest not in COMMON_DESTS]
    yield f"### `{name}`"
    yield str(sub.description)
    yield "Usage: " + code(" ".join([PROG, name, "[options]", *(usage_part(a) for a in own)]))
    if own:
        yield table(["option", "what it does"], ([option_label(a), option_help(a, PROG)] for a in own))
    examples = str(sub.epilog or "").removeprefix("examples:\n")
    if examples.strip():
        yield "Examples:\n\n```sh\n" + "\n".join(line.strip() for line in examples.splitlines()) + "\n```"


# --- settings ------------------------------------------------------------------------------------------------


def constraint(info: FieldInfo) -> str:
    """The field's bounds and choices in words: `1 to 500`, `one of db1, db2`."""
    bounds = {}
    for item in info.metadata:
        for name in ("ge", "gt", "le", "lt"):
            if getattr(item, name, None) is not None:
                bounds[name] = getattr(item, name)
    choices = get_args(info.annotation) if "Literal" in str(info.annotation) else ()
    parts = [f"one of {', '.join(map(str, choices))}"] if choices else []
    if "ge" in bounds and "le" in bounds:
        parts.append(f"{bounds['ge']} to {bounds['le']}")
    else:
        words = {"ge": "at least", "gt": "above", "le": "at most", "lt": "below"}
        parts += [", ".join(f"{words[name]} {value}" for name, value in bounds.items())] if bounds else []
    return "; ".join(parts)


def default_text(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default is None or info.default is PydanticUndefined:
        return "unset"
    if isinstance(info.default, bool):
        return str(info.default).lower()
    return code(info.default)


def setting_row(name: str, info: FieldInfo) -> list[str]:
    meaning = first_paragraph(info.description)
    extra = [text for text in (constraint(info), "secret" if SecretStr in _types(info) else "") if text]
    if extra:
        meaning += f" ({'; '.join(extra)})"
    return [code(name), default_text(info), meaning]


def _types(info: FieldInfo) -> tuple[Any, ...]:
    return (info.annotation, *get_args(info.annotation))


def job_setting_names(info: FieldInfo) -> list[str]:
    choices = getattr(info.validation_alias, "choices", [])
    return [str(choice) for choice in choices if str(choice).isupper()]


def _settings() -> str:
    job_rows = [setting_row(job_setting_names(info)[0], info) for info in JobSettings.model_fields.values()]
    return "\n\n".join(
        [
            "## Settings",
            "### The job's settings",
            "From the environment or `.env` in the working directory (`--env-file` names another file); the "
            "environment wins. A `JOB_*` name the job does not know is refused as a typo. `.env.example` lists "
            "them all.",
            table(["setting", "default", "meaning"], job_rows),
            _helper_settings(),
        ]
    )


def _helper_settings() -> str:
    from helper_api import settings as helper  # only the docs need the helper's classes

    groups = (
        (helper.ServerSettings, "gunicorn's config (`helper_api/gunicorn.conf.py`)"),
        (helper.StoreSettings, "the app, and the commands `migrate` and `import-credentials`"),
        (helper.Settings, "the app"),
    )
    rows = []
    for cls, reader in groups:
        own = inspect.get_annotations(cls)
        rows += [[*setting_row(helper.env_name(n), f), reader] for n, f in cls.model_fields.items() if n in own]
    known = ", ".join(code(name) for name in sorted(helper.JOB_OWNED_NAMES))
    return "\n\n".join(
        [
            "### The helper's settings",
            f"From the environment or `.env`, as the job's. Every name starts with `{helper.ENV_PREFIX}`; any other "
            f"`{helper.ENV_PREFIX}*` name is refused as a typo, except the job's own {known}, so both can share "
            "one `.env`.",
            table(["setting", "default", "meaning", "read by"], rows),
        ]
    )


# --- flows ---------------------------------------------------------------------------------------------------


def converter_text(name: str) -> str:
    if name == "same":
        return "as is"
    return f"{code(name)}: {first_paragraph(CONVERTERS[name].function.__doc__)}"


def comparator_text(name: str) -> str:
    if name == "equal":
        return "equal values"
    return f"{code(name)}: {first_paragraph(COMPARATORS[name].__doc__)}"


def column_origin(column: Column, target: str) -> str:
    if column.resolver is not None:
        return f"{code(column.source)} through {code(column.resolver)}: {RESOLVER_MEANINGS[column.resolver]}"
    if column.lookup is not None:
        lookup = column.lookup
        return f"{code(column.source)} looked up in {target} {code(lookup.table)}: its {code(lookup.value)}"
    if column.source is None:
        return f"always {code(column.constant)}"
    return code(column.source)


def _copy_step(step: CopyStep) -> Iterator[str]:
    source, target = step.source.upper(), step.target.upper()
    yield (
        f"**{code(step.name)}** ({COPY_MODES[step.mode]}): {source} {code(step.source_table)} "
        f"(key {code(step.source_key)}) → {target} {code(step.target_table)} (key {code(step.target_key)})."
    )
    headers = ["target column", "from", "converted"]
    compares = step.mode != "insert_missing"
    if compares:
        headers.append("compared as")
    rows = []
    for column in step.columns:
        row = [code(column.target), column_origin(column, target), converter_text(column.convert)]
        if compares:
            row.append("not compared" if column.is_derived else comparator_text(column.compare))
        rows.append(row)
    yield table(headers, rows)
    yield from _copy_rules(step, target)


def _copy_rules(step: CopyStep, target: str) -> Iterator[str]:
    rules = []
    if step.insert_timestamps:
        rules.append(f"Set to now() on insert: {', '.join(map(code, step.insert_timestamps))}.")
    if step.update_timestamps:
        rules.append(f"Set to now() when a value really changed: {', '.join(map(code, step.update_timestamps))}.")
    for ref in step.references:
        rules.append(
            f"{code(ref.column)} must point at a {target} {code(ref.table)} row (by {code(ref.key)}), "
            "else the row is deferred."
        )
    if step.exactly_one:
        rule = step.exactly_one
        rules.append(
            f"Exactly one of {', '.join(map(code, rule.columns))} points at a row {target} holds: none at all is "
            f'rejected ("{rule.reason_if_none}"), candidates none of which {target} holds yet are deferred, '
            f'more than one is rejected ("{rule.reason_if_many}").'
        )
    if rules:
        yield "\n".join(f"- {rule}" for rule in rules)
    if step.source_sql:
        sql = inspect.cleandoc(step.source_sql)
        yield (
            f"The source columns come from this query, where `{{source}}` stands for the rows of "
            f"{code(step.source_table)} the run reads:\n\n<details><summary>the query</summary>\n\n"
            f"```sql\n{sql}\n```\n\n</details>"
        )


def _status_step(step: StatusStep) -> Iterator[str]:
    left, right = step.left.upper(), step.right.upper()
    yield (
        f"**{code(step.name)}** (a status kept equal both ways): {left} {code(step.left_table)}."
        f"{code(step.left_column)} (key {code(step.left_key)}) ↔ {right} {code(step.right_table)}."
        f"{code(step.right_column)} (key {code(step.right_key)}). Each side is compared with the value seen at the "
        f"last sync: the side that changed wins; when both changed to different values, {left} wins and the "
        "conflict is recorded."
    )
    rows = [
        [f"{left} → common", converter_text(step.left_to_common)],
        [f"common → {left}", converter_text(step.common_to_left)],
        [f"{right} → common", converter_text(step.right_to_common)],
        [f"common → {right}", converter_text(step.common_to_right)],
    ]
    yield table(["conversion", "how"], rows)
    if step.right_update_timestamps:
        yield f"Set to now() when {right} is written: {', '.join(map(code, step.right_update_timestamps))}."


STEP_RENDERERS: Final[dict[str, Callable[[Any], Iterator[str]]]] = {"copy": _copy_step, "status": _status_step}
"""How each step kind (job.steps.STEP_KINDS) is shown."""


def _flow(flow: Flow) -> Iterator[str]:
    yield f"### `{flow.name}`"
    yield flow.description
    for step in flow.steps:
        yield from STEP_RENDERERS[step.kind](step)


def _flows() -> str:
    kinds = sorted({(step.kind, type(step)) for flow in FLOWS for step in flow.steps}, key=lambda kind: kind[0])
    out = [
        "## Flows",
        "The flows run in this order, each step of a flow in order (`job/flows.py`). The step kinds:",
        "\n".join(f"- **{kind}**: {first_paragraph(model.__doc__)}" for kind, model in kinds),
        table(
            ["flow", "steps"],
            ([code(flow.name), ", ".join(code(step.name) for step in flow.steps)] for flow in FLOWS),
        ),
    ]
    for flow in FLOWS:
        out += list(_flow(flow))
    return "\n\n".join(out)


# --- exit statuses and events -----------------------------------------------------------------------------------


def _exit_statuses() -> str:
    rows = [[str(int(code_)), code(code_.name), *EXIT_STATUSES[code_]] for code_ in sorted(ExitCode)]
    return "\n\n".join(
        [
            "## Exit statuses",
            "Every command exits with one of these (`job/errors.py`, `ExitCode`). A second SIGTERM or SIGINT "
            "ends the process at once, with 128 + the signal's number.",
            table(["status", "name", "meaning", "what to do"], rows),
        ]
    )


def event_text(event: Event, documented: dict[str, str]) -> str:
    return documented[event.name]


def _events() -> str:
    source = inspect.getsource(events)
    documented = attribute_docs(source, "Event")
    module = attribute_docs(source)
    groups = [name for name in module if isinstance(getattr(events, name, None), tuple)]
    counts = [[code(name), ", ".join(map(code, getattr(events, name))), module[name]] for name in groups]
    return "\n\n".join(
        [
            "## Log events",
            "Every log line carries `time`, `level`, `message` and `event`, then the event's fields. With "
            "`JOB_LOG_FORMAT=json` each line is one JSON object; the CloudWatch metric filters read these names.",
            table(["event", "when"], ([code(e.value), event_text(e, documented)] for e in Event)),
            "The names of the counts (`job/events.py`):",
            table(["group", "fields", "meaning"], counts),
        ]
    )


def _helper_commands() -> str:
    from helper_api import cli  # only the docs need the helper's parser

    parser = cli.build_parser()
    helps = command_helps(parser)
    rows = [
        [code(" ".join([name, *(usage_part(a) for a in sub._actions if a.dest != "help")])), helps[name]]
        for name, sub in _subparsers(parser).items()
    ]
    paragraphs = inspect.cleandoc(cli.__doc__ or "").split("\n\n")
    statuses = next(text for text in paragraphs if text.startswith("Exit status"))
    return "\n\n".join(
        [
            "## The helper's commands",
            f"`.venv/bin/python -m helper_api COMMAND`: {parser.description} The API itself is served by gunicorn "
            "(`make helper`): [helper-api.md](helper-api.md).",
            table(["command", "what it does"], rows),
            " ".join(statuses.split()),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m job.reference [PATH]`: write the page to PATH (default: print it)."""
    args = list(sys.argv[1:] if argv is None else argv)
    text = render()
    if not args:
        sys.stdout.write(text)
        return 0
    path = Path(args[0])
    changed = not path.is_file() or path.read_text(encoding="utf-8") != text
    path.write_text(text, encoding="utf-8")
    print(f"{path}: {'rewritten' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
