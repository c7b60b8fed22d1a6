"""The helper's settings: typed classes read from the environment and `.env`, never at import time.

Three classes share the ``HELPER_`` prefix: ``ServerSettings`` is all gunicorn's config needs,
``StoreSettings`` all the CLI commands need, ``Settings`` (both plus the API's own) what the app needs.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import Field, HttpUrl, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, DotEnvSettingsSource, SettingsConfigDict

from helper_api.errors import ConfigurationError
from job.uris import userinfo_problem

ENV_PREFIX = "HELPER_"
# The job's settings share the prefix and often the same .env file: they are known, not typos.
JOB_OWNED_NAMES = frozenset({"HELPER_API_URL", "HELPER_API_TOKEN"})
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# RFC 6750 b64token: what a client can put after "Bearer " unchanged.
BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
BIND = re.compile(r"[^\s:]+:\d{1,5}|\[[0-9a-fA-F:]+\]:\d{1,5}")
MAX_DEFAULT_WORKERS = 8


class _HelperSettings(BaseSettings):
    # extra="ignore": the same .env usually holds the job's settings too. Unknown HELPER_* names are
    # still errors, found by _unknown_names() below.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        use_attribute_docstrings=True,
    )


class ServerSettings(_HelperSettings):
    """How gunicorn serves the app (read by helper_api/gunicorn.conf.py)."""

    bind: str = "127.0.0.1:5000"
    """HOST:PORT gunicorn listens on; 0.0.0.0:5000 in a container."""
    workers: int | None = Field(None, ge=1, le=64)
    """Worker processes; unset means 2 x CPUs + 1, at most 8."""
    worker_connections: int = Field(200, ge=10, le=5000)
    """Connections one worker serves at once (one greenlet each); more wait in the listen backlog."""
    header_timeout_s: int = Field(5, ge=1, le=60)
    """A request line and its headers must arrive within this; an idle kept-alive connection closes after it."""
    body_timeout_s: float = Field(10.0, gt=0, le=120)
    """A request body must arrive within this once its headers have; else 408."""
    timeout_s: int = Field(30, ge=5, le=600)
    """A worker silent for this long is killed and replaced."""
    graceful_timeout_s: int = Field(20, ge=1, le=600)
    """On SIGTERM, how long requests in flight may take to finish."""

    @field_validator("bind")
    @classmethod
    def _is_host_port(cls, value: str) -> str:
        if not BIND.fullmatch(value):
            raise ValueError("must look like HOST:PORT, e.g. 127.0.0.1:5000 or 0.0.0.0:5000")
        return value

    def worker_count(self) -> int:
        """The configured worker count, else 2 x usable CPUs + 1, capped."""
        if self.workers is not None:
            return self.workers
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return min(2 * cpus + 1, MAX_DEFAULT_WORKERS)


class StoreSettings(_HelperSettings):
    """Where the credentials live and how passwords are hashed (the CLI commands need only these)."""

    database_url: SecretStr
    """The store as a libpq URI (postgresql://user:password@host:5432/db?sslmode=require)."""
    db_schema: str = "helper"
    """Schema holding the helper's tables; created and migrated by the helper itself."""
    bcrypt_rounds: int = Field(12, ge=4, le=16)
    """bcrypt cost factor for passwords imported as plaintext (each +1 doubles the time)."""
    connect_timeout_s: int = Field(5, ge=1, le=60)
    """Timeout of one database connection attempt."""
    statement_timeout_s: float = Field(5.0, gt=0, le=300)
    """Longest one lookup query may run before the request fails with 503."""

    @field_validator("database_url")
    @classmethod
    def _is_postgres_uri(cls, value: SecretStr) -> SecretStr:
        problem = userinfo_problem(value.get_secret_value())
        if problem:
            raise ValueError(f"{problem} (the value is not shown: it is a secret)")
        return value

    @field_validator("db_schema")
    @classmethod
    def _is_identifier(cls, value: str) -> str:
        if not IDENTIFIER.fullmatch(value):
            raise ValueError("must be a lower-case SQL identifier (letters, digits, _), at most 63 characters")
        return value


class Settings(StoreSettings, ServerSettings):
    """Everything the API can be told. Secrets are SecretStr: they print as '**********'."""

    api_tokens: SecretStr
    """Bearer tokens the API accepts, comma-separated: list the new one next to the old to rotate."""
    rate_limit_per_minute: int = Field(1200, ge=0, le=1_000_000)
    """Requests per minute per token, per gunicorn worker (bursts up to the same number); 0 turns it off."""
    auth_failures_per_minute: int = Field(20, ge=0, le=1_000_000)
    """Failed authentications per client address per minute, per worker, before its lookups get 429; 0: no limit."""
    db_pool_size: int = Field(4, ge=1, le=64)
    """Database connections per worker; a request waits up to 5 s for a free one, then gets 503."""
    avatar_base_url: HttpUrl = HttpUrl("https://www.gravatar.com/avatar/")
    """Default-avatar service: <this>/<sha256 of the email>?d=identicon when no photo is stored."""
    auto_migrate: bool = True
    """Create or migrate the schema when the app starts (under an advisory lock)."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Lowest level written to the JSON log on stdout."""

    @field_validator("api_tokens")
    @classmethod
    def _are_bearer_tokens(cls, value: SecretStr) -> SecretStr:
        tokens = [token.strip() for token in value.get_secret_value().split(",")]
        if not any(tokens):
            raise ValueError("must list at least one token (comma-separated)")
        if not all(BEARER_TOKEN.fullmatch(token) for token in tokens if token):
            raise ValueError(
                "each token may only hold letters, digits and -._~+/ (then optional '='); "
                "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value

    def tokens(self) -> tuple[bytes, ...]:
        """The accepted tokens as bytes, ready for a constant-time comparison."""
        parts = (token.strip() for token in self.api_tokens.get_secret_value().split(","))
        return tuple(token.encode("ascii") for token in parts if token)


SettingsT = TypeVar("SettingsT", bound=_HelperSettings)


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def known_names() -> frozenset[str]:
    return frozenset(env_name(field) for field in Settings.model_fields) | JOB_OWNED_NAMES


def _unknown_names(env_file: Path | None) -> list[str]:
    """HELPER_* names nobody reads: almost always a typo, so they are errors, not silence."""
    seen = {name.upper() for name in os.environ if name.upper().startswith(ENV_PREFIX)}
    if env_file is not None and env_file.is_file():
        dotenv = DotEnvSettingsSource(Settings, env_file=env_file)
        seen |= {name.upper() for name in dotenv.env_vars if name.upper().startswith(ENV_PREFIX)}
    return sorted(seen - known_names())


def _unknown_problem(name: str) -> str:
    """An unknown HELPER_* name, with the known name it most resembles (the job's own two count as known)."""
    close = difflib.get_close_matches(name, sorted(known_names()), n=1, cutoff=0.75)
    if close:
        return f"{name}: not a helper setting (did you mean {close[0]}?)"
    known = ", ".join(sorted(known_names() - JOB_OWNED_NAMES))
    return f"{name}: not a helper setting (known: {known}; the job's {', '.join(sorted(JOB_OWNED_NAMES))} too)"


def _problem(error_type: str, loc: tuple[int | str, ...], message: str) -> str:
    name = env_name(str(loc[0])) if loc else "settings"
    if error_type == "missing":
        return f"{name} is required: set it in the environment or in .env"
    return f"{name}: {message.removeprefix('Value error, ')}"


def load_settings(cls: type[SettingsT], env_file: Path | None = Path(".env")) -> SettingsT:
    """Read one settings class, or raise ConfigurationError naming every problem at once (never a value)."""
    problems = [_unknown_problem(name) for name in _unknown_names(env_file)]
    try:
        settings = cls(_env_file=env_file)
    except ValidationError as exc:
        problems += [
            _problem(error["type"], error["loc"], error["msg"])
            for error in exc.errors(include_input=False, include_url=False)
        ]
        raise ConfigurationError(problems) from None
    if problems:
        raise ConfigurationError(problems)
    return settings
