"""The helper's commands: ``python -m helper_api migrate | import-credentials FILE.csv``.

The API itself is not one of them: gunicorn serves it (``make helper``; see ``START_HINT``).

Exit status: 0 done; 3 import finished but some rows were skipped; 2 configuration error or unusable
file; 1 the database failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from helper_api.errors import HelperError
from helper_api.importer import import_credentials
from helper_api.migrations import migrate
from helper_api.settings import StoreSettings, load_settings
from job.uris import scrub

START_HINT = (
    "The API itself runs under gunicorn: `make helper`, or "
    "`.venv/bin/gunicorn -c helper_api/gunicorn.conf.py helper_api.wsgi:app` (docs/helper-api.md)."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helper_api",
        description="Commands of the helper API. Settings come from the environment and .env.",
        epilog=START_HINT,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    helps = {
        "migrate": "create or update the helper's schema (also done at app start)",
        "import-credentials": "load email,password[,photo_url] rows; bad rows are reported and skipped",
    }
    examples = {
        "migrate": ("migrate",),
        "import-credentials": ("import-credentials credentials.csv", "import-credentials /secure/export-2026-12.csv"),
    }
    subs = {}
    for name, text in helps.items():
        lines = "\n".join(f"  .venv/bin/python -m helper_api {example}" for example in examples[name])
        subs[name] = commands.add_parser(
            name,
            help=text,
            description=text,
            epilog=f"examples:\n{lines}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    subs["import-credentials"].add_argument("file", type=Path, metavar="FILE.csv")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(StoreSettings)
        if args.command == "migrate":
            return _migrate(settings)
        return _import(settings, args.file)
    except HelperError as exc:
        print(f"helper_api: {scrub(str(exc))}", file=sys.stderr)
        return exc.exit_code


def _migrate(settings: StoreSettings) -> int:
    applied = migrate(settings)
    if applied:
        names = ", ".join(f"{m.version} ({m.description})" for m in applied)
        print(f"schema {settings.db_schema}: applied migration(s) {names}")
    else:
        print(f"schema {settings.db_schema}: already up to date")
    return 0


def _import(settings: StoreSettings, path: Path) -> int:
    migrate(settings)
    report = import_credentials(settings, path)
    for bad in report.bad_rows:
        print(f"{path}, line {bad.line}: skipped: {bad.reason}", file=sys.stderr)
    print(f"{path}: {report.summary()}")
    return report.exit_code
