"""Static properties of docker/job.Dockerfile and docker/helper.Dockerfile that no linter checks."""

from __future__ import annotations

import re

import pytest

from tests.docker.dockerfile import Dockerfile, arg_default, labels, parse
from tests.docker.support import DOCKER_DIR, DOCKERFILES, REPO

SECRET_NAME = re.compile(r"TOKEN|PASSWORD|SECRET|URI_BANCO|DATABASE_URL|_KEY\b", re.IGNORECASE)
SECRET_SOURCE = re.compile(r"(^|/)\.env|secret|\.pem$|\.key$|credentials", re.IGNORECASE)


@pytest.fixture(params=sorted(DOCKERFILES), ids=lambda name: f"{name}.Dockerfile")
def dockerfile(request: pytest.FixtureRequest) -> Dockerfile:
    return parse(DOCKERFILES[request.param])


@pytest.fixture
def job() -> Dockerfile:
    return parse(DOCKERFILES["job"])


@pytest.fixture
def helper() -> Dockerfile:
    return parse(DOCKERFILES["helper"])


def uv_syncs(dockerfile: Dockerfile) -> list[list[str]]:
    commands = []
    for run in dockerfile.all("RUN"):
        _, words = run.flags_and_words()
        if words[:2] == ["uv", "sync"]:
            commands.append(words)
    return commands


def test_base_image_is_an_arg_whose_default_is_pinned_by_version_and_digest(dockerfile: Dockerfile) -> None:
    default = arg_default(dockerfile, "PYTHON_IMAGE")
    assert default is not None, "ARG PYTHON_IMAGE with a default must come before the first FROM"
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", default), default
    for instruction in dockerfile.all("FROM"):
        assert instruction.arguments.split()[0] == "${PYTHON_IMAGE}", instruction


def test_both_images_use_the_same_base(job: Dockerfile, helper: Dockerfile) -> None:
    assert arg_default(job, "PYTHON_IMAGE") == arg_default(helper, "PYTHON_IMAGE")


def test_build_has_a_builder_stage_and_a_final_stage_that_copies_only_the_environment(
    dockerfile: Dockerfile,
) -> None:
    stages = [i.arguments.split() for i in dockerfile.all("FROM")]
    assert [s[-1] for s in stages] == ["builder", "runtime"]
    copies = [i.flags_and_words() for i in dockerfile.stage(dockerfile.final_stage) if i.keyword == "COPY"]
    from_builder = [words[0] for flags, words in copies if flags.get("from") == "builder"]
    assert "/app/.venv" in from_builder
    assert set(from_builder) <= {"/app/.venv", "/app/helper_api/gunicorn.conf.py"}
    from_context = [words[:-1] for flags, words in copies if "from" not in flags]
    assert all(source == ["docker/healthcheck.py"] for source in from_context), from_context
    final_runs = [i.arguments for i in dockerfile.stage(dockerfile.final_stage) if i.keyword == "RUN"]
    assert not any("uv " in run for run in final_runs), "the final stage installs nothing"


def test_dependencies_are_installed_from_the_lock_file_only_before_the_source_is_copied(
    dockerfile: Dockerfile,
) -> None:
    syncs = uv_syncs(dockerfile)
    assert len(syncs) == 2
    for words in syncs:
        assert "--frozen" in words, words
        assert "--no-dev" in words, words
    assert "--no-install-project" in syncs[0]
    assert "--no-editable" in syncs[1]
    first_sync = next(i.line for i in dockerfile.all("RUN") if "--no-install-project" in i.arguments)
    sources = [i.line for i in dockerfile.all("COPY") if re.search(r"\b(job|helper_api)\b", i.arguments)]
    assert sources
    assert min(sources) > first_sync, "the dependency layer must not depend on the source"
    for run in dockerfile.all("RUN"):
        assert "requirements" not in run.arguments
        assert "uv pip" not in run.arguments
        if "pip install" in run.arguments:
            assert re.search(r'pip install --no-cache-dir "uv==\$\{UV_VERSION\}"$', run.arguments), run


def test_uv_version_is_the_one_the_makefile_uses(dockerfile: Dockerfile) -> None:
    makefile = (REPO / "Makefile").read_text()
    pinned = re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert pinned is not None
    assert arg_default(dockerfile, "UV_VERSION", stage=0) == pinned.group(1)


def test_final_stage_runs_as_a_non_root_user(dockerfile: Dockerfile) -> None:
    users = [i.arguments for i in dockerfile.stage(dockerfile.final_stage) if i.keyword == "USER"]
    assert users, "the final stage must set USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    last_user = max(i.line for i in dockerfile.all("USER"))
    assert all(i.line < last_user for i in dockerfile.all("RUN") if i.stage == dockerfile.final_stage)


def test_no_secret_or_env_file_is_copied_or_baked_in(dockerfile: Dockerfile) -> None:
    assert not dockerfile.all("ADD"), "ADD can fetch URLs and unpack archives: use COPY"
    for copy in dockerfile.all("COPY"):
        _, words = copy.flags_and_words()
        sources = words[:-1]
        assert "." not in sources, "COPY . would take whatever the context holds"
        assert not any(SECRET_SOURCE.search(source) for source in sources), copy
    for instruction in dockerfile.all("ENV") + dockerfile.all("ARG"):
        name = re.split(r"[=\s]", instruction.arguments, maxsplit=1)[0]
        assert not SECRET_NAME.search(name), f"{instruction.keyword} {name}: secrets come from the runtime"


def test_every_env_says_why_in_a_comment(dockerfile: Dockerfile) -> None:
    for instruction in dockerfile.all("ENV"):
        assert instruction.comment, f"line {instruction.line}: ENV without a comment saying why"


def test_oci_labels_come_from_build_args(dockerfile: Dockerfile) -> None:
    final = dockerfile.final_stage
    found = labels(dockerfile, final)
    for label, arg in [("source", "SOURCE_URL"), ("revision", "REVISION"), ("version", "VERSION")]:
        assert found.get(f"org.opencontainers.image.{label}") == f"${{{arg}}}"
        assert any(i.keyword == "ARG" and i.arguments.startswith(f"{arg}=") for i in dockerfile.stage(final))


def test_commands_use_the_exec_form(dockerfile: Dockerfile) -> None:
    for instruction in dockerfile.all("CMD") + dockerfile.all("ENTRYPOINT"):
        assert instruction.exec_form() is not None, instruction


def test_job_image_runs_python_m_job_with_run_as_the_overridable_default(job: Dockerfile) -> None:
    (entrypoint,) = job.all("ENTRYPOINT")
    (cmd,) = job.all("CMD")
    assert entrypoint.exec_form() == ["python", "-m", "job"]
    assert cmd.exec_form() == ["run"]


def test_helper_image_serves_gunicorn_with_the_repository_config(helper: Dockerfile) -> None:
    (cmd,) = helper.all("CMD")
    assert cmd.exec_form() == ["gunicorn", "--config", "/app/gunicorn.conf.py", "helper_api.wsgi:app"]
    copies = [i.flags_and_words()[1] for i in helper.all("COPY")]
    assert ["/app/helper_api/gunicorn.conf.py", "/app/gunicorn.conf.py"] in copies
    assert not helper.all("ENTRYPOINT")


def test_helper_image_probes_healthz_and_stops_on_sigterm(helper: Dockerfile) -> None:
    (healthcheck,) = helper.all("HEALTHCHECK")
    flags, words = healthcheck.flags_and_words()
    assert {"interval", "timeout", "start-period", "retries"} <= set(flags)
    assert words[0] == "CMD"
    assert healthcheck.arguments.endswith('CMD ["python", "/app/healthcheck.py"]')
    assert "/healthz" in (DOCKER_DIR / "healthcheck.py").read_text()
    (stopsignal,) = helper.all("STOPSIGNAL")
    assert stopsignal.arguments == "SIGTERM"
    env = " ".join(i.arguments for i in helper.all("ENV"))
    assert "HELPER_BIND=0.0.0.0:5000" in env
