"""The helper's one exception root; each subclass says what happens next.

HelperError                 exit status 1 from the CLI (unexpected failure)
├── ConfigurationError      exit status 2: a setting is missing or wrong; nothing was started
├── UnusableFileError       exit status 2: the CSV cannot be read at all; nothing was loaded
├── StoreUnavailable        exit status 1: the database did not answer or refused the migration
└── ApiError                an HTTP request is answered with ``status_code`` and a JSON body
"""

from __future__ import annotations

from collections.abc import Sequence


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (driver messages run on with hints), or its class."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class HelperError(Exception):
    """Root of the helper's own errors; ``exit_code`` is what the CLI returns for it."""

    exit_code = 1


class ConfigurationError(HelperError):
    """Settings that cannot be used; carries every problem, each naming the setting (never its value)."""

    exit_code = 2

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("configuration error: " + "; ".join(self.problems))


class UnusableFileError(HelperError):
    """A credentials file that cannot be read as CSV with the expected header."""

    exit_code = 2


class StoreUnavailable(HelperError):
    """The credentials store could not be reached or migrated."""


class ApiError(HelperError):
    """An error answered as ``{"error": code, "message": message}`` with ``status_code``."""

    def __init__(self, status_code: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = headers or {}

    def to_dict(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}
