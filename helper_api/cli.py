"""The helper's commands: ``python -m helper_api migrate | import-credentials FILE.csv``.

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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helper_api",
        description="Commands of the helper API. Settings come from the environment and .env (see the README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("migrate", help="create or update the helper's schema (also done at app start)")
    load = commands.add_parser(
        "import-credentials", help="load email,password[,photo_url] rows; bad rows are reported and skipped"
    )
    load.add_argument("file", type=Path, metavar="FILE.csv")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
