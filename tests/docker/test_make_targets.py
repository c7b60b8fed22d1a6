"""mk/docker.mk without a Docker daemon: one clear line, and the label values the images get."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.docker.support import REPO, make_env, project_version, run_make

LOCAL_TARGETS = ["run-local", "run-local-watch", "down", "images", "local-logs"]
NO_DAEMON = "unix:///nonexistent/hestia-test/docker.sock"


def own_lines(stderr: str) -> list[str]:
    """stderr without make's own `make: *** [...] Error` trailer."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("make")]


@pytest.mark.parametrize("target", LOCAL_TARGETS)
def test_without_a_daemon_the_target_fails_with_one_clear_line(target: str) -> None:
    result = run_make(target, DOCKER_HOST=NO_DAEMON)
    assert result.returncode != 0
    lines = own_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    if shutil.which("docker"):
        assert lines[0].startswith(f"{target}: no Docker daemon answers"), lines[0]
    else:
        assert lines[0].startswith(f"{target}: 'docker' is not installed"), lines[0]
    assert result.stdout.strip() == ""


def test_without_docker_installed_the_target_says_so() -> None:
    result = run_make("run-local", "DOCKER=hestia-no-such-docker")
    assert result.returncode != 0
    assert own_lines(result.stderr) == [
        "run-local: 'hestia-no-such-docker' is not installed: install Docker with the compose plugin to use this target"
    ]


@pytest.mark.parametrize("interval", ["abc", "0", "", "1.5"])
def test_watch_refuses_an_interval_that_is_not_whole_seconds(interval: str) -> None:
    result = run_make("run-local-watch", f"WATCH_INTERVAL={interval}", DOCKER_HOST=NO_DAEMON)
    assert result.returncode != 0
    assert own_lines(result.stderr) == [
        f"run-local-watch: WATCH_INTERVAL must be a whole number of seconds above 0, got '{interval}'"
    ]


def test_help_lists_the_local_stack_targets() -> None:
    result = run_make("help")
    assert result.returncode == 0
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    listed = {name.removeprefix("\x1b[36m") for name in listed}
    assert {"run-local", "run-local-watch", "down", "docker-lint", "images", "image-labels"} <= listed


def labels_in(repo: Path) -> dict[str, str]:
    result = subprocess.run(
        ["make", "--no-print-directory", "-s", "-C", str(repo), "-f", str(REPO / "mk" / "docker.mk"), "image-labels"],
        capture_output=True,
        text=True,
        timeout=60,
        env=make_env(),
        check=True,
    )
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, timeout=60)


@pytest.mark.parametrize(
    ("remote", "source"),
    [
        ("https://ci-bot:ghp_secretvalue@github.com/acme/hestia-sync.git", "https://github.com/acme/hestia-sync"),
        ("git@github.com:acme/hestia-sync.git", "https://github.com/acme/hestia-sync"),
        ("https://github.com/acme/hestia-sync", "https://github.com/acme/hestia-sync"),
    ],
)
def test_image_source_label_is_the_remote_url_without_credentials(tmp_path: Path, remote: str, source: str) -> None:
    git(tmp_path, "init", "--quiet")
    git(tmp_path, "remote", "add", "origin", remote)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1.2.3"\n')
    labels = labels_in(tmp_path)
    assert labels["source"] == source
    assert labels["version"] == "1.2.3"
    assert labels["revision"] == "unknown"  # no commit yet


def test_image_labels_of_this_repository_name_its_commit() -> None:
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    labels = labels_in(REPO)
    assert labels["revision"] == head
    assert labels["version"] == project_version()


def test_image_version_label_is_the_project_version_not_another_tables(tmp_path: Path) -> None:
    git(tmp_path, "init", "--quiet")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.other]\nversion = "9.9"\n\n[project]\nname = "x"\nversion = "1.2.3"\n\n[tool.more]\nversion = "7"\n'
    )
    assert labels_in(tmp_path)["version"] == "1.2.3"
