"""Settings: read from the environment and .env, every problem named at once, no value ever shown."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helper_api.errors import ConfigurationError
from helper_api.settings import ServerSettings, Settings, StoreSettings, load_settings

URL = "postgresql://helper:db-pass-123@db.example.com:5432/helper"


def load(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], env_file: Path | None = None) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings(Settings, env_file=env_file)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(
        monkeypatch,
        {"HELPER_DATABASE_URL": URL, "HELPER_API_TOKENS": "a-token, b-token,", "HELPER_RATE_LIMIT_PER_MINUTE": "60"},
    )
    assert settings.tokens() == (b"a-token", b"b-token")
    assert settings.rate_limit_per_minute == 60
    assert settings.bind == "127.0.0.1:5000"
    assert settings.db_schema == "helper"
    assert settings.bcrypt_rounds == 12
    assert (settings.header_timeout_s, settings.body_timeout_s) == (5, 10.0)
    assert (settings.auth_failures_per_minute, settings.db_pool_size, settings.worker_connections) == (20, 4, 200)


def test_settings_come_from_a_dot_env_file_shared_with_the_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"HELPER_DATABASE_URL={URL}\nHELPER_API_TOKENS=t1\nHELPER_BIND=0.0.0.0:5000\n"
        "URI_BANCO_1=postgresql://x@y/z\nHELPER_API_URL=http://127.0.0.1:5000\nHELPER_API_TOKEN=t1\n"
    )
    settings = load(monkeypatch, {}, env_file)
    assert settings.bind == "0.0.0.0:5000"
    assert settings.database_url.get_secret_value() == URL


def test_missing_settings_are_named_together_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load(monkeypatch, {})
    assert str(caught.value) == (
        "configuration error: HELPER_DATABASE_URL is required: set it in the environment or in .env; "
        "HELPER_API_TOKENS is required: set it in the environment or in .env"
    )
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HELPER_DATABASE_URL", "mysql://u:db-pass-123@h/d", "HELPER_DATABASE_URL: must be a URI starting with"),
        ("HELPER_DATABASE_URL", "postgresql://u:db-pass-123@x@h/d", "HELPER_DATABASE_URL: its user-info cannot"),
        ("HELPER_API_TOKENS", " , ", "HELPER_API_TOKENS: must list at least one token"),
        ("HELPER_API_TOKENS", "good,bad token", "HELPER_API_TOKENS: each token may only hold"),
        ("HELPER_RATE_LIMIT_PER_MINUTE", "-1", "HELPER_RATE_LIMIT_PER_MINUTE: Input should be greater"),
        ("HELPER_RATE_LIMIT_PER_MINUTE", "lots", "HELPER_RATE_LIMIT_PER_MINUTE: Input should be a valid integer"),
        ("HELPER_BIND", "5000", "HELPER_BIND: must look like HOST:PORT"),
        ("HELPER_DB_SCHEMA", "Helper; DROP", "HELPER_DB_SCHEMA: must be a lower-case SQL identifier"),
        ("HELPER_BCRYPT_ROUNDS", "3", "HELPER_BCRYPT_ROUNDS: Input should be greater than or equal to 4"),
        ("HELPER_AVATAR_BASE_URL", "not a url", "HELPER_AVATAR_BASE_URL: Input should be a valid URL"),
        ("HELPER_LOG_LEVEL", "LOUD", "HELPER_LOG_LEVEL: Input should be"),
        ("HELPER_HEADER_TIMEOUT_S", "0", "HELPER_HEADER_TIMEOUT_S: Input should be greater than or equal to 1"),
        ("HELPER_BODY_TIMEOUT_S", "0", "HELPER_BODY_TIMEOUT_S: Input should be greater than 0"),
        ("HELPER_WORKER_CONNECTIONS", "1", "HELPER_WORKER_CONNECTIONS: Input should be greater than or equal to 10"),
        ("HELPER_DB_POOL_SIZE", "0", "HELPER_DB_POOL_SIZE: Input should be greater than or equal to 1"),
        ("HELPER_AUTH_FAILURES_PER_MINUTE", "-1", "HELPER_AUTH_FAILURES_PER_MINUTE: Input should be greater"),
        # Gone with the gthread worker: a leftover is named, not silently ignored.
        ("HELPER_THREADS", "4", "HELPER_THREADS: not a helper setting"),
        ("HELPER_RATE_LIMT", "5", "HELPER_RATE_LIMT: not a helper setting (known: HELPER_API_TOKENS"),
        ("HELPER_BINDD", "127.0.0.1:1", "HELPER_BINDD: not a helper setting (did you mean HELPER_BIND?)"),
        ("HELPER_API_TOKNES", "x", "HELPER_API_TOKNES: not a helper setting (did you mean HELPER_API_TOKENS?)"),
    ],
)
def test_a_wrong_setting_is_named_with_what_to_do_never_with_its_value(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    env = {"HELPER_DATABASE_URL": URL, "HELPER_API_TOKENS": "secret-token-1", name: value}
    with pytest.raises(ConfigurationError) as caught:
        load(monkeypatch, env)
    assert message in str(caught.value)
    assert "db-pass-123" not in str(caught.value)
    assert "secret-token-1" not in str(caught.value)


def test_secrets_print_masked() -> None:
    settings = Settings(database_url=URL, api_tokens="secret-token-1", _env_file=None)
    for text in (repr(settings), str(settings), str(settings.model_dump())):
        assert "db-pass-123" not in text
        assert "secret-token-1" not in text


def test_the_cli_and_gunicorn_need_only_their_own_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPER_DATABASE_URL", URL)
    assert load_settings(StoreSettings, env_file=None).db_schema == "helper"
    monkeypatch.delenv("HELPER_DATABASE_URL")
    monkeypatch.setenv("HELPER_WORKER_CONNECTIONS", "500")
    assert load_settings(ServerSettings, env_file=None).worker_connections == 500


def test_workers_default_to_twice_the_cpus_plus_one_capped_at_8() -> None:
    count = load_settings(ServerSettings, env_file=None).worker_count()
    assert count == min(2 * len(os.sched_getaffinity(0)) + 1, 8)


def test_the_worker_count_can_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPER_WORKERS", "3")
    assert load_settings(ServerSettings, env_file=None).worker_count() == 3
