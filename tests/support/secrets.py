"""One secret watch for the whole suite: no test may let a secret reach a log, an output or the state tables.

Secrets are registered (the helper tokens always; database passwords, hashes and plaintext passwords by the
tests and fixtures that use them) in their raw and percent-encoded forms and by their longer fragments, since
a mis-split password leaks as a piece (a host, a port). After each test's call, `tests/conftest.py` scans what
pytest captured (stdout, stderr, log), every output a test handed to `observe` (a subprocess's), and the
job's state tables in the test's databases. A hit fails the test, naming the secret's label, never its value.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

import psycopg2

ROOT = Path(__file__).resolve().parents[2]
MIN_FRAGMENT = 5
SPECIALS = re.compile(r"[@/:%?#\s]+")


@dataclass
class SecretWatch:
    """The secrets of one test, and the texts and databases to look for them in."""

    secrets: dict[str, str] = field(default_factory=dict)
    """Form of a secret → its label."""
    texts: list[tuple[str, str]] = field(default_factory=list)
    """(where, text) pairs to scan."""
    state_dsns: list[str] = field(default_factory=list)

    def secret(self, value: str, label: str) -> None:
        """Watch a secret: raw, percent-encoded both ways, and its fragments between URI delimiters."""
        forms = {value, quote(value, safe=""), quote_plus(value, safe="")}
        forms |= {piece for piece in SPECIALS.split(value) if len(piece) >= MIN_FRAGMENT}
        for form in forms:
            if form:
                self.secrets.setdefault(form, label)

    def observe(self, where: str, text: str) -> None:
        self.texts.append((where, text))

    def watch_state(self, dsn: str) -> None:
        self.state_dsns.append(dsn)

    def leaks(self, captured: list[tuple[str, str]]) -> list[str]:
        """'<label> in <where>' for each secret found (the value itself is never repeated)."""
        found = []
        for where, text in [*captured, *self.texts, *self._state_texts()]:
            for form, label in self.secrets.items():
                if form in text:
                    found.append(f"{label} in {where}")
        return sorted(set(found))

    def _state_texts(self) -> list[tuple[str, str]]:
        texts = []
        for dsn in self.state_dsns:
            try:
                conn = psycopg2.connect(dsn, connect_timeout=5)
            except psycopg2.Error:
                continue
            try:
                with conn.cursor() as cur:
                    cur.execute(
                        "SELECT table_schema, table_name FROM information_schema.tables "
                        "WHERE table_schema LIKE 'hestia_sync%%'"
                    )
                    for schema, table in cur.fetchall():
                        cur.execute(f'SELECT t::text FROM "{schema}"."{table}" t')
                        texts.append((f"state table {schema}.{table}", "\n".join(row for (row,) in cur.fetchall())))
            except psycopg2.Error:
                pass
            finally:
                conn.close()
        return texts


def demo_plaintext_passwords() -> list[str]:
    """The plaintext passwords of the sample credentials file: the helper stores only their hashes."""
    with (ROOT / "sample" / "credentials.csv").open(newline="") as handle:
        return [row["password"] for row in csv.DictReader(handle) if row.get("password")]


CURRENT = SecretWatch()


def current() -> SecretWatch:
    """The watch of the test now running."""
    return CURRENT


def reset() -> SecretWatch:
    global CURRENT
    CURRENT = SecretWatch()
    return CURRENT
