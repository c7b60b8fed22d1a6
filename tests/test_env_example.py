""".env.example lists every setting, and both the job and the helper accept it as a .env file."""

from pathlib import Path

import pytest
from pydantic import AliasChoices

from helper_api.settings import Settings as HelperSettings
from helper_api.settings import load_settings as load_helper_settings
from job.settings import JobSettings, load_settings

EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"


def _names() -> set[str]:
    lines = EXAMPLE.read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}


def test_every_job_setting_is_listed_with_a_comment() -> None:
    for field in JobSettings.model_fields.values():
        assert isinstance(field.validation_alias, AliasChoices)
        name = str(field.validation_alias.choices[0])
        assert name in _names(), f"{name} is missing from .env.example"


def test_the_job_and_the_helper_both_accept_the_example_as_their_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(EXAMPLE.read_text())
    monkeypatch.chdir(tmp_path)

    assert load_settings(Path(".env")).batch_size == 5000
    assert load_helper_settings(HelperSettings).db_schema == "helper"
