"""``import-credentials``: load email,password[,photo_url] rows from CSV into the store.

The whole file is read and checked first (an unreadable file loads nothing), then written in batches,
one INSERT ... ON CONFLICT statement each. Importing the same file again changes nothing: a stored
hash that already verifies the given plaintext is kept (bcrypt salts differ on every hash), and rows
equal to what is stored are not written at all.
"""

from __future__ import annotations

import _csv
import csv
import io
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

from helper_api.db import Connection, connect
from helper_api.emails import normalise_email
from helper_api.errors import StoreUnavailable, UnusableFileError
from helper_api.passwords import hash_password, is_hash, looks_like_hash, plaintext_problem, verifies
from helper_api.settings import StoreSettings
from helper_api.store import Credential, find, upsert

REQUIRED_COLUMNS = ("email", "password")
OPTIONAL_COLUMNS = ("photo_url",)
BATCH_SIZE = 500
MAX_PHOTO_URL_LENGTH = 2048
EXIT_SOME_SKIPPED = 3


@dataclass(frozen=True)
class CsvRow:
    line: int
    email: str
    password: str
    photo_url: str | None

    def __repr__(self) -> str:  # the password never prints
        return f"CsvRow(line={self.line}, email=<masked>, password=<hidden>)"


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass
class ImportReport:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_SOME_SKIPPED if self.bad_rows else 0

    def summary(self) -> str:
        return (
            f"{self.read} rows read: {self.inserted} inserted, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.bad_rows)} skipped"
        )


def import_credentials(settings: StoreSettings, path: Path) -> ImportReport:
    """Read, check and load the file; bad rows are reported in the result, not raised."""
    rows, bad_rows = read_credentials(path)
    report = ImportReport(read=len(rows) + len(bad_rows), bad_rows=bad_rows)
    conn = connect(settings)
    conn.autocommit = True  # each batch is one statement, atomic on its own
    try:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as hashers:
            for start in range(0, len(rows), BATCH_SIZE):
                _load_batch(conn, settings, rows[start : start + BATCH_SIZE], hashers, report)
    except psycopg2.Error as exc:
        raise StoreUnavailable(
            f"writing credentials failed ({type(exc).__name__}, SQLSTATE {exc.pgcode}); rows written before "
            "stay written and a re-run is safe"
        ) from None
    finally:
        conn.close()
    return report


def _load_batch(
    conn: Connection,
    settings: StoreSettings,
    batch: Sequence[CsvRow],
    hashers: ThreadPoolExecutor,
    report: ImportReport,
) -> None:
    existing = find(conn, settings.db_schema, [row.email for row in batch])
    rounds = settings.bcrypt_rounds
    wanted = list(hashers.map(lambda row: _resolve(row, existing.get(row.email), rounds), batch))
    changed = [credential for credential in wanted if existing.get(credential.email) != credential]
    counts = upsert(conn, settings.db_schema, changed)
    report.inserted += counts.inserted
    report.updated += counts.updated
    report.unchanged += len(batch) - counts.inserted - counts.updated


def _resolve(row: CsvRow, stored: Credential | None, rounds: int) -> Credential:
    """The credential to store: a given hash as-is, the stored hash if it matches, else a new hash."""
    if is_hash(row.password):
        password_hash = row.password
    elif stored is not None and verifies(row.password, stored.password_hash):
        password_hash = stored.password_hash
    else:
        password_hash = hash_password(row.password, rounds)
    return Credential(row.email, password_hash, row.photo_url)


def read_credentials(path: Path) -> tuple[list[CsvRow], list[BadRow]]:
    """Every good row and every bad one (with its line number), or UnusableFileError for the file."""
    reader = csv.reader(io.StringIO(_read_text(path), newline=""), strict=True)
    try:
        columns = _columns(next(reader, None))
        return _rows(reader, columns)
    except csv.Error as exc:
        raise UnusableFileError(f"{path}, line {reader.line_num}: not valid CSV ({exc})") from None


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnusableFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UnusableFileError(f"{path}, line {line}: not UTF-8 text; save the file as UTF-8") from None


def _columns(header: list[str] | None) -> list[str]:
    expected = "email,password[,photo_url]"
    if header is None:
        raise UnusableFileError(f"the file is empty; its first line must be the header {expected}")
    columns = [name.strip().lower() for name in header]
    unknown = [name for name in columns if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if unknown or missing or len(set(columns)) != len(columns):
        raise UnusableFileError(f"line 1: the header is {','.join(columns)!r}; it must be {expected}")
    return columns


def _rows(reader: _csv.Reader, columns: list[str]) -> tuple[list[CsvRow], list[BadRow]]:
    good: list[CsvRow] = []
    bad: list[BadRow] = []
    first_line_of: dict[str, int] = {}
    line = reader.line_num + 1  # a row is numbered by the line it starts on
    for values in reader:
        row = _parse(line, values, columns, first_line_of)
        if isinstance(row, CsvRow):
            first_line_of[row.email] = row.line
            good.append(row)
        elif row is not None:
            bad.append(row)
        line = reader.line_num + 1
    return good, bad


def _parse(line: int, values: list[str], columns: list[str], first_line_of: dict[str, int]) -> CsvRow | BadRow | None:
    if not any(value.strip() for value in values):
        return None  # blank line
    if len(values) != len(columns):
        return BadRow(line, f"expected {len(columns)} fields ({','.join(columns)}), found {len(values)}")
    record = dict(zip(columns, values, strict=True))
    email = normalise_email(record["email"])
    if email is None:
        return BadRow(line, "invalid email address")
    if email in first_line_of:
        return BadRow(line, f"the same email is already on line {first_line_of[email]}")
    password = record["password"]
    photo_url = record.get("photo_url", "").strip() or None
    problem = _password_problem(password) or (_photo_problem(photo_url) if photo_url else None)
    if problem:
        return BadRow(line, problem)
    return CsvRow(line, email, password, photo_url)


def _password_problem(password: str) -> str | None:
    if looks_like_hash(password):
        return None if is_hash(password) else "password starts like a bcrypt hash but is not a complete one"
    return plaintext_problem(password)


def _photo_problem(url: str) -> str | None:
    if len(url) > MAX_PHOTO_URL_LENGTH:
        return f"photo_url longer than {MAX_PHOTO_URL_LENGTH} characters"
    if not url.startswith(("http://", "https://")) or len(url.split("://", 1)[1]) == 0:
        return "photo_url must start with http:// or https://"
    if any(char.isspace() or not char.isprintable() for char in url):
        return "photo_url contains spaces or control characters"
    return None
