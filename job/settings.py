"""The job's settings: one typed class read from the environment and `.env`, nothing at import time."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, HttpUrl, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, DotEnvSettingsSource, SettingsConfigDict

from job.errors import ConfigurationError
from job.uris import userinfo_problem

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
JOB_PREFIX = "JOB_"
# Names with these prefixes are the job's: one it does not read is almost always a typo (HELPER_API_ULR).
WATCHED_PREFIXES = (JOB_PREFIX, "HELPER_API_", "URI_BANCO")
# The helper's own settings that share a watched prefix (a .env often serves both).
HELPER_OWNED_NAMES = frozenset({"HELPER_API_TOKENS"})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# RFC 6750 b64token: what can follow "Bearer " in a header unchanged.
BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class JobSettings(BaseSettings):
    """Everything the job can be told. Secrets are SecretStr: they print as '**********'."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        use_attribute_docstrings=True,
    )

    uri_banco_1: SecretStr = Field(validation_alias=_env("URI_BANCO_1"))
    """DB1 (first-year schema) as a libpq URI; add ?sslmode=verify-full&sslrootcert=... for Aiven."""
    uri_banco_2: SecretStr = Field(validation_alias=_env("URI_BANCO_2"))
    """DB2 (second-year schema) as a libpq URI."""
    helper_api_url: HttpUrl = Field(HttpUrl("http://127.0.0.1:5000"), validation_alias=_env("HELPER_API_URL"))
    """Base URL of the helper API that supplies password hashes and photo URLs."""
    helper_api_token: SecretStr | None = Field(None, validation_alias=_env("HELPER_API_TOKEN"))
    """Bearer token for the helper API; required by run, plan and check."""
    state_db: Literal["db1", "db2"] = Field("db2", validation_alias=_env("JOB_STATE_DB"))
    """Which database holds the job's own state (runs, rejections, payment baseline, lock)."""
    state_schema: str = Field("hestia_sync", validation_alias=_env("JOB_STATE_SCHEMA"))
    """Schema for the job's state; created and migrated by the job."""
    batch_size: int = Field(5000, ge=1, le=50_000, validation_alias=_env("JOB_BATCH_SIZE"))
    """Rows per batch: read with one FETCH, compared, and written with one COPY and one INSERT or UPDATE."""
    helper_batch_size: int = Field(200, ge=1, le=500, validation_alias=_env("JOB_HELPER_BATCH_SIZE"))
    """Emails per helper request (the helper accepts at most 500)."""
    helper_concurrency: int = Field(4, ge=1, le=16, validation_alias=_env("JOB_HELPER_CONCURRENCY"))
    """Helper requests in flight at once."""
    helper_timeout_s: float = Field(10.0, gt=0, le=120, validation_alias=_env("JOB_HELPER_TIMEOUT_S"))
    """Timeout of one helper request (connect, read, write, pool)."""
    helper_retries: int = Field(3, ge=0, le=10, validation_alias=_env("JOB_HELPER_RETRIES"))
    """Retries of a helper request after a transient failure, with exponential backoff."""
    helper_backoff_s: float = Field(0.5, ge=0, le=30, validation_alias=_env("JOB_HELPER_BACKOFF_S"))
    """First backoff delay; doubles on every retry (with jitter)."""
    full_every_hours: float = Field(24.0, ge=0, le=24 * 366, validation_alias=_env("JOB_FULL_EVERY_HOURS"))
    """A step compares every row (not only the changed ones) when its last full comparison is older than this;
    0 never does on its own (`run --full` still does)."""
    connect_timeout_s: int = Field(10, ge=1, le=120, validation_alias=_env("JOB_CONNECT_TIMEOUT_S"))
    """Timeout of a database connection attempt."""
    statement_timeout_s: int = Field(300, ge=1, le=3600, validation_alias=_env("JOB_STATEMENT_TIMEOUT_S"))
    """Longest a single SQL statement may run before the flow fails."""
    tcp_keepalive_idle_s: int = Field(60, ge=1, le=7200, validation_alias=_env("JOB_TCP_KEEPALIVE_IDLE_S"))
    """Seconds a database connection may stay silent before TCP probes whether the other end is still there."""
    tcp_keepalive_interval_s: int = Field(10, ge=1, le=600, validation_alias=_env("JOB_TCP_KEEPALIVE_INTERVAL_S"))
    """Seconds between two unanswered keepalive probes."""
    tcp_keepalive_count: int = Field(6, ge=1, le=100, validation_alias=_env("JOB_TCP_KEEPALIVE_COUNT"))
    """Unanswered probes after which the connection is dropped: on the server this frees the run's lock
    when the job's task vanished without closing its sockets (after idle + interval x count, 2 minutes)."""
    progress_interval_s: float = Field(5.0, ge=0, le=3600, validation_alias=_env("JOB_PROGRESS_INTERVAL_S"))
    """Seconds between two `step_progress` log lines of a long step (JSON logs); 0 logs one per batch."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", validation_alias=_env("JOB_LOG_LEVEL"))
    """DEBUG adds each step's start and scope; WARNING keeps only problems and the run's summary lines."""
    log_format: Literal["auto", "json", "text"] = Field("auto", validation_alias=_env("JOB_LOG_FORMAT"))
    """json for CloudWatch, text for people; auto picks text on a terminal."""

    @field_validator("uri_banco_1", "uri_banco_2")
    @classmethod
    def _is_postgres_uri(cls, value: SecretStr) -> SecretStr:
        problem = userinfo_problem(value.get_secret_value())
        if problem:
            raise ValueError(f"{problem} (the value is not shown: it is a secret)")
        return value

    @field_validator("helper_api_token")
    @classmethod
    def _is_bearer_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value() and not BEARER_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError(
                "must be a bearer token: ASCII letters, digits and -._~+/ (optionally ending in =), with no spaces "
                "or line breaks (the value is not shown: it is a secret)"
            )
        return value

    @field_validator("state_schema")
    @classmethod
    def _is_identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError("must be a lower-case SQL identifier (letters, digits, _), at most 63 characters")
        return value


def known_names() -> set[str]:
    """Every setting name the job reads."""
    names: set[str] = set()
    for field in JobSettings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice).upper() for choice in alias.choices)
    return names


def _unknown_names(env_file: Path | None) -> list[str]:
    """Names with the job's prefixes that nobody reads: almost always a typo, so they are errors, not silence."""
    seen = {name.upper() for name in os.environ}
    if env_file is not None and env_file.is_file():
        seen |= {name.upper() for name in DotEnvSettingsSource(JobSettings, env_file=env_file).env_vars}
    watched = {name for name in seen if name.startswith(WATCHED_PREFIXES)}
    return sorted(watched - known_names() - HELPER_OWNED_NAMES)


def _unknown_problem(name: str) -> str:
    known = sorted(known_names())
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(n for n in known if n.startswith(JOB_PREFIX))}"
    return f"{name}: unknown setting ({hint})"


def _setting_name(loc: tuple[int | str, ...]) -> str:
    field = JobSettings.model_fields.get(str(loc[0])) if loc else None
    alias = field.validation_alias if field else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return str(loc[0]).upper() if loc else "settings"


def load_settings(env_file: Path | None = Path(".env")) -> JobSettings:
    """Read the settings, or raise ConfigurationError listing every problem at once (never a value)."""
    problems = [_unknown_problem(name) for name in _unknown_names(env_file)]
    try:
        settings = JobSettings(_env_file=env_file)
    except ValidationError as exc:
        for error in exc.errors(include_input=False, include_url=False):
            name = _setting_name(error["loc"])
            message = (
                "is required: set it in the environment or in .env"
                if error["type"] == "missing"
                else (error["msg"].removeprefix("Value error, "))
            )
            problems.append(f"{name}: {message}")
        raise ConfigurationError(problems) from None
    if problems:
        raise ConfigurationError(problems)
    return settings


def require_helper_token(settings: JobSettings) -> SecretStr:
    """The helper token, for the commands that call the helper."""
    if settings.helper_api_token is None or not settings.helper_api_token.get_secret_value():
        raise ConfigurationError(["HELPER_API_TOKEN: is required by this command: set it in the environment or .env"])
    return settings.helper_api_token
