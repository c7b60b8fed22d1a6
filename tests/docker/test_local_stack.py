"""End to end through Docker: build both images, `make run-local`, and watch a row go from DB2 to DB1.

Needs a Docker daemon and the compose plugin (GitHub Actions runners have both); skipped with the
reason where either is missing. The stack runs under its own compose project name and free loopback
ports, so it never touches a developer's `make run-local` stack, and `make down` removes it at the end.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import psycopg2
import pytest

from devstack.localpg import free_port
from tests.docker.lockfile import runtime_packages
from tests.docker.support import COMPOSE_FILE, REPO, compose_plugin_answers, make_env, project_version, run_make
from tests.support.postgres import docker_answers

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1800)]

IMAGES = {"job": "hestia-sync/job:local", "helper": "hestia-sync/helper:local"}
FLOWS = ("plans", "plan_benefits", "students", "advertisers", "payments")
LIST_DISTRIBUTIONS = (
    "import json, importlib.metadata as m; "
    "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
)


def docker_missing_reason() -> str | None:
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    if not docker_answers():
        return "no Docker daemon answers: the end-to-end stack test runs where one does (GitHub Actions)"
    if not compose_plugin_answers():
        return "the docker compose v2 plugin is not installed"
    return None


@dataclass(frozen=True)
class Stack:
    project: str
    ports: dict[str, int]

    def make(self, target: str) -> subprocess.CompletedProcess[str]:
        variables = [f"LOCAL_PROJECT={self.project}"]
        variables += [f"LOCAL_{name.upper()}_PORT={port}" for name, port in self.ports.items()]
        return run_make(target, *variables, timeout=1200)

    def compose(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = make_env(**{f"HESTIA_{name.upper()}_PORT": str(port) for name, port in self.ports.items()})
        command = ["docker", "compose", "--project-name", self.project, "--file", str(COMPOSE_FILE), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)

    def dsn(self, database: str) -> str:
        port = self.ports[database.replace("-", "_")]
        name = "helper" if database == "helper_db" else database
        return f"postgresql://hestia:local-only-password@127.0.0.1:{port}/{name}"

    def query(self, database: str, statement: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        conn = psycopg2.connect(self.dsn(database), connect_timeout=10)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    reason = docker_missing_reason()
    if reason:
        pytest.skip(reason)
    ports = {name: free_port() for name in ("db1", "db2", "helper_db", "helper")}
    stack = Stack(project=f"hestia-e2e-{uuid.uuid4().hex[:8]}", ports=ports)
    try:
        yield stack
    finally:
        stack.make("down")


@pytest.fixture(scope="module")
def first_run(stack: Stack) -> subprocess.CompletedProcess[str]:
    return stack.make("run-local")


# The job's own table with JOB_LOG_FORMAT=text (job/render.py): its title, then its last line.
REPORT_TITLE = "run: rows that were written, per flow"


def summary_status(output: str) -> re.Match[str] | None:
    return re.search(r"^status: (ok|partial) \(exit ([03])\)", output, re.MULTILINE)


def test_run_local_builds_starts_and_prints_the_first_syncs_summary(
    first_run: subprocess.CompletedProcess[str],
) -> None:
    assert first_run.returncode == 0, first_run.stdout[-4000:] + first_run.stderr[-4000:]
    assert REPORT_TITLE in first_run.stdout
    table = first_run.stdout.split(REPORT_TITLE, 1)[1].splitlines()
    assert {line.split()[0] for line in table if line.strip()} >= set(FLOWS)
    assert summary_status(first_run.stdout), first_run.stdout[-2000:]


def test_first_sync_moves_sample_rows_both_ways_with_the_helpers_hashes(
    stack: Stack, first_run: subprocess.CompletedProcess[str]
) -> None:
    assert first_run.returncode == 0
    # Plans go DB1 -> DB2: the sample DB2 starts with one of DB1's three.
    assert stack.query("db2", "SELECT count(*) FROM plano") == [(3,)]
    # A DB2 sign-up the helper knows reaches DB1 with the bcrypt hash the helper stored.
    rows = stack.query("db1", "SELECT csenha FROM universitario WHERE cemail = %s", ("bruno.lima@example.com",))
    assert len(rows) == 1
    assert str(rows[0][0]).startswith("$2")


def test_a_row_inserted_in_db2_appears_in_db1_after_the_next_run(
    stack: Stack, first_run: subprocess.CompletedProcess[str]
) -> None:
    assert first_run.returncode == 0
    student_id = str(uuid.uuid4())
    email = f"e2e.{student_id[:8]}@example.com"
    stack.query(
        "db2",
        "INSERT INTO universitario (id, email, nome, dne, dt_nascimento, genero, prefixo, telefone, municipio,"
        " universidade) VALUES (%s, %s, 'Teste Docker', %s, '2004-05-06', 'feminino', '+55', '(48) 99111-2233',"
        " 'Florianópolis', 'UFSC')",
        (student_id, email, f"DNE-E2E-{student_id[:8]}"),
    )
    assert stack.query("db1", "SELECT 1 FROM universitario WHERE uid = %s", (student_id,)) == []

    second = stack.make("run-local")

    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]
    assert summary_status(second.stdout)
    rows = stack.query("db1", "SELECT cnome, cemail, cnmfaculdade FROM universitario WHERE uid = %s", (student_id,))
    assert rows == [("Teste Docker", email, "UFSC")]


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_images_hold_exactly_the_locked_runtime_dependencies(
    first_run: subprocess.CompletedProcess[str], image: str
) -> None:
    assert first_run.returncode == 0
    result = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "python", IMAGES[image], "-c", LIST_DISTRIBUTIONS],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    installed = {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in json.loads(result.stdout).items()}
    expected = {**runtime_packages(REPO / "uv.lock", "hestia-sync"), "hestia-sync": project_version()}
    assert installed == expected


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_images_run_as_non_root_and_are_labelled_with_this_commit(
    first_run: subprocess.CompletedProcess[str], image: str
) -> None:
    assert first_run.returncode == 0
    inspected = json.loads(
        subprocess.run(
            ["docker", "image", "inspect", IMAGES[image]], capture_output=True, text=True, timeout=60, check=True
        ).stdout
    )[0]["Config"]
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=30, check=True
    ).stdout.strip()
    assert inspected["User"] == "10001:10001"
    assert inspected["Labels"]["org.opencontainers.image.revision"] == head
    assert inspected["Labels"]["org.opencontainers.image.version"] == project_version()
    assert inspected["Labels"]["org.opencontainers.image.source"]


def test_job_image_exits_with_the_jobs_own_status(first_run: subprocess.CompletedProcess[str]) -> None:
    assert first_run.returncode == 0
    result = subprocess.run(
        ["docker", "run", "--rm", IMAGES["job"], "no-such-command"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr


def test_helper_answers_healthz_on_the_loopback_port_and_reports_healthy(
    stack: Stack, first_run: subprocess.CompletedProcess[str]
) -> None:
    assert first_run.returncode == 0
    response = httpx.get(f"http://127.0.0.1:{stack.ports['helper']}/healthz", timeout=10)
    assert response.status_code == 200
    published = stack.compose("port", "helper", "5000")
    assert published.stdout.strip() == f"127.0.0.1:{stack.ports['helper']}"
    container = stack.compose("ps", "--quiet", "helper").stdout.strip()
    health = subprocess.run(
        ["docker", "inspect", "--format", "{{.State.Health.Status}}", container],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert health.stdout.strip() == "healthy"


def test_helper_stops_cleanly_on_sigterm_before_the_grace_period(
    stack: Stack, first_run: subprocess.CompletedProcess[str]
) -> None:
    assert first_run.returncode == 0
    container = stack.compose("ps", "--quiet", "helper").stdout.strip()
    started = time.monotonic()
    stopped = stack.compose("stop", "helper")
    elapsed = time.monotonic() - started
    assert stopped.returncode == 0, stopped.stderr
    state = subprocess.run(
        ["docker", "inspect", "--format", "{{.State.ExitCode}} {{.State.OOMKilled}}", container],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert state.stdout.split() == ["0", "false"], "gunicorn exits 0 on SIGTERM; 137 would mean SIGKILL"
    assert elapsed < 40, f"stop took {elapsed:.1f} s: the grace period ran out"


def test_down_removes_the_containers_and_the_volumes(stack: Stack) -> None:
    result = stack.make("down")
    assert result.returncode == 0, result.stderr
    label = f"label=com.docker.compose.project={stack.project}"
    for kind in (["ps", "--all"], ["volume", "ls"]):
        listed = subprocess.run(
            ["docker", *kind, "--quiet", "--filter", label], capture_output=True, text=True, timeout=60, check=True
        )
        assert listed.stdout.strip() == "", f"docker {' '.join(kind)} still lists {listed.stdout}"
